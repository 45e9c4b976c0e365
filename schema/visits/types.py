"""GraphQL types of visits (V1-V10), commitments (V11) and follow-ups (V12), from read-model
rows. The plan and log are stored as event JSON and decoded with the domain's own codec."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from events.customers.values import CreditDirection
from events.store.codec import from_data
from events.visits import values as vv
from events.visits.commands import VisitLogged, VisitPlanned
from events.visits.commitments import CommitmentStatus as DomainCommitmentStatus
from events.visits.model import VisitStatus as DomainVisitStatus
from schema.common import MutationOk, yuan
from schema.customers.types import ContactPerson

VisitPurpose = strawberry.enum(vv.VisitPurpose, name="VisitPurpose")
Material = strawberry.enum(vv.Material, name="Material")
VisitChannel = strawberry.enum(vv.VisitChannel, name="VisitChannel")
InformationTopic = strawberry.enum(vv.InformationTopic, name="InformationTopic")
FindingKind = strawberry.enum(vv.FindingKind, name="FindingKind")
VisitStatus = strawberry.enum(DomainVisitStatus, name="VisitStatus",
                              description="planned -> logged -> completed (report filed, V10)")
CommitmentStatus = strawberry.enum(DomainCommitmentStatus, name="CommitmentStatus")


@strawberry.type(description="The visit plan (V2, V3).")
class VisitPlan:
    planned_on: date
    objectives: list[str]
    sales_policy: str | None
    promotions: list[str]
    materials: list[vv.Material]
    materials_note: str | None


@strawberry.type
class Receiver:
    name: str
    title: str
    decision_maker: bool


@strawberry.type(description="Information collected on a visit (V6); fields of its kind only.")
class Finding:
    kind: vv.FindingKind
    organisation_name: str | None
    contact: ContactPerson | None
    competitor_name: str | None
    service_methods: str | None
    service_process: str | None
    staff_quality: str | None
    description: str | None
    change: str | None
    cause: str | None
    direction: CreditDirection | None


@strawberry.type
class Objection:
    objection: str
    handling: str


@strawberry.type
class Gift:
    item: str
    value: str = strawberry.field(description="Yuan, a decimal string.")


@strawberry.type(description="What the visit log records (V4-V9).")
class VisitLog:
    logged_by: str
    logged_on: date
    received_by: Receiver
    needs_and_problems: list[str]
    attitude_to_products: str
    requests_and_suggestions: list[str] = strawberry.field(description="Verbatim (V5).")
    findings: list[Finding]
    objections: list[Objection]
    information_presented: list[vv.InformationTopic]
    training_minutes: int
    training_reason: str | None
    training_meets_standard: bool = strawberry.field(description="V9: 1 to 2 hours.")
    gifts: list[Gift]
    channel: vv.VisitChannel | None


@strawberry.type
class Visit:
    id: strawberry.ID
    customer_id: strawberry.ID
    customer_name: str | None
    owner_id: str = strawberry.field(description="Who planned it (or logged it, if unplanned).")
    status: DomainVisitStatus
    unplanned: bool = strawberry.field(description="Logged without a plan (V2).")
    purposes: list[vv.VisitPurpose]
    planned_date: date | None
    actual_date: date | None
    plan: VisitPlan | None
    log: VisitLog | None
    report: str | None
    record_card: str | None
    report_filed_on: date | None

    @classmethod
    def from_row(cls, r: Any) -> Visit:
        return cls(
            id=strawberry.ID(r["visit_id"]), customer_id=strawberry.ID(r["customer_id"]),
            customer_name=r["organisation_name"], owner_id=r["owner_id"],
            status=DomainVisitStatus(r["status"]), unplanned=r["unplanned"],
            purposes=[vv.VisitPurpose(p) for p in r["purposes"]],
            planned_date=r["planned_date"], actual_date=r["actual_date"],
            plan=_plan(r["plan"]), log=_log(r["log"]), report=r["report"],
            record_card=r["record_card"], report_filed_on=r["report_filed_on"],
        )


def _plan(data: dict[str, Any] | None) -> VisitPlan | None:
    if data is None:
        return None
    e = from_data(VisitPlanned, data)
    return VisitPlan(planned_on=e.planned_on, objectives=list(e.objectives),
                     sales_policy=e.sales_policy, promotions=list(e.promotions),
                     materials=list(e.materials), materials_note=e.materials_note)


def _log(data: dict[str, Any] | None) -> VisitLog | None:
    if data is None:
        return None
    e = from_data(VisitLogged, data)
    return VisitLog(
        logged_by=e.logged_by, logged_on=e.logged_on,
        received_by=Receiver(name=e.received_by.name, title=e.received_by.title,
                             decision_maker=e.received_by.decision_maker),
        needs_and_problems=list(e.needs_and_problems),
        attitude_to_products=e.attitude_to_products,
        requests_and_suggestions=list(e.requests_and_suggestions),
        findings=[_finding(f) for f in e.findings],
        objections=[Objection(objection=o.objection, handling=o.handling) for o in e.objections],
        information_presented=list(e.information_presented),
        training_minutes=e.training_minutes, training_reason=e.training_reason,
        training_meets_standard=e.training_meets_standard,
        gifts=[Gift(item=g.item, value=yuan(g.value_fen) or "0.00") for g in e.gifts],
        channel=e.channel,
    )


def _finding(f: vv.Finding) -> Finding:
    return Finding(
        kind=f.kind, organisation_name=f.organisation_name,
        contact=ContactPerson.of(f.contact) if f.contact else None,
        competitor_name=f.competitor_name, service_methods=f.service_methods,
        service_process=f.service_process, staff_quality=f.staff_quality,
        description=f.description, change=f.change, cause=f.cause, direction=f.direction,
    )


@strawberry.type(description="A commitment made on a visit (V11) and its follow-up (V12).")
class Commitment:
    visit_id: strawberry.ID
    commitment_id: strawberry.ID
    customer_id: strawberry.ID
    owner_id: str = strawberry.field(description="Who answers for fulfilling it.")
    what: str
    due_date: date
    recorded_on: date
    status: DomainCommitmentStatus
    overdue: bool = strawberry.field(description="Open and past its due date (company today).")
    fulfilled_on: date | None
    fulfilment_note: str | None
    fulfilled_late: bool | None
    follow_up_due: date | None = strawberry.field(
        description="The follow-up visit is due by this date (fulfilment + the rule book's days)."
    )
    follow_up_overdue: bool = strawberry.field(
        description="Fulfilled, no follow-up logged, and past followUpDue (company today)."
    )
    followed_up_on: date | None
    satisfaction: int | None = strawberry.field(description="1 (very dissatisfied) to 5.")
    remarks: str | None
    follow_up_late: bool | None

    @classmethod
    def from_row(cls, r: Any) -> Commitment:
        return cls(
            visit_id=strawberry.ID(r["visit_id"]),
            commitment_id=strawberry.ID(r["commitment_id"]),
            customer_id=strawberry.ID(r["customer_id"]), owner_id=r["owner_id"],
            what=r["what"], due_date=r["due_date"], recorded_on=r["recorded_on"],
            status=DomainCommitmentStatus(r["status"]), overdue=r["overdue"],
            fulfilled_on=r["fulfilled_on"], fulfilment_note=r["fulfilment_note"],
            fulfilled_late=r["fulfilled_late"], follow_up_due=r["follow_up_due"],
            follow_up_overdue=r["follow_up_overdue"], followed_up_on=r["followed_up_on"],
            satisfaction=r["satisfaction"], remarks=r["remarks"],
            follow_up_late=r["follow_up_late"],
        )


@strawberry.type
class VisitMutationOk(MutationOk):
    visit_id: strawberry.ID
    status: DomainVisitStatus


@strawberry.type
class LogVisitOk(MutationOk):
    visit_id: strawberry.ID
    status: DomainVisitStatus
    unplanned: bool
    prospect_customer_ids: list[strawberry.ID] = strawberry.field(
        description="Customers of status prospect registered from this visit's findings (V6)."
    )
    credit_changes_recorded: int = strawberry.field(
        description="Credit-change findings recorded on the customer by this call (V6)."
    )


@strawberry.type
class CommitmentMutationOk(MutationOk):
    visit_id: strawberry.ID
    commitment_id: strawberry.ID
    status: DomainCommitmentStatus
    follow_up_due: date | None
