"""Load -> decide -> append, in one place, for every aggregate.

Handlers are plain functions taking their dependencies as parameters. A decision is made on the
stream as read; if another writer moved the stream meanwhile, the append fails on its expected
version and the command is decided again on fresh state (bounded retries), so no rule is ever
checked against stale data.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from events.context import Context
from events.envelope import Event, Metadata
from events.errors import ConcurrencyConflict, Forbidden
from events.store import AppendResult, EventStore, StreamAppend, fingerprint

S = TypeVar("S")
Evolve = Callable[[S | None, Event], S]

CONFLICT_RETRIES = 3


async def load(store: EventStore, stream_id: str, evolve: Evolve[S]) -> tuple[S | None, int]:
    """Fold a stream into its state; returns (state or None, version)."""
    state: S | None = None
    stored = await store.read_stream(stream_id)
    for item in stored:
        event = item.event
        if event is not None:
            state = evolve(state, event)
    return state, len(stored)


def metadata_for(ctx: Context, policy_version: int | None = None) -> Metadata:
    return Metadata.for_actor(
        ctx.actor,
        correlation_id=ctx.correlation_id or str(uuid.uuid4()),
        causation_id=ctx.causation_id,
        policy_version=policy_version,
    )


async def execute(
    store: EventStore,
    ctx: Context,
    *,
    stream_id: str,
    stream_type: str,
    evolve: Evolve[S],
    decide: Callable[[S | None], Sequence[Event]],
    command: Any,
    idempotency_key: str | None = None,
    policy_version: int | None = None,
) -> AppendResult:
    """Run one command against one stream. `decide` is the aggregate's decide, bound to the
    command and whatever facts the caller looked up (policy, customer tier, ...)."""
    if not ctx.actor.may_write:
        raise Forbidden(f"role {ctx.actor.role.value} may read but never write", rule="roles")
    fp = fingerprint({"stream": stream_id, "command": command, "type": type(command).__name__})
    if idempotency_key is not None:
        earlier = await store.earlier_result(ctx.actor.user_id, idempotency_key, fp)
        if earlier is not None:
            return earlier
    for attempt in range(CONFLICT_RETRIES):
        state, version = await load(store, stream_id, evolve)
        new_events = list(decide(state))
        if not new_events:
            # Nothing changed (a repeated update): success, and nothing to write.
            return AppendResult(0, 0, {stream_id: version})
        try:
            return await store.append(
                [StreamAppend(stream_id, stream_type, version, new_events)],
                metadata_for(ctx, policy_version),
                idempotency_key=idempotency_key,
                command_fingerprint=fp,
            )
        except ConcurrencyConflict:
            if attempt == CONFLICT_RETRIES - 1:
                raise
    raise AssertionError("unreachable")
