"""The meal aggregate's state and its fold over events (evolve)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from events.meals.commands import MealRequestForm
from events.meals.events import (
    MealApproved,
    MealApprovedVerbally,
    MealCostRecorded,
    MealCostSigned,
    MealPaperworkCompleted,
    MealReimbursementDenied,
    MealRejected,
    MealRequested,
    MealSettled,
    MealVouchersIssued,
)
from events.meals.rules import Finding
from events.policy.values import CustomerTier, Host, MealType
from events.store.envelope import Event


class MealStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    VERBALLY_APPROVED = "verbally_approved"
    HELD = "held"
    PENDING_PAPERWORK = "pending_paperwork"
    PAPERWORK_COMPLETED = "paperwork_completed"
    SIGNED = "signed"
    SETTLED = "settled"
    REIMBURSEMENT_DENIED = "reimbursement_denied"


@dataclass(frozen=True)
class MealState:
    meal_id: str
    status: MealStatus
    requested_by: str
    customer_id: str
    customer_tier: CustomerTier
    meal_type: MealType
    host: Host
    meal_at: datetime
    restaurant: str
    guests: int
    accompanying: int
    policy_version: int
    findings: tuple[Finding, ...]  # at request (or verbal approval) time
    policy_exception: bool = False
    exception_approved: bool = False
    verbal: bool = False
    paperwork_due: date | None = None
    form: MealRequestForm | None = None
    vouchers_issued: int = 0
    total_fen: int | None = None
    drinks_fen: int | None = None
    cost_findings: tuple[Finding, ...] = ()
    approved_by: str | None = None
    signed_by: str | None = None
    settled_bill_id: str | None = None


def evolve(state: MealState | None, event: Event) -> MealState:
    if isinstance(event, MealRequested):
        f = event.form
        return MealState(
            meal_id=event.meal_id, status=MealStatus.REQUESTED, requested_by=event.requested_by,
            customer_id=f.customer_id, customer_tier=event.customer_tier,
            meal_type=f.meal_type, host=f.host, meal_at=f.meal_at, restaurant=f.restaurant,
            guests=f.guests, accompanying=f.accompanying, policy_version=event.policy_version,
            findings=event.findings, policy_exception=event.policy_exception, form=f,
        )
    if isinstance(event, MealApprovedVerbally):
        return MealState(
            meal_id=event.meal_id, status=MealStatus.VERBALLY_APPROVED,
            requested_by=event.requested_by, customer_id=event.customer_id,
            customer_tier=event.customer_tier, meal_type=event.meal_type, host=event.host,
            meal_at=event.meal_at, restaurant=event.restaurant, guests=event.guests,
            accompanying=event.accompanying, policy_version=event.policy_version,
            findings=event.findings, exception_approved=event.exception_approved,
            policy_exception=event.exception_approved, verbal=True,
            paperwork_due=event.paperwork_due, approved_by=event.approved_by,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before the meal was requested")
    return _evolve_existing(state, event)


def _evolve_existing(state: MealState, event: Event) -> MealState:
    if isinstance(event, MealApproved):
        return replace(state, status=MealStatus.APPROVED, approved_by=event.approved_by,
                       exception_approved=event.exception_approved)
    if isinstance(event, MealRejected):
        return replace(state, status=MealStatus.REJECTED)
    if isinstance(event, MealVouchersIssued):
        return replace(state, vouchers_issued=state.vouchers_issued + event.count)
    if isinstance(event, MealCostRecorded):
        return replace(state, status=_status_after_cost(state), total_fen=event.total_fen,
                       drinks_fen=event.drinks_fen, guests=event.guests,
                       accompanying=event.accompanying, cost_findings=event.findings)
    if isinstance(event, MealPaperworkCompleted):
        f = event.form
        return replace(state, status=MealStatus.PAPERWORK_COMPLETED, form=f,
                       meal_at=f.meal_at, restaurant=f.restaurant)
    if isinstance(event, MealCostSigned):
        return replace(state, status=MealStatus.SIGNED, signed_by=event.signed_by)
    if isinstance(event, MealSettled):
        return replace(state, status=MealStatus.SETTLED, settled_bill_id=event.bill_id)
    if isinstance(event, MealReimbursementDenied):
        return replace(state, status=MealStatus.REIMBURSEMENT_DENIED)
    return state


def _status_after_cost(state: MealState) -> MealStatus:
    # A verbally approved meal goes to pending_paperwork the moment its cost is known (M11);
    # a correction of the cost leaves the status where it was.
    if state.status is MealStatus.APPROVED:
        return MealStatus.HELD
    if state.status is MealStatus.VERBALLY_APPROVED:
        return MealStatus.PENDING_PAPERWORK
    return state.status
