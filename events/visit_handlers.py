"""Application functions of the visit aggregate (RULES V1-V12): look up the facts a decision
needs, decide, append; and the V6 process that turns a logged visit's findings into customer
records.

Facts come from the write side only (the customer's own stream, the rule book's stream), never
from a projection that may lag behind the log.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from events import policy, visits
from events.commitments import DEFAULT_FOLLOW_UP_DAYS
from events.context import Context
from events.customer_handlers import customer_exists, handle_customer
from events.envelope import StoredEvent
from events.errors import InvalidState
from events.handling import execute, load
from events.store import AppendResult, EventStore
from events.visit_events import (
    FulfillCommitment,
    LogVisit,
    PlanVisit,
    VisitCommand,
    VisitLogged,
    credit_changes_found,
    prospects_found,
)


async def follow_up_policy(store: EventStore, ctx: Context) -> tuple[int, int | None]:
    """V12: (days until a follow-up is due, rule-book version) from the version in force today
    (company time zone); the documented default of 7 days while no rule book is installed."""
    state, _ = await load(store, policy.STREAM_ID, policy.evolve)
    in_force = policy.policy_in_force(state, ctx.today)
    if in_force is None:
        return DEFAULT_FOLLOW_UP_DAYS, None
    return in_force.figures.follow_up_delay_days, in_force.version


async def handle_visit(
    store: EventStore,
    ctx: Context,
    command: VisitCommand,
    *,
    idempotency_key: str | None = None,
) -> AppendResult:
    """Any visit command except that logging a visit should go through log_visit (V6)."""
    exists = True
    if isinstance(command, PlanVisit | LogVisit):
        # For a planned visit the plan already names a known customer; the decision ignores it.
        exists = await customer_exists(store, command.customer_id)
    days, version = DEFAULT_FOLLOW_UP_DAYS, None
    if isinstance(command, FulfillCommitment):
        days, version = await follow_up_policy(store, ctx)
    return await execute(
        store,
        ctx,
        stream_id=visits.stream_id(command.visit_id),
        stream_type=visits.STREAM_TYPE,
        evolve=visits.evolve,
        decide=lambda state: visits.decide(
            state, command, ctx, customer_exists=exists, follow_up_days=days
        ),
        command=command,
        idempotency_key=idempotency_key,
        policy_version=version,
    )


@dataclass(frozen=True)
class VisitLogOutcome:
    # last_position covers the visit and whatever the V6 process wrote, so a client reading
    # with atLeast sees the new prospects too.
    result: AppendResult
    prospect_ids: tuple[str, ...] = ()
    credit_changes_recorded: int = 0


async def log_visit(
    store: EventStore,
    ctx: Context,
    command: LogVisit,
    *,
    idempotency_key: str | None = None,
) -> VisitLogOutcome:
    """Log the visit, then run the V6 process synchronously. A retry with the same idempotency
    key replays the visit append and runs the process again, which finishes whatever an earlier
    run left undone and repeats nothing (prospect ids are derived, credit changes keyed)."""
    result = await handle_visit(store, ctx, command, idempotency_key=idempotency_key)
    stored = await _visit_logged(store, command.visit_id)
    if stored is None:
        return VisitLogOutcome(result)
    return await _record_findings(store, ctx, stored, result)


async def _visit_logged(store: EventStore, visit_id: str) -> StoredEvent | None:
    for item in await store.read_stream(visits.stream_id(visit_id)):
        if item.event_type == VisitLogged.type_name():
            return item
    return None


async def _record_findings(
    store: EventStore, ctx: Context, stored: StoredEvent, result: AppendResult
) -> VisitLogOutcome:
    event = stored.event
    assert isinstance(event, VisitLogged)
    # The process acts for whoever logged the visit; its events share the visit's correlation
    # so an auditor can trace each prospect and credit change back to the visit.
    origin = stored.metadata.correlation_id
    process = replace(ctx, correlation_id=origin, causation_id=origin)
    last = result.last_position
    prospect_ids: list[str] = []
    for register in prospects_found(event):
        prospect_ids.append(register.customer_id)
        try:
            written = await handle_customer(store, process, register)
        except InvalidState:
            continue  # registered by an earlier run of this process: done
        last = max(last, written.last_position)
    recorded = 0
    for change in credit_changes_found(event):
        written = await handle_customer(store, process, change)
        if written.last_position:
            recorded += 1
            last = max(last, written.last_position)
    return VisitLogOutcome(replace(result, last_position=last), tuple(prospect_ids), recorded)
