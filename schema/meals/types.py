"""GraphQL types of meal entertainment: enums over the domain's, findings, the policy-block
error, and the meal request as the read model shows it (converted at the edge by from_row).

Imported by every meal API module before any result union is built: it registers
PolicyBlockedError, so the unions include it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg
import strawberry
from strawberry.types import Info

from events.integration.public import api_role
from events.meals import model as meals
from events.meals.state import MealStatus
from events.policy.values import CustomerTier, Host, MealType
from events.store.envelope import StoredEvent
from schema.common import yuan
from schema.context import ctx_of
from schema.documents.types import Document, meal_documents, no_receipt_reasons
from schema.errors import MealFinding as MealFinding
from schema.errors import PolicyBlockedError as PolicyBlockedError
from schema.loaders import stream_loader
from schema.positions import Position


@strawberry.type(description="One step in a meal's history, from its event stream.")
class MealHistoryEntry:
    position: Position
    type: str
    at: datetime
    actor_id: str
    actor_role: str
    policy_version: int | None

    @classmethod
    def of(cls, e: StoredEvent) -> MealHistoryEntry:
        return cls(position=Position(e.position), type=e.event_type, at=e.recorded_at,
                   actor_id=e.metadata.actor_id, actor_role=api_role(e.metadata.actor_role),
                   policy_version=e.metadata.policy_version)


@strawberry.type(description="A customer meal request: its state, findings and decisions.")
class MealRequest:
    id: strawberry.ID
    status: MealStatus
    requested_by: str
    requested_at: datetime
    customer_id: str
    organisation: str
    customer_tier: CustomerTier
    meal_type: MealType
    host: Host
    meal_at: datetime
    restaurant: str
    guests: int
    accompanying: int
    estimated_total: str | None
    estimated_drinks: str | None
    arranging_specialist: str | None
    designated_restaurant: bool
    manager_attends: bool = strawberry.field(
        description="M9: the cost still goes to the customer service department.")
    purpose: str
    policy_version: int = strawberry.field(
        description="The rule-book version the request was decided under (M15).")
    findings: list[MealFinding]
    policy_exception: bool
    exception_reason: str | None
    exception_approved: bool
    verbal: bool
    urgency_reason: str | None
    paperwork_due: date | None
    approved_by: str | None
    decision_note: str | None
    vouchers_issued: int
    total: str | None
    drinks: str | None
    cost_findings: list[MealFinding]
    cost_policy_version: int | None
    signed_by: str | None
    annotation: str | None
    bill_id: str | None
    settled_month: str | None
    denial_reason: str | None
    unapproved: bool = strawberry.field(
        description="M14: held without approval and reported afterwards.")
    unapproved_reason: str | None
    tier_change: str | None = strawberry.field(
        description="M5: the customer's tier changed shortly before or after this request; the "
        "meal keeps the tier in force when it was requested.")
    updated_at: datetime

    @strawberry.field(description="Every event of this meal in order, with who, when and the "
                      "rule-book version: what an auditor replays.")
    async def history(self, info: Info[Any, Any]) -> list[MealHistoryEntry]:
        # One query for all the meals of the page (schema/loaders.py), not one per meal.
        events = await stream_loader(ctx_of(info)).load(meals.stream_id(str(self.id)))
        return [MealHistoryEntry.of(e) for e in events]

    @strawberry.field(description="M12: the receipts and invoices attached to this meal, in "
                      "the order they were attached.")
    async def documents(self, info: Info[Any, Any]) -> list[Document]:
        return await meal_documents(ctx_of(info)).load(str(self.id))

    @strawberry.field(description="M12: why the cost has no receipt, as given with "
                      "explainMissingReceipt (null: none given).")
    async def no_receipt_reason(self, info: Info[Any, Any]) -> str | None:
        return await no_receipt_reasons(ctx_of(info)).load(str(self.id))


def meal_from_row(r: asyncpg.Record) -> MealRequest:
    return MealRequest(
        id=strawberry.ID(r["meal_id"]), status=MealStatus(r["status"]),
        requested_by=r["requested_by"], requested_at=r["requested_at"],
        customer_id=r["customer_id"], organisation=r["organisation"],
        customer_tier=CustomerTier(r["customer_tier"]), meal_type=MealType(r["meal_type"]),
        host=Host(r["host"]), meal_at=r["meal_at"], restaurant=r["restaurant"],
        guests=r["guests"], accompanying=r["accompanying"],
        estimated_total=yuan(r["estimated_total_fen"]),
        estimated_drinks=yuan(r["estimated_drinks_fen"]),
        arranging_specialist=r["arranging_specialist"],
        designated_restaurant=r["designated_restaurant"], manager_attends=r["manager_attends"],
        purpose=r["purpose"], policy_version=r["policy_version"],
        findings=[MealFinding.from_json(f) for f in r["findings"]],
        policy_exception=r["policy_exception"], exception_reason=r["exception_reason"],
        exception_approved=r["exception_approved"], verbal=r["verbal"],
        urgency_reason=r["urgency_reason"], paperwork_due=r["paperwork_due"],
        approved_by=r["approved_by"], decision_note=r["decision_note"],
        vouchers_issued=r["vouchers_issued"], total=yuan(r["total_fen"]),
        drinks=yuan(r["drinks_fen"]),
        cost_findings=[MealFinding.from_json(f) for f in r["cost_findings"]],
        cost_policy_version=r["cost_policy_version"], signed_by=r["signed_by"],
        annotation=r["annotation"], bill_id=r["bill_id"], settled_month=r["settled_month"],
        denial_reason=r["denial_reason"], unapproved=r["unapproved"],
        unapproved_reason=r["unapproved_reason"], tier_change=r["tier_change"],
        updated_at=r["updated_at"],
    )
