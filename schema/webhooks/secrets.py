"""rotateWebhookSecret: a new Standard Webhooks secret, shown once, while the previous one keeps
signing every delivery for an overlap (KEHU_WEBHOOK_ROTATION_OVERLAP), so a receiver switches
keys whenever it likes. The rotation is an event on the webhook's stream (who, when, until when
the old secret signs); the secrets themselves never enter the log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

import strawberry
from strawberry.types import Info

from events.handling import load, metadata_for
from events.store.event_store import StreamAppend, fingerprint
from events.webhooks import model as webhooks
from events.webhooks import registrations
from schema.common import MutationOk, ok_fields
from schema.context import BadInput, KehuContext, ctx_of
from schema.errors import attempt, result_union
from schema.webhooks.api import MAX_KEY, Webhook, _check_key, _fetch


@strawberry.type
class RotateWebhookSecretOk(MutationOk):
    webhook: Webhook
    secret: str | None = strawberry.field(
        description="The new signing secret (whsec_...). Shown once; null when replayed.")
    previous_secret_valid_until: datetime | None = strawberry.field(
        description="Until then deliveries are signed by the previous secret too.")


@strawberry.input
class RotateWebhookSecretInput:
    id: strawberry.ID


RotateWebhookSecretResult: TypeAlias = result_union(  # type: ignore[valid-type]
    "RotateWebhookSecretResult", RotateWebhookSecretOk)


async def _rotate(ctx: KehuContext, data: RotateWebhookSecretInput,
                  key: str | None) -> RotateWebhookSecretOk:
    _check_key(key)
    if len(data.id) > MAX_KEY or "\x00" in data.id:
        raise BadInput("not a webhook id", field="id")
    cctx = ctx.command_context()
    config = ctx.services.settings.webhook_delivery
    command = webhooks.RotateWebhookSecret(str(data.id), int(config.rotation_overlap_s))
    sid = webhooks.stream_id(command.webhook_id)
    state, version = await load(ctx.store, sid, webhooks.evolve)
    fp = fingerprint({"stream": sid, "command": command, "type": "RotateWebhookSecret"})
    if key is not None and (earlier := await ctx.store.earlier_result(
            cctx.actor.user_id, key, fp)) is not None:
        return RotateWebhookSecretOk(**ok_fields(earlier), secret=None,
                                     previous_secret_valid_until=None,
                                     webhook=await _fetch(ctx.pool, command.webhook_id))
    (event,) = webhooks.decide(state, command, cctx)
    assert isinstance(event, webhooks.WebhookSecretRotated)
    result = await ctx.store.append([StreamAppend(sid, webhooks.STREAM_TYPE, version, [event])],
                                    metadata_for(cctx), idempotency_key=key,
                                    command_fingerprint=fp)
    # After the event: a crash in between leaves the old secret signing, and the caller, who
    # got no new secret, rotates again.
    secret = await registrations.rotate_secret(ctx.pool, command.webhook_id,
                                               config.rotation_overlap_s)
    return RotateWebhookSecretOk(**ok_fields(result), secret=secret,
                                 previous_secret_valid_until=event.previous_valid_until,
                                 webhook=await _fetch(ctx.pool, command.webhook_id))


@strawberry.type
class WebhookSecretMutations:
    @strawberry.mutation(description="A new signing secret for a webhook (its registrant or a"
                         " manager); the previous one keeps signing for an overlap.")
    async def rotate_webhook_secret(
        self, info: Info[Any, Any], input: RotateWebhookSecretInput,
        idempotency_key: str | None = None,
    ) -> RotateWebhookSecretResult:
        ctx = ctx_of(info)
        result: Any = await attempt(lambda: _rotate(ctx, input, idempotency_key))
        return result


QUERIES: list[type] = []
MUTATIONS = [WebhookSecretMutations]
SUBSCRIPTIONS: list[type] = []
