"""The people directory's application functions, and the lookup other contexts ask."""

from __future__ import annotations

from events.handling import execute, load
from events.people import model
from events.people.commands import PersonCommand
from events.people.model import PersonState
from events.people.values import stream_id
from events.shared.context import Context
from events.store.event_store import AppendResult, EventStore


async def handle_person(
    store: EventStore, ctx: Context, command: PersonCommand, *,
    idempotency_key: str | None = None,
) -> AppendResult:
    return await execute(
        store, ctx, stream_id=stream_id(command.user_id), stream_type=model.STREAM_TYPE,
        evolve=model.evolve, decide=lambda state: model.decide(state, command, ctx),
        command=command, idempotency_key=idempotency_key,
    )


async def load_person(store: EventStore, user_id: str) -> PersonState | None:
    """The person's own stream, never a projection that may lag: a decision reads the truth."""
    state, _ = await load(store, stream_id(user_id), model.evolve)
    return state
