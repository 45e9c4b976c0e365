"""Handlers of the webhook commands, through the one command runner.

Integrations may not write business records, but registering where their events go is what
they may do, so these commands run with `any_role=True`; the pure decide checks who may.
A webhook's signing secret never enters the log: it lives in the `webhooks` table. The row is
written inside the decision, inactive, before the event is appended, and switched on after: a
crash in between leaves an inactive row that delivers nothing, never an active webhook the
audit log does not show.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

import asyncpg

from events.handling import Decision, Outcome, Stream, run
from events.shared.context import Context
from events.store.event_store import EventStore
from events.webhooks import model as webhooks
from events.webhooks.model import DeactivateWebhook, RegisterWebhook, WebhookState


def webhook_stream(webhook_id: str) -> Stream[WebhookState]:
    return Stream(webhooks.stream_id(webhook_id), webhooks.STREAM_TYPE, webhooks.evolve)


@dataclass(frozen=True)
class Registered:
    outcome: Outcome[WebhookState]
    webhook_id: str
    secret: str | None  # shown once: None when the answer is a replay


async def register_webhook(store: EventStore, pool: asyncpg.Pool, ctx: Context,
                           command: RegisterWebhook, *,
                           idempotency_key: str | None = None) -> Registered:
    secret = secrets.token_urlsafe(32)

    async def decide(state: WebhookState | None) -> Decision:
        events = webhooks.decide(state, command, ctx)
        head = await store.head_position()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO webhooks (id, url, event_types, description, secret, created_by,"
                " active) VALUES ($1, $2, $3, $4, $5, $6, false)",
                command.webhook_id, command.url.strip(), list(dict.fromkeys(command.event_types)),
                command.description.strip(), secret, ctx.actor.user_id)
            # Deliveries start with the events after registration.
            await conn.execute("INSERT INTO webhook_deliveries (webhook_id, last_position)"
                               " VALUES ($1, $2)", command.webhook_id, head)
        return Decision(events)

    # The id is fresh per call, so the idempotency identity leaves it out: a retry is the
    # same command.
    identity = {"command": replace(command, webhook_id=""), "type": "RegisterWebhook"}
    outcome = await run(store, ctx, webhook_stream(command.webhook_id), command, decide,
                        idempotency_key=idempotency_key, identity=identity, any_role=True)
    if outcome.decision is None:  # a replay: the first call's webhook is the answer
        await _forget(pool, command.webhook_id)
        (stream,) = outcome.result.versions
        return Registered(outcome, stream.removeprefix(webhooks.stream_id("")), None)
    await pool.execute("UPDATE webhooks SET active = true WHERE id = $1", command.webhook_id)
    return Registered(outcome, command.webhook_id, secret)


async def _forget(pool: asyncpg.Pool, webhook_id: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM webhook_deliveries WHERE webhook_id = $1", webhook_id)
        await conn.execute("DELETE FROM webhooks WHERE id = $1", webhook_id)


async def deactivate_webhook(store: EventStore, pool: asyncpg.Pool, ctx: Context,
                             command: DeactivateWebhook, *,
                             idempotency_key: str | None = None) -> Outcome[WebhookState]:
    async def decide(state: WebhookState | None) -> Decision:
        return Decision(webhooks.decide(state, command, ctx))

    outcome = await run(store, ctx, webhook_stream(command.webhook_id), command, decide,
                        idempotency_key=idempotency_key, any_role=True)
    # The deliverer re-reads `active` before every attempt and stops.
    await pool.execute("UPDATE webhooks SET active = false, deactivated_at = now()"
                       " WHERE id = $1", command.webhook_id)
    return outcome
