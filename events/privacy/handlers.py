"""Erasure's application function: check, destroy the subject's keys, record who and why."""

from __future__ import annotations

from events.customers.handlers import customer_exists
from events.handling import Decision, Outcome, Stream, run
from events.privacy import model
from events.privacy.commands import ErasePersonalData
from events.privacy.model import ErasureState
from events.shared.context import Context
from events.shared.errors import NotFound
from events.store.erasure import destroy_subject
from events.store.event_store import EventStore


def erasure_stream(subject_id: str) -> Stream[ErasureState]:
    return Stream(model.stream_id(subject_id), model.STREAM_TYPE, model.evolve)


async def handle_erasure(store: EventStore, ctx: Context, command: ErasePersonalData, *,
                         idempotency_key: str | None = None) -> Outcome[ErasureState]:
    """The key goes before the event is written: if the append then fails, the data is
    already unreadable and a retry records the event (naming the same keys). The other way
    round, a failure would leave an event claiming an erasure that did not happen."""

    async def decide(state: ErasureState | None) -> Decision:
        model.check(command, ctx)
        if not await customer_exists(store, command.subject_id):
            raise NotFound(f"no customer {command.subject_id}", field="subjectId")
        destroyed = await destroy_subject(store.pool, command.subject_id)
        named = state.key_ids if state is not None else frozenset()
        return Decision(model.decide(command, ctx, [k for k in destroyed if k not in named]))

    return await run(store, ctx, erasure_stream(command.subject_id), command, decide,
                     idempotency_key=idempotency_key)
