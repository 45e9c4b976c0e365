"""Commands of the meal aggregate (M2-M4, M6, M9-M14): imperative, frozen, no behaviour.

`MealRequestForm` is the written request of M3/M4; both `RequestMeal` and the paperwork that
completes a verbally approved meal (`CompleteMealPaperwork`, M11) carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from events.policy.values import Host, MealType
from events.shared.errors import Problem, ValidationFailed
from events.shared.money import MAX_FEN
from events.shared.validation import MAX_TEXT

MAX_PERSONS = 500  # a bound that catches a mistyped headcount


@dataclass(frozen=True)
class MealRequestForm:
    customer_id: str
    organisation: str  # M3: the customer's organisation (单位)
    meal_at: datetime  # timezone-aware
    meal_type: MealType  # M3: the standard (标准)
    host: Host  # M4
    guests: int
    accompanying: int  # staff at the table, the manager included when attending (M8, M9)
    restaurant: str
    estimated_total_fen: int
    arranging_specialist: str | None = None  # M4: required when the manager hosts
    designated_restaurant: bool = False  # M6: the company's designated restaurant
    estimated_drinks_fen: int | None = None  # M7
    manager_attends: bool = False  # M9: the cost still goes to customer service
    exception_reason: str | None = None  # M6: asks the manager to approve a policy exception
    purpose: str = ""


@dataclass(frozen=True)
class RequestMeal:
    meal_id: str
    form: MealRequestForm


@dataclass(frozen=True)
class ApproveMeal:
    meal_id: str
    note: str = ""
    approve_exception: bool = False  # M6: must be True to approve a blocked request


@dataclass(frozen=True)
class RejectMeal:
    meal_id: str
    reason: str


@dataclass(frozen=True)
class ApproveMealVerbally:
    """M11: the manager records the verbal approval of an emergency meal."""

    meal_id: str
    requested_by: str  # user id of the staff member who asked
    customer_id: str
    meal_at: datetime
    restaurant: str
    guests: int
    accompanying: int
    meal_type: MealType
    host: Host
    urgency_reason: str
    organisation: str = ""
    estimated_total_fen: int | None = None
    approve_exception: bool = False  # M6, as for ApproveMeal


@dataclass(frozen=True)
class CompleteMealPaperwork:
    meal_id: str
    form: MealRequestForm


@dataclass(frozen=True)
class IssueMealVouchers:
    meal_id: str
    count: int


@dataclass(frozen=True)
class RecordMealCost:
    meal_id: str
    total_fen: int
    drinks_fen: int  # alcohol, drinks and fruit (M7)
    guests: int
    accompanying: int


@dataclass(frozen=True)
class SignMealCost:
    meal_id: str
    annotation: str = ""  # M12 注明; required when the actual bill breaks the rule book


@dataclass(frozen=True)
class SettleMeal:
    meal_id: str
    bill_id: str
    month: str  # "YYYY-MM"


@dataclass(frozen=True)
class DenyReimbursement:
    meal_id: str
    reason: str


MealCommand = (
    RequestMeal | ApproveMeal | RejectMeal | ApproveMealVerbally | CompleteMealPaperwork
    | IssueMealVouchers | RecordMealCost | SignMealCost | SettleMeal | DenyReimbursement
)


def text_problem(field: str, value: str | None, *, required: bool, rule: str) -> Problem | None:
    if value is None or not value.strip():
        return Problem(field, rule, f"{field} is required") if required else None
    if len(value) > MAX_TEXT:
        return Problem(field, rule, f"{field} is longer than {MAX_TEXT} characters")
    return None


def headcount_problems(guests: int, accompanying: int) -> list[Problem]:
    problems = []
    if not 1 <= guests <= MAX_PERSONS:
        problems.append(Problem("guests", "M3", f"guests must be 1 to {MAX_PERSONS}"))
    if not 0 <= accompanying <= MAX_PERSONS:
        problems.append(Problem("accompanying", "M3", f"accompanying must be 0 to {MAX_PERSONS}"))
    return problems


def amount_problems(
    total_field: str, total: int | None, drinks_field: str, drinks: int | None
) -> list[Problem]:
    problems = []
    if total is not None and not 0 <= total <= MAX_FEN:
        problems.append(Problem(total_field, "M3", "the amount must be 0 to 10,000,000 yuan"))
    if drinks is not None and (drinks < 0 or (total is not None and drinks > total)):
        problems.append(Problem(drinks_field, "M7", "drinks must be between 0 and the total"))
    return problems


def validate_form(form: MealRequestForm) -> None:
    """Every problem of a written request (M3, M4) at once; raises ValidationFailed."""
    problems = [
        p for p in (
            text_problem("customerId", form.customer_id, required=True, rule="M3"),
            text_problem("organisation", form.organisation, required=True, rule="M3"),
            text_problem("restaurant", form.restaurant, required=True, rule="M3"),
            text_problem("arrangingSpecialist", form.arranging_specialist,
                         required=form.host is Host.MANAGER, rule="M4"),
            text_problem("exceptionReason", form.exception_reason, required=False, rule="M6"),
            text_problem("purpose", form.purpose, required=False, rule="M3"),
        ) if p
    ]
    if form.meal_at.tzinfo is None:
        problems.append(Problem("mealAt", "M3", "the meal time needs a time zone"))
    problems += headcount_problems(form.guests, form.accompanying)
    problems += amount_problems("estimatedTotalFen", form.estimated_total_fen,
                                "estimatedDrinksFen", form.estimated_drinks_fen)
    if problems:
        raise ValidationFailed(problems)
