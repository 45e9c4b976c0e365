"""Events of the meal aggregate: past tense, frozen, each saying who did what and when.

Decisions that apply the rule book record its version and the findings it produced, so an
auditor sees what the rules said at the time, whatever later versions say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from events.meals.commands import MealRequestForm
from events.meals.rules import Finding
from events.policy.values import CustomerTier, Host, MealType
from events.store.envelope import Event


@dataclass(frozen=True)
class MealRequested(Event):
    meal_id: str
    form: MealRequestForm
    requested_by: str
    requested_at: datetime
    customer_tier: CustomerTier
    findings: tuple[Finding, ...]
    policy_exception: bool  # blocking findings accepted for the manager's explicit approval (M6)
    policy_version: int
    cost_center: str  # M9: always customer_service


@dataclass(frozen=True)
class MealApproved(Event):
    meal_id: str
    approved_by: str
    approved_at: datetime
    note: str
    exception_approved: bool


@dataclass(frozen=True)
class MealRejected(Event):
    meal_id: str
    rejected_by: str
    rejected_at: datetime
    reason: str


@dataclass(frozen=True)
class MealApprovedVerbally(Event):
    meal_id: str
    requested_by: str
    customer_id: str
    organisation: str
    meal_at: datetime
    restaurant: str
    guests: int
    accompanying: int
    meal_type: MealType
    host: Host
    urgency_reason: str
    estimated_total_fen: int | None
    customer_tier: CustomerTier
    findings: tuple[Finding, ...]
    exception_approved: bool
    policy_version: int
    paperwork_due: date  # M11: last day to complete the written request
    cost_center: str
    approved_by: str
    approved_at: datetime


@dataclass(frozen=True)
class MealPaperworkCompleted(Event):
    meal_id: str
    form: MealRequestForm
    completed_by: str
    completed_at: datetime


@dataclass(frozen=True)
class MealVouchersIssued(Event):
    meal_id: str
    count: int
    issued_to: str  # the requesting staff member (M10)
    issued_by: str
    issued_at: datetime


@dataclass(frozen=True)
class MealCostRecorded(Event):
    meal_id: str
    total_fen: int
    drinks_fen: int
    guests: int
    accompanying: int
    findings: tuple[Finding, ...]  # the rule book applied to the actual bill
    policy_version: int
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class MealCostSigned(Event):
    meal_id: str
    annotation: str
    signed_by: str
    signed_at: datetime


@dataclass(frozen=True)
class MealSettled(Event):
    meal_id: str
    bill_id: str
    month: str
    settled_by: str
    settled_at: datetime


@dataclass(frozen=True)
class MealReimbursementDenied(Event):
    meal_id: str
    reason: str
    denied_by: str
    denied_at: datetime


MEAL_EVENTS: tuple[type[Event], ...] = (
    MealRequested, MealApproved, MealRejected, MealApprovedVerbally, MealPaperworkCompleted,
    MealVouchersIssued, MealCostRecorded, MealCostSigned, MealSettled, MealReimbursementDenied,
)
