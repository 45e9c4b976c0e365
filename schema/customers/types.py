"""GraphQL types of the customer view, and their conversion from read-model rows."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from events.customers import values as cv
from events.shared.money import format_fen
from events.store.codec import from_data
from schema.common import MutationOk

# GraphQL enums over the domain's StrEnums: an unknown value is refused by GraphQL itself,
# naming the input path, before any resolver runs (so nothing can be written).
from schema.enums import (  # noqa: F401  (re-exported for this module's users)
    AgeBand,
    Area,
    BuyingChannel,
    CreditDirection,
    CustomerStatus,
    CustomerTier,
    DemandType,
    Gender,
    Region,
    Spending,
    WageBand,
)


@strawberry.type
class ContactPerson:
    name: str
    title: str
    decision_maker: bool
    phone: str | None

    @classmethod
    def of(cls, c: cv.Contact) -> ContactPerson:
        return cls(name=c.name, title=c.title, decision_maker=c.decision_maker, phone=c.phone)


@strawberry.type(description="The T1 classification attributes; null where not known.")
class CustomerClassification:
    gender: cv.Gender | None
    age_band: cv.AgeBand | None
    area: cv.Area | None
    region: cv.Region | None
    spending: cv.Spending | None
    demand_type: cv.DemandType | None
    wage_band: cv.WageBand | None
    buying_channel: cv.BuyingChannel | None


@strawberry.type(description="Credit changes (信用异动) recorded for the customer (V6).")
class CreditStatus:
    changes: int
    direction: cv.CreditDirection | None = strawberry.field(
        description="Direction of the most recent change; null when none was recorded."
    )
    last_change: str | None
    last_cause: str | None
    last_recorded_on: date | None


@strawberry.type(description="A customer record: profile, contacts, tier, status, credit and "
                 "the state of its visits, commitments (V11) and follow-ups (V12).")
class Customer:
    id: strawberry.ID
    organisation_name: str
    tier: cv.Tier
    status: cv.CustomerStatus
    contacts: list[ContactPerson]
    notes: str | None
    classification: CustomerClassification
    source_visit_id: str | None = strawberry.field(
        description="The visit whose prospect finding (V6) created this record."
    )
    registered_on: date
    credit: CreditStatus
    visit_count: int = strawberry.field(description="Visits logged (V4), planned ones excluded.")
    last_visit_date: date | None
    open_commitments: int
    overdue_commitments: int = strawberry.field(
        description="Open commitments past their due date (company time zone's today)."
    )
    follow_ups_due: int = strawberry.field(
        description="Fulfilled commitments whose follow-up visit is not yet logged (V12)."
    )
    follow_ups_overdue: int
    meal_spend: str = strawberry.field(
        description="Yuan spent on this customer's meals: actual costs recorded (M12), "
        "rejected and denied meals excluded."
    )
    meals_held: int
    personal_data_erased: bool = strawberry.field(
        default=False,
        description="True once the customer's personal data was erased (erasePersonalData, "
        "docs/privacy.md): contacts read as empty, notes and the individual T1 attributes "
        "(gender, age band, wage level) as null, in every read, replay and export.")

    @classmethod
    def from_row(cls, r: Any) -> Customer:
        contacts = from_data(tuple[cv.Contact, ...], r["contacts"])
        return cls(
            id=strawberry.ID(r["customer_id"]),
            organisation_name=r["organisation_name"],
            tier=cv.Tier(r["tier"]),
            status=cv.CustomerStatus(r["status"]),
            contacts=[ContactPerson.of(c) for c in contacts],
            notes=r["notes"],
            classification=CustomerClassification(
                gender=_opt(cv.Gender, r["gender"]),
                age_band=_opt(cv.AgeBand, r["age_band"]),
                area=_opt(cv.Area, r["area"]),
                region=_opt(cv.Region, r["region"]),
                spending=_opt(cv.Spending, r["spending"]),
                demand_type=_opt(cv.DemandType, r["demand_type"]),
                wage_band=_opt(cv.WageBand, r["wage_band"]),
                buying_channel=_opt(cv.BuyingChannel, r["buying_channel"]),
            ),
            source_visit_id=r["source_visit_id"],
            registered_on=r["registered_on"],
            credit=CreditStatus(
                changes=r["credit_changes"],
                direction=_opt(cv.CreditDirection, r["credit_direction"]),
                last_change=r["last_credit_change"],
                last_cause=r["last_credit_cause"],
                last_recorded_on=r["last_credit_on"],
            ),
            visit_count=r["visit_count"],
            last_visit_date=r["last_visit_date"],
            open_commitments=r["open_commitments"],
            overdue_commitments=r["overdue_commitments"],
            follow_ups_due=r["follow_ups_due"],
            follow_ups_overdue=r["follow_ups_overdue"],
            meal_spend=format_fen(r["meal_spend_fen"]),
            meals_held=r["meals_held"],
            personal_data_erased=r["personal_data_erased"],
        )


def _opt(enum: Any, value: str | None) -> Any:
    return None if value is None else enum(value)


@strawberry.type
class CustomerMutationOk(MutationOk):
    customer_id: strawberry.ID
