"""GraphQL inputs of the visit, commitment and follow-up mutations, as domain commands.

Text lengths, required entries and date order are the domain's checks (each problem names the
field and rule ID); here inputs are reshaped, money parsed from yuan and ids bounded.
"""

from __future__ import annotations

from datetime import date

import strawberry

from events.customers.values import CreditDirection
from events.shared.errors import ValidationFailed
from events.visits import commands as ve
from events.visits import values as vv
from events.visits.model import VisitStatus
from schema.common import fen
from schema.customers.inputs import ContactInput
from schema.entity_ids import ref
from schema.visits import types as visit_types  # noqa: F401  (declares the GraphQL enums used here)

ID_HELP = "A UUID chosen by the client; the server makes one if omitted."


@strawberry.input(description="V2, V3: customer, date, purposes, objectives, what to present.")
class PlanVisitInput:
    id: strawberry.ID | None = strawberry.field(default=None, description=ID_HELP)
    customer_id: strawberry.ID
    planned_date: date
    purposes: list[vv.VisitPurpose]
    objectives: list[str]
    sales_policy: str | None = None
    promotions: list[str] = strawberry.field(default_factory=list)
    materials: list[vv.Material] = strawberry.field(default_factory=list)
    materials_note: str | None = None

    def to_command(self, visit_id: str) -> ve.PlanVisit:
        return ve.PlanVisit(
            visit_id=visit_id, customer_id=ref(self.customer_id, "customerId"),
            planned_date=self.planned_date, purposes=tuple(self.purposes),
            objectives=tuple(self.objectives), sales_policy=self.sales_policy,
            promotions=tuple(self.promotions), materials=tuple(self.materials),
            materials_note=self.materials_note,
        )


@strawberry.input
class ReceiverInput:
    name: str
    title: str
    decision_maker: bool


@strawberry.input(description="One V6 finding; give only the fields of its kind.")
class FindingInput:
    kind: vv.FindingKind
    organisation_name: str | None = None
    contact: ContactInput | None = None
    competitor_name: str | None = None
    service_methods: str | None = None
    service_process: str | None = None
    staff_quality: str | None = None
    description: str | None = None
    change: str | None = None
    cause: str | None = None
    direction: CreditDirection | None = None

    def to_value(self) -> vv.Finding:
        return vv.Finding(
            kind=self.kind, organisation_name=self.organisation_name,
            contact=self.contact.to_value() if self.contact else None,
            competitor_name=self.competitor_name, service_methods=self.service_methods,
            service_process=self.service_process, staff_quality=self.staff_quality,
            description=self.description, change=self.change, cause=self.cause,
            direction=self.direction,
        )


@strawberry.input
class ObjectionInput:
    objection: str
    handling: str


@strawberry.input
class GiftInput:
    item: str
    value: str = strawberry.field(description="Yuan, a decimal string such as \"88.00\".")


@strawberry.input(description="V4-V9. A visit without a plan needs unplanned: true, "
                  "customerId and purposes (V2).")
class LogVisitInput:
    visit_id: strawberry.ID | None = strawberry.field(
        default=None, description="The planned visit; for an unplanned one, optional: " + ID_HELP
    )
    actual_date: date
    received_by: ReceiverInput
    attitude_to_products: str
    training_minutes: int
    training_reason: str | None = None
    needs_and_problems: list[str] = strawberry.field(default_factory=list)
    requests_and_suggestions: list[str] = strawberry.field(default_factory=list)
    findings: list[FindingInput] = strawberry.field(default_factory=list)
    objections: list[ObjectionInput] = strawberry.field(default_factory=list)
    information_presented: list[vv.InformationTopic] = strawberry.field(default_factory=list)
    gifts: list[GiftInput] = strawberry.field(default_factory=list)
    channel: vv.VisitChannel | None = None
    unplanned: bool = False
    customer_id: strawberry.ID | None = None
    purposes: list[vv.VisitPurpose] = strawberry.field(default_factory=list)

    def to_command(self, visit_id: str) -> ve.LogVisit:
        r = self.received_by
        return ve.LogVisit(
            visit_id=visit_id, actual_date=self.actual_date,
            received_by=vv.Receiver(name=r.name, title=r.title, decision_maker=r.decision_maker),
            attitude_to_products=self.attitude_to_products,
            training_minutes=self.training_minutes, training_reason=self.training_reason,
            needs_and_problems=tuple(self.needs_and_problems),
            requests_and_suggestions=tuple(self.requests_and_suggestions),
            findings=tuple(f.to_value() for f in self.findings),
            objections=tuple(vv.Objection(o.objection, o.handling) for o in self.objections),
            information_presented=tuple(self.information_presented),
            gifts=tuple(self._gift(i, g) for i, g in enumerate(self.gifts)),
            channel=self.channel, unplanned=self.unplanned,
            customer_id=None if self.customer_id is None else ref(self.customer_id, "customerId"),
            purposes=tuple(self.purposes),
        )

    @staticmethod
    def _gift(i: int, g: GiftInput) -> vv.Gift:
        value = fen(g.value, f"gifts[{i}].value")
        assert value is not None
        return vv.Gift(item=g.item, value_fen=value)

    def planned_visit_id(self) -> str:
        if self.visit_id is None:
            raise ValidationFailed.single(
                "visitId", "name the planned visit, or log it with unplanned: true", "V2")
        return ref(self.visit_id, "visitId")


@strawberry.input(description="V10: the visit report and the visit record card.")
class FileVisitReportInput:
    visit_id: strawberry.ID
    report: str
    record_card: str

    def to_command(self) -> ve.FileVisitReport:
        return ve.FileVisitReport(visit_id=ref(self.visit_id, "visitId"), report=self.report,
                                  record_card=self.record_card)


@strawberry.input(description="V11: what was promised, by when, and who answers for it.")
class RecordCommitmentInput:
    visit_id: strawberry.ID
    id: strawberry.ID | None = strawberry.field(default=None, description=ID_HELP)
    what: str
    due_date: date
    owner_id: str | None = strawberry.field(default=None, description="Default: the caller.")

    def to_command(self, commitment_id: str, caller: str) -> ve.RecordCommitment:
        return ve.RecordCommitment(
            visit_id=ref(self.visit_id, "visitId"), commitment_id=commitment_id, what=self.what,
            due_date=self.due_date, owner_id=self.owner_id if self.owner_id is not None else caller,
        )


@strawberry.input
class FulfillCommitmentInput:
    visit_id: strawberry.ID
    commitment_id: strawberry.ID
    fulfilled_on: date | None = strawberry.field(default=None, description="Default: today.")
    note: str | None = None

    def to_command(self, today: date) -> ve.FulfillCommitment:
        return ve.FulfillCommitment(
            visit_id=ref(self.visit_id, "visitId"),
            commitment_id=ref(self.commitment_id, "commitmentId"),
            fulfilled_on=self.fulfilled_on or today, note=self.note,
        )


@strawberry.input(description="V12: the follow-up visit after a fulfilled commitment.")
class LogFollowUpInput:
    visit_id: strawberry.ID
    commitment_id: strawberry.ID
    satisfaction: int = strawberry.field(description="1 (very dissatisfied) to 5.")
    followed_up_on: date | None = strawberry.field(default=None, description="Default: today.")
    remarks: str | None = None

    def to_command(self, today: date) -> ve.LogFollowUp:
        return ve.LogFollowUp(
            visit_id=ref(self.visit_id, "visitId"),
            commitment_id=ref(self.commitment_id, "commitmentId"),
            followed_up_on=self.followed_up_on or today, satisfaction=self.satisfaction,
            remarks=self.remarks,
        )


@strawberry.input(description="Every given criterion must hold.")
class VisitFilter:
    customer_id: strawberry.ID | None = None
    staff_id: str | None = strawberry.field(default=None, description="The visit's owner.")
    date_from: date | None = strawberry.field(
        default=None, description="Actual date once logged, else planned date; inclusive."
    )
    date_to: date | None = None
    status: VisitStatus | None = None
    purpose: vv.VisitPurpose | None = None
    unplanned: bool | None = None


@strawberry.input
class CommitmentFilter:
    customer_id: strawberry.ID | None = None
    visit_id: strawberry.ID | None = None
    owner_id: str | None = None
