"""Visit aggregate: plan (V2, V3) -> log (V4-V9) -> report (V10).

Commitments and follow-ups (V11, V12) are decided in commitments.py; commands and events are in
visit_events.py; value types and their checks in visit_values.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from events.shared.context import Context
from events.shared.errors import InvalidState, NotFound, ValidationFailed
from events.shared.validation import MAX_ID, MAX_TEXT, Problems
from events.store.envelope import Event
from events.visits.commands import (
    FileVisitReport,
    LogVisit,
    PlanVisit,
    VisitCommand,
    VisitLogged,
    VisitPlanned,
    VisitReportFiled,
    credit_changes_found,
    prospects_found,
)
from events.visits.commitments import (
    DEFAULT_FOLLOW_UP_DAYS,
    CommitmentState,
    apply_commitment_event,
    decide_commitment,
)
from events.visits.values import (
    MAX_ITEMS,
    MAX_REPORT,
    WRITERS,
    VisitPurpose,
    check_finding,
    check_gifts,
    check_objections,
    check_receiver,
    check_training,
    require_may_act,
    training_meets_standard,
    unique,
)

STREAM_TYPE = "visit"


def stream_id(visit_id: str) -> str:
    return f"visit-{visit_id}"


class VisitStatus(StrEnum):
    PLANNED = "planned"
    LOGGED = "logged"
    COMPLETED = "completed"  # V10: only once the report is filed


@dataclass(frozen=True)
class VisitState:
    visit_id: str
    customer_id: str
    owner_id: str  # who planned it (or logged it, if unplanned); staff act only on their own
    status: VisitStatus
    unplanned: bool
    purposes: tuple[VisitPurpose, ...]
    planned_date: date | None = None
    planned_on: date | None = None
    actual_date: date | None = None
    report_filed_on: date | None = None
    commitments: Mapping[str, CommitmentState] = field(default_factory=dict)
    # V6: what logging the visit found (the customers it created, credit changes recorded).
    prospect_ids: tuple[str, ...] = ()
    credit_changes_found: int = 0


def decide(
    state: VisitState | None,
    command: VisitCommand,
    ctx: Context,
    *,
    customer_exists: bool = True,
    follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS,
) -> list[Event]:
    ctx.require_role(*WRITERS, action="change a visit")
    if isinstance(command, PlanVisit):
        return [_plan(state, command, ctx, customer_exists)]
    if isinstance(command, LogVisit):
        return [_log(state, command, ctx, customer_exists)]
    if isinstance(command, FileVisitReport):
        return [_file_report(state, command, ctx)]
    return decide_commitment(state, command, ctx, follow_up_days=follow_up_days)


def _plan(state: VisitState | None, c: PlanVisit, ctx: Context, customer_exists: bool) -> Event:
    if state is not None:
        raise InvalidState(f"visit {c.visit_id} already exists", field="visitId")
    p = Problems()
    p.text("visitId", c.visit_id, limit=MAX_ID)
    p.text("customerId", c.customer_id, limit=MAX_ID)
    if not c.purposes:
        p.add("purposes", "a visit serves at least one purpose", "V1")
    if c.planned_date < ctx.today:
        p.add("plannedDate", "a visit is planned before it happens; log it as unplanned", "V2")
    p.texts(
        "objectives", c.objectives, limit=MAX_TEXT, max_items=MAX_ITEMS, required=True, rule="V2"
    )
    p.text("salesPolicy", c.sales_policy, limit=MAX_TEXT, required=False, rule="V3")
    p.texts("promotions", c.promotions, limit=MAX_TEXT, max_items=MAX_ITEMS, rule="V3")
    p.text("materialsNote", c.materials_note, limit=MAX_TEXT, required=False, rule="V3")
    p.raise_if_any()
    if not customer_exists:
        raise NotFound(f"no customer {c.customer_id}", field="customerId")
    return VisitPlanned(
        visit_id=c.visit_id,
        customer_id=c.customer_id,
        planned_by=ctx.actor.user_id,
        planned_on=ctx.today,
        planned_date=c.planned_date,
        purposes=unique(c.purposes),
        objectives=c.objectives,
        sales_policy=c.sales_policy,
        promotions=c.promotions,
        materials=unique(c.materials),
        materials_note=c.materials_note,
    )


def _log(state: VisitState | None, c: LogVisit, ctx: Context, customer_exists: bool) -> Event:
    if state is None:
        customer_id, purposes = _unplanned_target(c, customer_exists)
    else:
        customer_id, purposes = _planned_target(state, c, ctx)
    p = Problems()
    if c.actual_date > ctx.today:
        p.add("actualDate", "a visit is logged after it happened, not before", "V4")
    if state is not None and state.planned_on and c.actual_date < state.planned_on:
        p.add("actualDate", "the visit happened before it was planned", "V2")
    check_receiver(p, c.received_by)
    p.texts(
        "needsAndProblems", c.needs_and_problems, limit=MAX_TEXT, max_items=MAX_ITEMS, rule="V4"
    )
    p.text("attitudeToProducts", c.attitude_to_products, limit=MAX_TEXT, rule="V5")
    p.texts(
        "requestsAndSuggestions",
        c.requests_and_suggestions,
        limit=MAX_TEXT,
        max_items=MAX_ITEMS,
        rule="V5",
    )
    if len(c.findings) > MAX_ITEMS:
        p.add("findings", f"at most {MAX_ITEMS} entries", "V6")
    for i, finding in enumerate(c.findings):
        check_finding(p, f"findings[{i}]", finding)
    check_objections(p, c.objections)
    check_gifts(p, c.gifts)
    check_training(p, c.training_minutes, c.training_reason)
    p.raise_if_any()
    return VisitLogged(
        visit_id=c.visit_id,
        customer_id=customer_id,
        logged_by=ctx.actor.user_id,
        logged_on=ctx.today,
        unplanned=state is None,
        actual_date=c.actual_date,
        purposes=purposes,
        received_by=c.received_by,
        needs_and_problems=c.needs_and_problems,
        attitude_to_products=c.attitude_to_products,
        requests_and_suggestions=c.requests_and_suggestions,
        findings=c.findings,
        objections=c.objections,
        information_presented=unique(c.information_presented),
        training_minutes=c.training_minutes,
        training_reason=c.training_reason,
        training_meets_standard=training_meets_standard(c.training_minutes),
        gifts=c.gifts,
        channel=c.channel,
    )


def _unplanned_target(c: LogVisit, customer_exists: bool) -> tuple[str, tuple[VisitPurpose, ...]]:
    if not c.unplanned:
        raise NotFound(
            f"visit {c.visit_id} was never planned; log it as unplanned", field="visitId", rule="V2"
        )
    p = Problems()
    p.text("visitId", c.visit_id, limit=MAX_ID)
    p.text("customerId", c.customer_id, limit=MAX_ID, rule="V2")
    if not c.purposes:
        p.add("purposes", "a visit serves at least one purpose", "V1")
    p.raise_if_any()
    assert c.customer_id is not None
    if not customer_exists:
        raise NotFound(f"no customer {c.customer_id}", field="customerId")
    return c.customer_id, unique(c.purposes)


def _planned_target(
    state: VisitState, c: LogVisit, ctx: Context
) -> tuple[str, tuple[VisitPurpose, ...]]:
    require_may_act(ctx, (state.owner_id,), "log a visit")
    if state.status is not VisitStatus.PLANNED:
        raise InvalidState(f"visit {state.visit_id} is already logged", field="visitId")
    if c.unplanned:
        raise InvalidState(
            "this visit was planned; log it without unplanned", field="unplanned", rule="V2"
        )
    if c.customer_id is not None and c.customer_id != state.customer_id:
        raise ValidationFailed.single("customerId", "the plan is for another customer", "V2")
    # Purposes given at logging are the ones the visit actually served; else the plan's.
    return state.customer_id, unique(c.purposes) or state.purposes


def _file_report(state: VisitState | None, c: FileVisitReport, ctx: Context) -> Event:
    if state is None:
        raise NotFound(f"no visit {c.visit_id}", field="visitId")
    require_may_act(ctx, (state.owner_id,), "file a visit report")
    if state.status is VisitStatus.PLANNED:
        raise InvalidState("log the visit before filing its report", field="visitId", rule="V10")
    if state.status is VisitStatus.COMPLETED:
        raise InvalidState("the report is already filed", field="visitId", rule="V10")
    p = Problems()
    p.text("report", c.report, limit=MAX_REPORT, rule="V10")
    p.text("recordCard", c.record_card, limit=MAX_TEXT, rule="V10")
    p.raise_if_any()
    return VisitReportFiled(
        visit_id=state.visit_id,
        customer_id=state.customer_id,
        filed_by=ctx.actor.user_id,
        filed_on=ctx.today,
        report=c.report,
        record_card=c.record_card,
    )


def evolve(state: VisitState | None, event: Event) -> VisitState:
    if isinstance(event, VisitPlanned):
        return VisitState(
            visit_id=event.visit_id,
            customer_id=event.customer_id,
            owner_id=event.planned_by,
            status=VisitStatus.PLANNED,
            unplanned=False,
            purposes=event.purposes,
            planned_date=event.planned_date,
            planned_on=event.planned_on,
        )
    if isinstance(event, VisitLogged):
        base = state or VisitState(
            visit_id=event.visit_id,
            customer_id=event.customer_id,
            owner_id=event.logged_by,
            status=VisitStatus.LOGGED,
            unplanned=True,
            purposes=event.purposes,
        )
        return replace(
            base, status=VisitStatus.LOGGED, actual_date=event.actual_date, purposes=event.purposes,
            prospect_ids=tuple(r.customer_id for r in prospects_found(event)),
            credit_changes_found=len(credit_changes_found(event)),
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before the visit was planned or logged")
    if isinstance(event, VisitReportFiled):
        return replace(state, status=VisitStatus.COMPLETED, report_filed_on=event.filed_on)
    return replace(state, commitments=apply_commitment_event(state.commitments, event))
