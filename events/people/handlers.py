"""The people directory's application functions, and the lookup other contexts ask."""

from __future__ import annotations

from events.handling import Outcome, Stream, execute, load
from events.people import model
from events.people.commands import PersonCommand
from events.people.model import PersonState
from events.people.values import stream_id
from events.shared.context import Context
from events.store.event_store import EventStore


def person_stream(user_id: str) -> Stream[PersonState]:
    return Stream(stream_id(user_id), model.STREAM_TYPE, model.evolve)


async def handle_person(
    store: EventStore, ctx: Context, command: PersonCommand, *,
    idempotency_key: str | None = None,
) -> Outcome[PersonState]:
    return await execute(store, ctx, person_stream(command.user_id), command,
                         lambda state: model.decide(state, command, ctx),
                         idempotency_key=idempotency_key)


async def load_person(store: EventStore, user_id: str) -> PersonState | None:
    """The person's own stream, never a projection that may lag: a decision reads the truth."""
    state, _ = await load(store, stream_id(user_id), model.evolve)
    return state
