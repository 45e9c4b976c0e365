"""Webhooks over GraphQL: an integration registers a URL and event types; Kehu pushes them
(the commands are in events/webhooks/handlers.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, TypeAlias

import asyncpg
import strawberry
from strawberry.types import Info

from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import ValidationFailed
from events.shared.validation import MAX_ID
from events.webhooks import model as webhooks
from events.webhooks.handlers import deactivate_webhook, register_webhook
from schema.common import MutationOk
from schema.context import KehuContext, ctx_of, require_reader
from schema.errors import MutationErrors
from schema.mutations import IdempotencyKey, mutate, ok_fields
from schema.positions import Position

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
    last_position: Position | None = strawberry.field(
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
        description="The signing secret (Standard Webhooks, whsec_...). Shown once; null when"
        " replayed."
    )


@strawberry.type
class DeactivateWebhookOk(MutationOk):
    webhook: Webhook


@strawberry.input
class RegisterWebhookInput:
    url: str = strawberry.field(description="https URL, at most 2000 characters, of a public"
                                " address (docs/integrations.md: where a webhook may point).")
    event_types: list[str] = strawberry.field(description="1 to 50 event type names.")
    description: str | None = None


@strawberry.input
class DeactivateWebhookInput:
    id: strawberry.ID
    reason: str | None = None


RegisterWebhookResult: TypeAlias = Annotated[RegisterWebhookOk | MutationErrors,
                                              strawberry.union("RegisterWebhookResult")]
DeactivateWebhookResult: TypeAlias = Annotated[DeactivateWebhookOk | MutationErrors,
                                                strawberry.union("DeactivateWebhookResult")]
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


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Push events of the given types to a URL, signed.")
    async def register_webhook(
        self, info: Info[Any, Any], input: RegisterWebhookInput,
        idempotency_key: IdempotencyKey = None,
    ) -> RegisterWebhookResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> RegisterWebhookOk:
            command = webhooks.RegisterWebhook(uuid.uuid4().hex, input.url,
                                               tuple(input.event_types), input.description or "")
            done = await register_webhook(ctx.store, ctx.pool, command_ctx, command,
                                          ctx.settings.webhook_delivery, idempotency_key=key)
            return RegisterWebhookOk(**ok_fields(done.outcome), secret=done.secret,
                                     webhook=await _fetch(ctx.pool, done.webhook_id))

        return await mutate(info, idempotency_key, action)

    @strawberry.mutation(description="Stop a webhook's deliveries (its registrant or a manager).")
    async def deactivate_webhook(
        self, info: Info[Any, Any], input: DeactivateWebhookInput,
        idempotency_key: IdempotencyKey = None,
    ) -> DeactivateWebhookResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> DeactivateWebhookOk:
            if len(input.id) > MAX_ID or "\x00" in input.id:
                raise ValidationFailed.single("id", "not a webhook id", "format")
            command = webhooks.DeactivateWebhook(str(input.id), input.reason or "")
            outcome = await deactivate_webhook(ctx.store, ctx.pool, command_ctx, command,
                                               idempotency_key=key)
            return DeactivateWebhookOk(**ok_fields(outcome),
                                       webhook=await _fetch(ctx.pool, command.webhook_id))

        return await mutate(info, idempotency_key, action)


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
