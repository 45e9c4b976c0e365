"""Webhooks over GraphQL: an integration registers a URL and event types; Kehu pushes them.

Integrations may not write business records (handling.execute refuses them), but subscribing is
exactly what they may do, so these two commands append their events directly, after the pure
decide() of events/webhooks.py has checked role and input.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg
import strawberry
from strawberry.types import Info

from events.handling import load, metadata_for
from events.shared.actors import Role
from events.store.event_store import AppendResult, StreamAppend, fingerprint
from events.webhooks import model as webhooks
from schema.common import MutationOk, ok_fields
from schema.context import BadInput, KehuContext, ctx_of, require_reader
from schema.errors import attempt, result_union

# Who sees webhooks: integrations their own; these roles every one.
SEE_ALL = (Role.MANAGER, Role.GENERAL_MANAGER, Role.AUDITOR)


@strawberry.type(description="A registered webhook and how its deliveries are going.")
class Webhook:
    id: strawberry.ID
    url: str
    event_types: list[str]
    description: str
    active: bool
    created_by: str
    created_at: datetime
    last_position: int | None = strawberry.field(
        description="The last log position the receiver acknowledged (2xx)."
    )
    delivered: int
    attempts: int
    consecutive_failures: int
    last_error: str | None
    last_attempt_at: datetime | None
    last_delivered_at: datetime | None

    @classmethod
    def from_row(cls, r: asyncpg.Record) -> Webhook:
        return cls(
            id=strawberry.ID(r["id"]), url=r["url"], event_types=list(r["event_types"]),
            description=r["description"], active=r["active"], created_by=r["created_by"],
            created_at=r["created_at"], last_position=r["last_position"],
            delivered=r["delivered"] or 0, attempts=r["attempts"] or 0,
            consecutive_failures=r["consecutive_failures"] or 0, last_error=r["last_error"],
            last_attempt_at=r["last_attempt_at"], last_delivered_at=r["last_delivered_at"],
        )


@strawberry.type
class RegisterWebhookOk(MutationOk):
    webhook: Webhook
    secret: str | None = strawberry.field(
        description="The HMAC-SHA256 signing secret. Shown once; null when replayed."
    )


@strawberry.type
class DeactivateWebhookOk(MutationOk):
    webhook: Webhook


@strawberry.input
class RegisterWebhookInput:
    url: str = strawberry.field(description="http(s) URL, at most 2000 characters.")
    event_types: list[str] = strawberry.field(description="1 to 50 event type names.")
    description: str | None = None


@strawberry.input
class DeactivateWebhookInput:
    id: strawberry.ID
    reason: str | None = None


RegisterWebhookResult: TypeAlias = result_union(  # type: ignore[valid-type]
    "RegisterWebhookResult", RegisterWebhookOk)
DeactivateWebhookResult: TypeAlias = result_union(  # type: ignore[valid-type]
    "DeactivateWebhookResult", DeactivateWebhookOk)
MAX_KEY = 200

_SELECT = """
SELECT w.id, w.url, w.event_types, w.description, w.active, w.created_by, w.created_at,
       d.last_position, d.delivered, d.attempts, d.consecutive_failures, d.last_error,
       d.last_attempt_at, d.last_delivered_at
FROM webhooks w LEFT JOIN webhook_deliveries d ON d.webhook_id = w.id
"""


async def _fetch(pool: asyncpg.Pool, webhook_id: str) -> Webhook:
    row = await pool.fetchrow(_SELECT + " WHERE w.id = $1", webhook_id)
    assert row is not None
    return Webhook.from_row(row)


def _webhook_id(result: AppendResult) -> str:
    (sid,) = result.versions
    return sid.removeprefix("webhook-")


def _check_key(key: str | None) -> None:
    if key is not None and (not 0 < len(key) <= MAX_KEY or "\x00" in key):
        raise BadInput(f"idempotencyKey is 1 to {MAX_KEY} characters", field="idempotencyKey")


async def _register(ctx: KehuContext, data: RegisterWebhookInput,
                    key: str | None) -> RegisterWebhookOk:
    _check_key(key)
    cctx = ctx.command_context()
    command = webhooks.RegisterWebhook(uuid.uuid4().hex, data.url, tuple(data.event_types),
                                       data.description or "")
    # The id is fresh per call, so it is left out: a retry is the same command.
    fp = fingerprint({"command": replace(command, webhook_id=""), "type": "RegisterWebhook"})
    if key is not None:
        earlier = await ctx.store.earlier_result(cctx.actor.user_id, key, fp)
        if earlier is not None:
            return RegisterWebhookOk(**ok_fields(earlier), secret=None,
                                     webhook=await _fetch(ctx.pool, _webhook_id(earlier)))
    new_events = webhooks.decide(None, command, cctx)
    secret = secrets.token_urlsafe(32)
    head = await ctx.store.head_position()
    # Rows first, inactive, then the event, then active: a crash in between leaves an inactive
    # row that delivers nothing, never an active webhook the audit log does not show.
    async with ctx.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO webhooks (id, url, event_types, description, secret, created_by, active)"
            " VALUES ($1, $2, $3, $4, $5, $6, false)",
            command.webhook_id, command.url.strip(), list(dict.fromkeys(command.event_types)),
            command.description.strip(), secret, cctx.actor.user_id)
        # Deliveries start with events after registration.
        await conn.execute("INSERT INTO webhook_deliveries (webhook_id, last_position)"
                           " VALUES ($1, $2)", command.webhook_id, head)
    result = await ctx.store.append(
        [StreamAppend(webhooks.stream_id(command.webhook_id), webhooks.STREAM_TYPE, 0,
                      new_events)],
        metadata_for(cctx), idempotency_key=key, command_fingerprint=fp)
    if result.replayed:  # the same command raced itself; the winner's webhook is the answer
        await _forget(ctx.pool, command.webhook_id)
        return RegisterWebhookOk(**ok_fields(result), secret=None,
                                 webhook=await _fetch(ctx.pool, _webhook_id(result)))
    await ctx.pool.execute("UPDATE webhooks SET active = true WHERE id = $1", command.webhook_id)
    return RegisterWebhookOk(**ok_fields(result), secret=secret,
                             webhook=await _fetch(ctx.pool, command.webhook_id))


async def _forget(pool: asyncpg.Pool, webhook_id: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM webhook_deliveries WHERE webhook_id = $1", webhook_id)
        await conn.execute("DELETE FROM webhooks WHERE id = $1", webhook_id)


async def _deactivate(ctx: KehuContext, data: DeactivateWebhookInput,
                      key: str | None) -> DeactivateWebhookOk:
    _check_key(key)
    cctx = ctx.command_context()
    if len(data.id) > MAX_KEY or "\x00" in data.id:
        raise BadInput("not a webhook id", field="id")
    command = webhooks.DeactivateWebhook(str(data.id), data.reason or "")
    sid = webhooks.stream_id(command.webhook_id)
    state, version = await load(ctx.store, sid, webhooks.evolve)
    fp = fingerprint({"stream": sid, "command": command, "type": "DeactivateWebhook"})
    if key is not None and (earlier := await ctx.store.earlier_result(
            cctx.actor.user_id, key, fp)) is not None:
        return DeactivateWebhookOk(**ok_fields(earlier),
                                   webhook=await _fetch(ctx.pool, command.webhook_id))
    new_events = webhooks.decide(state, command, cctx)
    result = await ctx.store.append([StreamAppend(sid, webhooks.STREAM_TYPE, version, new_events)],
                                    metadata_for(cctx), idempotency_key=key,
                                    command_fingerprint=fp)
    # The deliverer re-reads `active` before every attempt and stops.
    await ctx.pool.execute("UPDATE webhooks SET active = false, deactivated_at = now()"
                           " WHERE id = $1", command.webhook_id)
    return DeactivateWebhookOk(**ok_fields(result),
                               webhook=await _fetch(ctx.pool, command.webhook_id))


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Push events of the given types to a URL, signed.")
    async def register_webhook(
        self, info: Info[Any, Any], input: RegisterWebhookInput,
        idempotency_key: str | None = None,
    ) -> RegisterWebhookResult:
        ctx = ctx_of(info)
        result: Any = await attempt(lambda: _register(ctx, input, idempotency_key))
        return result

    @strawberry.mutation(description="Stop a webhook's deliveries (its registrant or a manager).")
    async def deactivate_webhook(
        self, info: Info[Any, Any], input: DeactivateWebhookInput,
        idempotency_key: str | None = None,
    ) -> DeactivateWebhookResult:
        ctx = ctx_of(info)
        result: Any = await attempt(lambda: _deactivate(ctx, input, idempotency_key))
        return result


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="Webhooks and their delivery state (integrations: their own).")
    async def webhooks(self, info: Info[Any, Any], first: int | None = None) -> list[Webhook]:
        actor = require_reader(info, Role.INTEGRATION, *SEE_ALL)
        ctx = ctx_of(info)
        owner = actor.user_id if actor.role is Role.INTEGRATION else None
        rows = await ctx.pool.fetch(
            _SELECT + " WHERE ($1::text IS NULL OR w.created_by = $1)"
            " ORDER BY w.created_at, w.id LIMIT $2", owner, ctx.page_size(first))
        return [Webhook.from_row(r) for r in rows]



QUERIES = [WebhookQueries]
MUTATIONS = [WebhookMutations]
SUBSCRIPTIONS: list[type] = []
