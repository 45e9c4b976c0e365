"""Messages of the visit aggregate: commands (imperative) and events (past tense), for the
visit itself (V1-V10) and for its commitments and follow-ups (V11, V12)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from events.customers.commands import RecordCreditChange, RegisterCustomer
from events.customers.values import CustomerStatus, Tier
from events.store.envelope import Event
from events.store.personal import ERASED, Personal
from events.visits.values import (
    Finding,
    FindingKind,
    Gift,
    InformationTopic,
    Material,
    Objection,
    Receiver,
    VisitChannel,
    VisitPurpose,
)


@dataclass(frozen=True)
class PlanVisit:  # V2, V3
    visit_id: str
    customer_id: str
    planned_date: date
    purposes: tuple[VisitPurpose, ...]
    objectives: tuple[str, ...]
    sales_policy: str | None = None  # this month's sales policy to present
    promotions: tuple[str, ...] = ()
    materials: tuple[Material, ...] = ()
    materials_note: str | None = None


@dataclass(frozen=True)
class LogVisit:  # V4-V9
    visit_id: str
    actual_date: date
    received_by: Receiver
    attitude_to_products: str
    training_minutes: int
    training_reason: str | None = None
    needs_and_problems: tuple[str, ...] = ()
    requests_and_suggestions: tuple[str, ...] = ()  # verbatim
    findings: tuple[Finding, ...] = ()
    objections: tuple[Objection, ...] = ()
    information_presented: tuple[InformationTopic, ...] = ()
    gifts: tuple[Gift, ...] = ()
    channel: VisitChannel | None = None
    unplanned: bool = False  # V2: required to log a visit that has no plan
    customer_id: str | None = None  # required when unplanned; else must match the plan
    purposes: tuple[VisitPurpose, ...] = ()  # required when unplanned; else the plan's apply


@dataclass(frozen=True)
class FileVisitReport:  # V10
    visit_id: str
    report: str
    record_card: str


@dataclass(frozen=True)
class VisitPlanned(Event):
    visit_id: str
    customer_id: str
    planned_by: str
    planned_on: date
    planned_date: date
    purposes: tuple[VisitPurpose, ...]
    objectives: tuple[str, ...]
    sales_policy: str | None
    promotions: tuple[str, ...]
    materials: tuple[Material, ...]
    materials_note: str | None


@dataclass(frozen=True)
class VisitLogged(Event):
    # V4: who received the visit; V6: a prospect's contact person. Sealed under the visited
    # customer's key (docs/privacy.md).
    PERSONAL: ClassVar[Personal] = Personal(subject="customer_id", fields={
        "received_by.name": ERASED, "received_by.title": ERASED, "findings.*.contact": None,
    })

    visit_id: str
    customer_id: str
    logged_by: str
    logged_on: date
    unplanned: bool
    actual_date: date
    purposes: tuple[VisitPurpose, ...]
    received_by: Receiver
    needs_and_problems: tuple[str, ...]
    attitude_to_products: str
    requests_and_suggestions: tuple[str, ...]
    findings: tuple[Finding, ...]
    objections: tuple[Objection, ...]
    information_presented: tuple[InformationTopic, ...]
    training_minutes: int
    training_reason: str | None
    training_meets_standard: bool  # V9: 60-120 minutes, for the dashboard's share
    gifts: tuple[Gift, ...]
    channel: VisitChannel | None


@dataclass(frozen=True)
class VisitReportFiled(Event):
    # V10: free text written about the people met.
    PERSONAL: ClassVar[Personal] = Personal(subject="customer_id", fields={
        "report": ERASED, "record_card": ERASED,
    })

    visit_id: str
    customer_id: str
    filed_by: str
    filed_on: date
    report: str
    record_card: str


@dataclass(frozen=True)
class RecordCommitment:
    visit_id: str
    commitment_id: str
    what: str
    due_date: date
    owner_id: str  # the user who answers for fulfilling it


@dataclass(frozen=True)
class FulfillCommitment:
    visit_id: str
    commitment_id: str
    fulfilled_on: date
    note: str | None = None


@dataclass(frozen=True)
class LogFollowUp:
    visit_id: str
    commitment_id: str
    followed_up_on: date
    satisfaction: int  # 1 (very dissatisfied) .. 5 (very satisfied)
    remarks: str | None = None


CommitmentCommand = RecordCommitment | FulfillCommitment | LogFollowUp


@dataclass(frozen=True)
class CommitmentRecorded(Event):
    visit_id: str
    customer_id: str
    commitment_id: str
    what: str
    due_date: date
    owner_id: str
    recorded_on: date


@dataclass(frozen=True)
class CommitmentFulfilled(Event):
    PERSONAL: ClassVar[Personal] = Personal(subject="customer_id", fields={"note": None})

    visit_id: str
    customer_id: str
    commitment_id: str
    fulfilled_on: date
    late: bool  # fulfilled after its due date
    follow_up_due: date  # V12
    note: str | None


@dataclass(frozen=True)
class FollowUpLogged(Event):
    PERSONAL: ClassVar[Personal] = Personal(subject="customer_id", fields={"remarks": None})

    visit_id: str
    customer_id: str
    commitment_id: str
    followed_up_on: date
    satisfaction: int
    remarks: str | None
    late: bool  # after follow_up_due


VisitCommand = PlanVisit | LogVisit | FileVisitReport | CommitmentCommand


# --- what a logged visit asks of the customer aggregate (V6) ----------------------------------

# Fixed forever: ids derived from it must come out the same on every retry of the process.
PROSPECT_NAMESPACE = uuid.UUID("5b0d8f8e-3c3a-4a51-9a53-6b1f0c7e2a10")


def prospects_found(event: VisitLogged) -> list[RegisterCustomer]:
    """V6: each prospect finding becomes a customer of status prospect. Ids are uuid5 of the
    visit id and the finding's index, so a retried process registers nobody twice (the second
    RegisterCustomer meets InvalidState, which the process treats as done)."""
    return [
        RegisterCustomer(
            customer_id=str(uuid.uuid5(PROSPECT_NAMESPACE, f"{event.visit_id}/finding/{i}")),
            organisation_name=f.organisation_name,
            tier=Tier.GENERAL,
            status=CustomerStatus.PROSPECT,
            contacts=(f.contact,) if f.contact else (),
            notes=f.description,
            source_visit_id=event.visit_id,
        )
        for i, f in enumerate(event.findings)
        if f.kind is FindingKind.PROSPECT and f.organisation_name
    ]


def credit_changes_found(event: VisitLogged) -> list[RecordCreditChange]:
    """V6: each credit-change finding, as the command that records it on the visited customer."""
    return [
        RecordCreditChange(
            customer_id=event.customer_id,
            change=f.change,
            cause=f.cause,
            direction=f.direction,
            source_visit_id=event.visit_id,
            source_finding=i,
        )
        for i, f in enumerate(event.findings)
        if f.kind is FindingKind.CREDIT_CHANGE and f.change and f.cause and f.direction
    ]
