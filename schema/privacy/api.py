"""erasePersonalData: crypto-shredding of one data subject (docs/privacy.md)."""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry.types import Info

from events.privacy.commands import ErasePersonalData
from events.privacy.handlers import handle_erasure
from events.shared.context import Context
from schema.common import MAX_NAME, MAX_TEXT, MutationOk
from schema.context import KehuContext
from schema.errors import MutationErrors
from schema.meals.inputs import bounded
from schema.mutations import IdempotencyKey, mutate, ok_fields


@strawberry.type(description="An erasure done: the subject's data key is destroyed.")
class ErasureOk(MutationOk):
    subject_id: str = strawberry.field(description="The customer whose personal data was erased.")
    keys_destroyed: int = strawberry.field(
        description="Data keys this erasure destroyed (0 when an earlier erasure already had; "
        "the event is recorded anyway).")


@strawberry.input(description="Whose personal data to erase, and why.")
class ErasePersonalDataInput:
    subject_id: str = strawberry.field(description="The data subject: a customer id.")
    reason: str = strawberry.field(
        description="Why (the deletion request and its reference); never the data itself.")


ErasePersonalDataResult: TypeAlias = Annotated[ErasureOk | MutationErrors,
                                                strawberry.union("ErasePersonalDataResult")]


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(description=(
        "general_manager erases a customer's personal data (contacts, notes, individual T1 "
        "attributes, visit receivers and reports) by destroying its data key: from then on "
        "every read, replay, rebuild, export and subscription shows those fields as erased; "
        "the log stays intact. Irreversible. The erasure is itself an event naming who and why."))
    async def erase_personal_data(
        self, info: Info[Any, Any], input: ErasePersonalDataInput,
        idempotency_key: IdempotencyKey = None,
    ) -> ErasePersonalDataResult:
        async def action(ctx: KehuContext, command_ctx: Context, key: str | None) -> ErasureOk:
            command = ErasePersonalData(bounded(input.subject_id, "subjectId", MAX_NAME),
                                        bounded(input.reason, "reason", MAX_TEXT))
            outcome = await handle_erasure(ctx.store, command_ctx, command, idempotency_key=key)
            events = outcome.decision.events if outcome.decision is not None else ()
            destroyed = sum(len(getattr(e, "key_ids", ())) for e in events)
            return ErasureOk(**ok_fields(outcome), subject_id=command.subject_id,
                             keys_destroyed=destroyed)

        return await mutate(info, idempotency_key, action)


QUERIES: list[type] = []
MUTATIONS: list[type] = [PrivacyMutations]
SUBSCRIPTIONS: list[type] = []
