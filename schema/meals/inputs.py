"""Inputs of the meal mutations and their conversion to domain commands (money parsed with fen,
ids bounded). A malformed input raises ValidationFailed, which `attempt` turns into a typed
result: nothing is written."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from events.bills.matching import BillLine
from events.meals.commands import ApproveMealVerbally, MealRequestForm, RecordMealCost
from events.policy.values import Host, MealType
from events.shared.errors import ValidationFailed
from schema.common import MAX_NAME, fen


def bounded(value: str, field: str, limit: int = MAX_NAME) -> str:
    if len(value) > limit:
        raise ValidationFailed.single(field, f"{field} is longer than {limit} characters")
    return value



@strawberry.input(description="The written meal request (M3, M4). Amounts in yuan, e.g. '540.00'.")
class MealFormInput:
    customer_id: str
    organisation: str
    meal_at: datetime
    meal_type: MealType
    host: Host
    guests: int
    accompanying: int
    restaurant: str
    estimated_total: str
    estimated_drinks: str | None = None
    arranging_specialist: str | None = strawberry.field(
        default=None, description="M4: required when the manager hosts.")
    designated_restaurant: bool = False
    manager_attends: bool = False
    exception_reason: str | None = strawberry.field(
        default=None, description="M6: asks the manager to approve a policy exception; a "
        "request over a cap without one is refused (PolicyBlockedError).")
    purpose: str = ""

    def to_form(self) -> MealRequestForm:
        total = fen(self.estimated_total, "estimatedTotal")
        assert total is not None
        return MealRequestForm(
            customer_id=bounded(self.customer_id, "customerId"),
            organisation=self.organisation, meal_at=self.meal_at, meal_type=self.meal_type,
            host=self.host, guests=self.guests, accompanying=self.accompanying,
            restaurant=self.restaurant, estimated_total_fen=total,
            arranging_specialist=self.arranging_specialist,
            designated_restaurant=self.designated_restaurant,
            estimated_drinks_fen=fen(self.estimated_drinks, "estimatedDrinks"),
            manager_attends=self.manager_attends, exception_reason=self.exception_reason,
            purpose=self.purpose,
        )


@strawberry.input
class ApproveMealInput:
    meal_id: strawberry.ID
    note: str = ""
    approve_exception: bool = strawberry.field(
        default=False, description="M6: must be true to approve a policy exception.")


@strawberry.input
class MealReasonInput:
    meal_id: strawberry.ID
    reason: str


@strawberry.input(description="M11: the manager records a verbal emergency approval.")
class ApproveMealVerballyInput:
    requested_by: str
    customer_id: str
    meal_at: datetime
    restaurant: str
    guests: int
    accompanying: int
    meal_type: MealType
    host: Host
    urgency_reason: str
    organisation: str = ""
    estimated_total: str | None = None
    approve_exception: bool = False

    def to_command(self, meal_id: str) -> ApproveMealVerbally:
        return ApproveMealVerbally(
            meal_id=meal_id, requested_by=bounded(self.requested_by, "requestedBy"),
            customer_id=bounded(self.customer_id, "customerId"), meal_at=self.meal_at,
            restaurant=self.restaurant, guests=self.guests, accompanying=self.accompanying,
            meal_type=self.meal_type, host=self.host, urgency_reason=self.urgency_reason,
            organisation=bounded(self.organisation, "organisation", 2000),
            estimated_total_fen=fen(self.estimated_total, "estimatedTotal"),
            approve_exception=self.approve_exception,
        )


@strawberry.input
class CompleteMealPaperworkInput:
    meal_id: strawberry.ID
    form: MealFormInput


@strawberry.input
class IssueMealVouchersInput:
    meal_id: strawberry.ID
    count: int


@strawberry.input(description="M12: the actual cost after the meal.")
class RecordMealCostInput:
    meal_id: strawberry.ID
    total: str
    drinks: str = strawberry.field(description="Alcohol, drinks and fruit (M7).")
    guests: int
    accompanying: int

    def to_command(self) -> RecordMealCost:
        total, drinks = fen(self.total, "total"), fen(self.drinks, "drinks")
        assert total is not None and drinks is not None
        return RecordMealCost(meal_id(self.meal_id), total, drinks, self.guests,
                              self.accompanying)


@strawberry.input
class SignMealCostInput:
    meal_id: strawberry.ID
    annotation: str = strawberry.field(
        default="", description="M12: required when the actual bill breaks the rule book.")


@strawberry.input
class BillLineInput:
    line_no: int
    date: date
    amount: str
    reference: str
    meal_id: strawberry.ID | None = None

    def to_line(self) -> BillLine:
        amount = fen(self.amount, "lines.amount")
        assert amount is not None
        return BillLine(self.line_no, self.date, amount, bounded(self.reference, "reference"),
                        meal_id(self.meal_id) if self.meal_id is not None else None)


@strawberry.input(description="M13: a designated restaurant's bill for one month.")
class RecordRestaurantBillInput:
    restaurant: str
    month: str = strawberry.field(description="YYYY-MM")
    lines: list[BillLineInput]
    bill_id: str | None = strawberry.field(
        default=None, description="The restaurant's invoice number; derived if omitted.")


@strawberry.input
class SettleRestaurantBillInput:
    restaurant: str
    month: str
    note: str = ""


def meal_id(value: strawberry.ID | str) -> str:
    return bounded(str(value), "mealId")
