"""The one command runner: role gate, idempotency, load, decide, append, re-decide on conflict.

Every command of every context goes through `run`, so each of these steps is written once:

1. the role gate: read-only roles (auditor, integration) never write, unless the command is
   one an integration may issue about itself (a webhook registration, `any_role=True`);
2. idempotency: a retried key with the same command returns the first result; with another
   command it is `IdempotencyKeyReused` (the store checks it again inside the append);
3. load the command's own stream (once per attempt);
4. decide on that state: a pure decide, bound by the handler to the facts it looked up;
   a decision may also write to other streams (a settlement and its meals, a visit and the
   customers its findings create);
5. append all of it atomically with the expected versions; if another writer moved a stream
   meanwhile, decide again on fresh state (bounded retries), so no rule is checked on stale
   data;
6. answer with the result AND the command's stream state after the decision, so the API
   never reads the stream again to build its answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from events.shared.context import Context
from events.shared.errors import ConcurrencyConflict, Forbidden
from events.store.envelope import Event, Metadata
from events.store.event_store import AppendResult, EventStore, StreamAppend, fingerprint

S = TypeVar("S")
Evolve = Callable[[S | None, Event], S]

CONFLICT_RETRIES = 3


@dataclass(frozen=True)
class Stream(Generic[S]):
    """A command's own stream: where it is, what type it has, how its events fold."""

    stream_id: str
    stream_type: str
    evolve: Evolve[S]


@dataclass(frozen=True)
class Decision:
    """What a decide returned: the events for the command's own stream, appends to other
    streams (each with its expected version), and the rule-book version decided under."""

    events: Sequence[Event]
    others: Sequence[StreamAppend] = ()
    policy_version: int | None = None


@dataclass(frozen=True)
class Outcome(Generic[S]):
    result: AppendResult
    state: S | None  # the command's own stream after the decision (or as it is, on a replay)
    decision: Decision | None = field(default=None)  # None when the answer is a replay


def fold(evolve: Evolve[S], state: S | None, events: Sequence[Event]) -> S | None:
    for event in events:
        state = evolve(state, event)
    return state


async def load(store: EventStore, stream_id: str, evolve: Evolve[S]) -> tuple[S | None, int]:
    """Fold a stream into its state; returns (state or None, version)."""
    stored = await store.read_stream(stream_id)
    state = fold(evolve, None, [item.event for item in stored if item.event is not None])
    return state, len(stored)


def metadata_for(ctx: Context, policy_version: int | None = None) -> Metadata:
    return Metadata.for_actor(
        ctx.actor,
        correlation_id=ctx.correlation_id or str(uuid.uuid4()),
        causation_id=ctx.causation_id,
        policy_version=policy_version,
    )


Decide = Callable[[S | None], Awaitable[Decision]]


async def run(
    store: EventStore,
    ctx: Context,
    stream: Stream[S],
    command: Any,
    decide: Decide[S],
    *,
    idempotency_key: str | None = None,
    identity: Any = None,
    any_role: bool = False,
) -> Outcome[S]:
    """Run one command. `decide(state)` is called with the command's stream state on every
    attempt; it may look up further facts. `identity` is what makes two calls the same
    command for idempotency (default: the stream and the command itself)."""
    if not any_role and not ctx.actor.may_write:
        raise Forbidden(f"role {ctx.actor.role.value} may read but never write", rule="roles")
    fp = fingerprint(identity if identity is not None else
                     {"stream": stream.stream_id, "command": command,
                      "type": type(command).__name__})
    if idempotency_key is not None:
        earlier = await store.earlier_result(ctx.actor.user_id, idempotency_key, fp)
        if earlier is not None:
            state, _ = await load(store, stream.stream_id, stream.evolve)
            return Outcome(earlier, state)
    for attempt in range(CONFLICT_RETRIES):
        state, version = await load(store, stream.stream_id, stream.evolve)
        decision = await decide(state)
        appends = [StreamAppend(stream.stream_id, stream.stream_type, version,
                                list(decision.events)), *decision.others]
        new_state = fold(stream.evolve, state, decision.events)
        if not any(a.events for a in appends):
            # Nothing changed (a repeated update): success, and nothing to write.
            return Outcome(AppendResult(0, 0, {a.stream_id: a.expected_version
                                               for a in appends}), new_state, decision)
        try:
            result = await store.append(
                [a for a in appends if a.events],
                metadata_for(ctx, decision.policy_version),
                idempotency_key=idempotency_key,
                command_fingerprint=fp,
            )
        except ConcurrencyConflict:
            if attempt == CONFLICT_RETRIES - 1:
                raise
            continue
        if result.replayed:  # the same command raced itself: answer with the winner's state
            state, _ = await load(store, stream.stream_id, stream.evolve)
            return Outcome(result, state)
        return Outcome(result, new_state, decision)
    raise AssertionError("unreachable")


async def execute(
    store: EventStore,
    ctx: Context,
    stream: Stream[S],
    command: Any,
    decide: Callable[[S | None], Sequence[Event]],
    *,
    idempotency_key: str | None = None,
    policy_version: int | None = None,
) -> Outcome[S]:
    """`run` for the common case: a pure decide on the command's own stream alone."""

    async def decided(state: S | None) -> Decision:
        return Decision(decide(state), policy_version=policy_version)

    return await run(store, ctx, stream, command, decided, idempotency_key=idempotency_key)
