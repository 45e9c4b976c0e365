"""Load -> decide -> append, in one place, for every aggregate.

Handlers are plain functions taking their dependencies as parameters. A decision is made on the
stream as read; if another writer moved the stream meanwhile, the append fails on its expected
version and the command is decided again on fresh state (bounded retries), so no rule is ever
checked against stale data.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from events.shared.context import Context
from events.shared.errors import ConcurrencyConflict, Forbidden
from events.store.envelope import Event, Metadata
from events.store.event_store import AppendResult, EventStore, StreamAppend, fingerprint

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

    async def decide_appends() -> list[StreamAppend]:
        state, version = await load(store, stream_id, evolve)
        return [StreamAppend(stream_id, stream_type, version, list(decide(state)))]

    return await execute_appends(store, ctx, stream_id=stream_id, command=command,
                                 decide_appends=decide_appends,
                                 idempotency_key=idempotency_key, policy_version=policy_version)


async def execute_appends(
    store: EventStore,
    ctx: Context,
    *,
    stream_id: str,
    command: Any,
    decide_appends: Callable[[], Awaitable[list[StreamAppend]]],
    idempotency_key: str | None = None,
    policy_version: int | None = None,
) -> AppendResult:
    """Run a command whose decision may write to several streams at once (a settlement and
    its meals, a visit and the customers its findings create). `decide_appends` loads fresh
    state and decides; on a version conflict it is called again. `stream_id` names the
    command's own stream, for the idempotency fingerprint."""
    if not ctx.actor.may_write:
        raise Forbidden(f"role {ctx.actor.role.value} may read but never write", rule="roles")
    fp = fingerprint({"stream": stream_id, "command": command, "type": type(command).__name__})
    if idempotency_key is not None:
        earlier = await store.earlier_result(ctx.actor.user_id, idempotency_key, fp)
        if earlier is not None:
            return earlier
    for attempt in range(CONFLICT_RETRIES):
        appends = await decide_appends()
        if not any(a.events for a in appends):
            # Nothing changed (a repeated update): success, and nothing to write.
            return AppendResult(0, 0, {a.stream_id: a.expected_version for a in appends})
        try:
            return await store.append(
                [a for a in appends if a.events],
                metadata_for(ctx, policy_version),
                idempotency_key=idempotency_key,
                command_fingerprint=fp,
            )
        except ConcurrencyConflict:
            if attempt == CONFLICT_RETRIES - 1:
                raise
    raise AssertionError("unreachable")
