"""GraphQL inputs of the customer mutations, and their conversion into domain commands.

Lengths and formats of text are checked by the domain (one list of problems, each naming the
field and rule); here inputs are only reshaped.
"""

from __future__ import annotations

import strawberry

from events.customers import commands as ce
from events.customers import values as cv
from schema.customers import types as customer_types  # noqa: F401  (declares the GraphQL enums used here)
from schema.entity_ids import ref


@strawberry.input
class ContactInput:
    name: str
    title: str = ""
    decision_maker: bool = False
    phone: str | None = None

    def to_value(self) -> cv.Contact:
        return cv.Contact(name=self.name, title=self.title, decision_maker=self.decision_maker,
                          phone=self.phone)


@strawberry.input(description="T1 attributes; omitted ones are unknown (on update: unchanged).")
class ClassificationInput:
    gender: cv.Gender | None = None
    age_band: cv.AgeBand | None = None
    area: cv.Area | None = None
    region: cv.Region | None = None
    spending: cv.Spending | None = None
    demand_type: cv.DemandType | None = None
    wage_band: cv.WageBand | None = None
    buying_channel: cv.BuyingChannel | None = None

    def to_value(self) -> cv.Classification:
        return cv.Classification(
            gender=self.gender, age_band=self.age_band, area=self.area, region=self.region,
            spending=self.spending, demand_type=self.demand_type, wage_band=self.wage_band,
            buying_channel=self.buying_channel,
        )


def _contacts(items: list[ContactInput]) -> tuple[cv.Contact, ...]:
    return tuple(c.to_value() for c in items)


@strawberry.input
class RegisterCustomerInput:
    id: strawberry.ID | None = strawberry.field(
        default=None, description="A UUID chosen by the client; the server makes one if omitted."
    )
    organisation_name: str
    tier: cv.Tier = cv.Tier.GENERAL
    status: cv.CustomerStatus = cv.CustomerStatus.ACTIVE
    contacts: list[ContactInput] = strawberry.field(default_factory=list)
    classification: ClassificationInput | None = None
    notes: str | None = None

    def to_command(self, customer_id: str) -> ce.RegisterCustomer:
        return ce.RegisterCustomer(
            customer_id=customer_id, organisation_name=self.organisation_name, tier=self.tier,
            status=self.status, contacts=_contacts(self.contacts),
            classification=(self.classification or ClassificationInput()).to_value(),
            notes=self.notes,
        )


@strawberry.input(description="Partial update: omitted fields are unchanged; contacts, when "
                  "given, replace the list.")
class UpdateCustomerInput:
    customer_id: strawberry.ID
    organisation_name: str | None = None
    contacts: list[ContactInput] | None = None
    classification: ClassificationInput | None = None
    notes: str | None = None

    def to_command(self) -> ce.UpdateCustomer:
        return ce.UpdateCustomer(
            customer_id=ref(self.customer_id, "customerId"),
            organisation_name=self.organisation_name,
            contacts=None if self.contacts is None else _contacts(self.contacts),
            classification=self.classification.to_value() if self.classification else None,
            notes=self.notes,
        )


@strawberry.input(description="A credit change (信用异动) and its cause (V6).")
class RecordCreditChangeInput:
    customer_id: strawberry.ID
    change: str
    cause: str
    direction: cv.CreditDirection

    def to_command(self) -> ce.RecordCreditChange:
        return ce.RecordCreditChange(customer_id=ref(self.customer_id, "customerId"),
                                     change=self.change, cause=self.cause,
                                     direction=self.direction)


@strawberry.input
class ChangeCustomerTierInput:
    customer_id: strawberry.ID
    tier: cv.Tier
    reason: str | None = None

    def to_command(self) -> ce.ChangeCustomerTier:
        return ce.ChangeCustomerTier(customer_id=ref(self.customer_id, "customerId"),
                                     tier=self.tier, reason=self.reason)


@strawberry.input(description="A prospect (准客户, V6) becomes an active customer.")
class PromoteProspectInput:
    customer_id: strawberry.ID

    def to_command(self) -> ce.PromoteProspect:
        return ce.PromoteProspect(customer_id=ref(self.customer_id, "customerId"))


@strawberry.input(description="active <-> inactive, or drop a prospect (-> inactive).")
class ChangeCustomerStatusInput:
    customer_id: strawberry.ID
    status: cv.CustomerStatus
    reason: str | None = None

    def to_command(self) -> ce.ChangeCustomerStatus:
        return ce.ChangeCustomerStatus(customer_id=ref(self.customer_id, "customerId"),
                                       status=self.status, reason=self.reason)


@strawberry.input
class CustomerFilter:
    tier: cv.Tier | None = None
    status: cv.CustomerStatus | None = None
    region: cv.Region | None = None
    name_contains: str | None = strawberry.field(
        default=None, description="Case-insensitive part of the organisation name."
    )
