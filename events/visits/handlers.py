"""Application functions of the visit aggregate (RULES V1-V12): look up the facts a decision
needs, decide, append; logging a visit also turns its V6 findings into customer records, in
the same append.

Facts come from the write side only (the customer's own stream, the rule book's stream), never
from a projection that may lag behind the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from events.customers import model as customers
from events.customers.handlers import customer_exists
from events.handling import Decision, Outcome, Stream, execute, load, run
from events.policy import model as policy
from events.shared.context import Context
from events.store.envelope import Event
from events.store.event_store import AppendResult, EventStore, StreamAppend
from events.visits import model as visits
from events.visits.commands import (
    FulfillCommitment,
    LogVisit,
    PlanVisit,
    VisitCommand,
    VisitLogged,
    credit_changes_found,
    prospects_found,
)
from events.visits.commitments import DEFAULT_FOLLOW_UP_DAYS
from events.visits.model import VisitState


async def follow_up_policy(store: EventStore, ctx: Context) -> tuple[int, int | None]:
    """V12: (days until a follow-up is due, rule-book version) from the version in force today
    (company time zone); the documented default of 7 days while no rule book is installed."""
    state, _ = await load(store, policy.STREAM_ID, policy.evolve)
    in_force = policy.policy_in_force(state, ctx.today)
    if in_force is None:
        return DEFAULT_FOLLOW_UP_DAYS, None
    return in_force.figures.follow_up_delay_days, in_force.version


def visit_stream(visit_id: str) -> Stream[VisitState]:
    return Stream(visits.stream_id(visit_id), visits.STREAM_TYPE, visits.evolve)


async def handle_visit(
    store: EventStore,
    ctx: Context,
    command: VisitCommand,
    *,
    idempotency_key: str | None = None,
) -> Outcome[VisitState]:
    """Any visit command except that logging a visit should go through log_visit (V6)."""
    exists = True
    if isinstance(command, PlanVisit | LogVisit):
        # For a planned visit the plan already names a known customer; the decision ignores it.
        exists = await customer_exists(store, command.customer_id)
    days, version = DEFAULT_FOLLOW_UP_DAYS, None
    if isinstance(command, FulfillCommitment):
        days, version = await follow_up_policy(store, ctx)
    return await execute(
        store, ctx, visit_stream(command.visit_id), command,
        lambda state: visits.decide(state, command, ctx, customer_exists=exists,
                                    follow_up_days=days),
        idempotency_key=idempotency_key, policy_version=version,
    )


@dataclass(frozen=True)
class VisitLogOutcome:
    # last_position covers the visit and whatever the V6 process wrote, so a client reading
    # with atLeast sees the new prospects too.
    result: AppendResult
    state: VisitState | None
    prospect_ids: tuple[str, ...] = ()
    credit_changes_recorded: int = 0


async def log_visit(
    store: EventStore,
    ctx: Context,
    command: LogVisit,
    *,
    idempotency_key: str | None = None,
) -> VisitLogOutcome:
    """Log the visit and carry out its V6 findings in ONE append: the visit, every prospect
    it found (a new customer of status prospect) and every credit change on the visited
    customer commit together or not at all, so no finding is ever lost between two writes.
    A retry with the same idempotency key returns the first result."""
    exists = await customer_exists(store, command.customer_id)

    async def decide(state: VisitState | None) -> Decision:
        return await _decide_visit_and_findings(store, ctx, command, state, exists)

    outcome = await run(store, ctx, visit_stream(command.visit_id), command, decide,
                        idempotency_key=idempotency_key)
    return _logged(outcome)


async def _decide_visit_and_findings(
    store: EventStore, ctx: Context, command: LogVisit, state: VisitState | None, exists: bool
) -> Decision:
    decided = visits.decide(state, command, ctx, customer_exists=exists)
    appends: list[StreamAppend] = []
    logged = next(e for e in decided if isinstance(e, VisitLogged))
    for register in prospects_found(logged):
        prospect, at = await load(store, customers.stream_id(register.customer_id),
                                  customers.evolve)
        appends.append(StreamAppend(customers.stream_id(register.customer_id),
                                    customers.STREAM_TYPE, at,
                                    customers.decide(prospect, register, ctx)))
    changes = credit_changes_found(logged)
    if changes:
        customer_stream = customers.stream_id(logged.customer_id)
        visited, at = await load(store, customer_stream, customers.evolve)
        events: list[Event] = []
        for change in changes:
            for event in customers.decide(visited, change, ctx):
                events.append(event)
                visited = customers.evolve(visited, event)
        if events:
            appends.append(StreamAppend(customer_stream, customers.STREAM_TYPE, at, events))
    return Decision(decided, appends)


def _logged(outcome: Outcome[VisitState]) -> VisitLogOutcome:
    """What the client is told: the prospects and credit changes the logged visit produced
    (kept in the visit's state, so a replayed retry answers the same)."""
    state = outcome.state
    if state is None:
        return VisitLogOutcome(outcome.result, state)
    return VisitLogOutcome(outcome.result, state, state.prospect_ids, state.credit_changes_found)
