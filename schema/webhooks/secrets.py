"""rotateWebhookSecret: a new Standard Webhooks secret, shown once, while the previous one keeps
signing every delivery for an overlap (KEHU_WEBHOOK_ROTATION_OVERLAP), so a receiver switches
keys whenever it likes. The rotation is an event on the webhook's stream (who, when, until when
the old secret signs); the secrets themselves never enter the log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry.types import Info

from events.shared.context import Context
from events.shared.errors import ValidationFailed
from events.shared.validation import MAX_ID
from events.webhooks import model as webhooks
from events.webhooks.handlers import rotate_webhook_secret
from schema.common import MutationOk
from schema.context import KehuContext
from schema.errors import MutationErrors
from schema.mutations import IdempotencyKey, mutate, ok_fields
from schema.webhooks.api import Webhook, _fetch


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


RotateWebhookSecretResult: TypeAlias = Annotated[RotateWebhookSecretOk | MutationErrors,
                                                  strawberry.union("RotateWebhookSecretResult")]


@strawberry.type
class WebhookSecretMutations:
    @strawberry.mutation(description="A new signing secret for a webhook (its registrant or a"
                         " manager); the previous one keeps signing for an overlap.")
    async def rotate_webhook_secret(
        self, info: Info[Any, Any], input: RotateWebhookSecretInput,
        idempotency_key: IdempotencyKey = None,
    ) -> RotateWebhookSecretResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> RotateWebhookSecretOk:
            if len(input.id) > MAX_ID or "\x00" in input.id:
                raise ValidationFailed.single("id", "not a webhook id", "format")
            overlap = int(ctx.settings.webhook_delivery.rotation_overlap_s)
            command = webhooks.RotateWebhookSecret(str(input.id), overlap)
            done = await rotate_webhook_secret(ctx.store, ctx.pool, command_ctx, command,
                                               idempotency_key=key)
            return RotateWebhookSecretOk(
                **ok_fields(done.outcome), secret=done.secret,
                previous_secret_valid_until=done.previous_valid_until,
                webhook=await _fetch(ctx.pool, command.webhook_id))

        return await mutate(info, idempotency_key, action)


QUERIES: list[type] = []
MUTATIONS = [WebhookSecretMutations]
SUBSCRIPTIONS: list[type] = []
