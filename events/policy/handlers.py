"""Handlers for the rule book (M15, V13): draft, approve, install the seed, look up what binds.

Every meal decision asks `in_force_on(store, day)` for the version binding on the meal date, so
the version is a fact the handler looks up, never a default the domain assumes.
"""

from __future__ import annotations

from datetime import date

from events.handling import Outcome, Stream, execute, load
from events.policy import model as policy
from events.policy.model import PolicyCommand, PolicyState, PolicyVersion
from events.shared.actors import SYSTEM
from events.shared.context import Context
from events.shared.errors import DomainError, InvalidState
from events.store.event_store import EventStore

POLICY_STREAM: Stream[PolicyState] = Stream(policy.STREAM_ID, policy.STREAM_TYPE, policy.evolve)

# Fixed keys: two processes starting together install the seed once (the second replays).
SEED_KEYS = ("seed:policy:v1:draft", "seed:policy:v1:approve")


async def load_policy(store: EventStore) -> PolicyState | None:
    state, _ = await load(store, policy.STREAM_ID, policy.evolve)
    return state


async def in_force_on(store: EventStore, day: date) -> PolicyVersion:
    """The approved version binding on `day` (company time zone); refuses when none does."""
    found = policy.policy_in_force(await load_policy(store), day)
    if found is None:
        raise InvalidState(f"no approved rule book is in force on {day.isoformat()}", rule="M15")
    return found


async def handle_policy(
    store: EventStore, ctx: Context, command: PolicyCommand, *, idempotency_key: str | None = None
) -> Outcome[PolicyState]:
    return await execute(store, ctx, POLICY_STREAM, command,
                         lambda state: policy.decide(state, command, ctx),
                         idempotency_key=idempotency_key, policy_version=command.version)


def _done(state: PolicyState | None, command: PolicyCommand) -> bool:
    if state is None:
        return False
    if isinstance(command, policy.DraftPolicy):
        return state.draft(command.version) is not None
    return policy.policy_version(state, command.version) is not None


async def install_seed(store: EventStore, ctx: Context) -> bool:
    """Install version 1 unless it is there; True when this call wrote it.

    Safe when several processes start at once: the idempotency key replays a finished install,
    and a loser of a simultaneous race finds the winner's events on re-reading and stops.
    """
    assert ctx.actor == SYSTEM, "the seed is installed by the system actor"
    wrote = False
    for command, key in zip(policy.seed_commands(), SEED_KEYS, strict=True):
        if _done(await load_policy(store), command):
            continue
        try:
            outcome = await handle_policy(store, ctx, command, idempotency_key=key)
            wrote = wrote or not outcome.result.replayed
        except DomainError:
            if not _done(await load_policy(store), command):
                raise
    return wrote
