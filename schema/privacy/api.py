"""erasePersonalData: crypto-shredding of one data subject (docs/privacy.md)."""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry.types import Info

from events.privacy.commands import ErasePersonalData
from events.privacy.handlers import handle_erasure
from events.shared.context import Context
from schema.common import MAX_NAME, MAX_TEXT, MutationOk
from schema.context import BadInput, KehuContext
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
        self, info: Info[Any, Any], input: ErasePersonalDataInput | None = None,
        idempotency_key: IdempotencyKey = None,
        subject_id: Annotated[str | None, strawberry.argument(
            description="The data subject (a customer id), given without `input`.")] = None,
        reason: Annotated[str | None, strawberry.argument(
            description="Why, given without `input`; never the data itself.")] = None,
    ) -> ErasePersonalDataResult:
        # Both forms are offered: `erasePersonalData(subjectId:, reason:)` as the request for
        # this operation named it, and one `input` object as every other mutation takes.
        async def action(ctx: KehuContext, command_ctx: Context, key: str | None) -> ErasureOk:
            given = _one_form(input, subject_id, reason)
            command = ErasePersonalData(bounded(given.subject_id, "subjectId", MAX_NAME),
                                        bounded(given.reason, "reason", MAX_TEXT))
            outcome = await handle_erasure(ctx.store, command_ctx, command, idempotency_key=key)
            events = outcome.decision.events if outcome.decision is not None else ()
            destroyed = sum(len(getattr(e, "key_ids", ())) for e in events)
            return ErasureOk(**ok_fields(outcome), subject_id=command.subject_id,
                             keys_destroyed=destroyed)

        return await mutate(info, idempotency_key, action)


def _one_form(input: ErasePersonalDataInput | None, subject_id: str | None,
              reason: str | None) -> ErasePersonalDataInput:
    if input is not None:
        if subject_id is not None or reason is not None:
            raise BadInput("give either input or subjectId and reason, not both",
                           field="input")
        return input
    if subject_id is None:
        raise BadInput("subjectId is required", field="subjectId")
    if reason is None:
        raise BadInput("reason is required", field="reason")
    return ErasePersonalDataInput(subject_id=subject_id, reason=reason)


QUERIES: list[type] = []
MUTATIONS: list[type] = [PrivacyMutations]
SUBSCRIPTIONS: list[type] = []
