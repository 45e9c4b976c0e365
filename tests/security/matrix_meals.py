"""Preconditions of the matrix's meal and restaurant-bill mutations, played through the meal
handlers with a chosen clock (tests/meals/flows.py), so a meal already held or a paperwork
deadline already missed costs milliseconds.

Separation of duties: every meal is requested by a staff colleague and approved by another
manager, so a manager caller is refused only for want of a role, never for acting on their own
request (that case has its own tests in tests/meals and test_mutation_role_matrix.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events import meals, restaurant_bills
from events.actors import Actor, Role
from events.bill_handlers import record_bill
from events.bill_matching import BillLine
from events.customer_values import Tier
from events.meal_commands import ApproveMeal, RecordMealCost, RequestMeal
from events.meal_types import MealType
from events.restaurant_bills import RecordRestaurantBill
from tests.meals.flows import meal_form, person, run, verbal_meal
from tests.meals.helpers import form, register_customer
from tests.random_refs import random_id
from tests.security.matrix_setup import Case, Env, Setup, ctx, owner_for

RESTAURANT = "Jade Garden"


def _now() -> datetime:
    return datetime.now(UTC)


async def requested(env: Env, requester: Actor, meal_at: datetime, *, approved: bool = False,
                    tier: Tier = Tier.IMPORTANT, **form_changes: object) -> str:
    """A meal `requester` asked for two days before `meal_at`, approved by another manager."""
    customer = await register_customer(env.store, tier)
    meal_id = random_id("mx-meal-")
    before = meal_at - timedelta(days=2)
    await run(env.store, requester, RequestMeal(
        meal_id, meal_form(customer, meal_at, RESTAURANT, **form_changes)), before)
    if approved:
        await run(env.store, person(Role.MANAGER), ApproveMeal(meal_id), before)
    return meal_id


def _meal_case(meal_id: str, **fields: object) -> Case:
    return Case({"mealId": meal_id, **fields}, meals.stream_id(meal_id))


async def request_case(env: Env, me: Actor) -> Case:
    customer = await register_customer(env.store)
    return Case(form(customer, _now() + timedelta(days=2)), None)


async def approve_case(env: Env, me: Actor) -> Case:
    meal_id = await requested(env, person(Role.STAFF), _now() + timedelta(days=2))
    return _meal_case(meal_id)


async def reject_case(env: Env, me: Actor) -> Case:
    meal_id = await requested(env, person(Role.STAFF), _now() + timedelta(days=2))
    return _meal_case(meal_id, reason="too dear")


async def approve_verbally_case(env: Env, me: Actor) -> Case:
    customer = await register_customer(env.store)
    return Case({"requestedBy": person(Role.STAFF).user_id, "customerId": customer,
                 "mealAt": (_now() + timedelta(minutes=30)).isoformat(),
                 "restaurant": RESTAURANT, "guests": 4, "accompanying": 2,
                 "mealType": "BANQUET", "host": "STAFF", "urgencyReason": "delegation early",
                 "estimatedTotal": "500.00"}, None)


async def complete_paperwork_case(env: Env, me: Actor) -> Case:
    # The caller is the one who asked; a manager approved by phone and recorded the cost.
    customer = await register_customer(env.store)
    meal_at, boss = _now() - timedelta(hours=1), person(Role.MANAGER)
    meal_id = await verbal_meal(env.store, customer, RESTAURANT, meal_at, me, boss)
    await run(env.store, boss, RecordMealCost(meal_id, 50_000, 0, 4, 2), _now())
    return _meal_case(meal_id, form=form(customer, meal_at, restaurant=RESTAURANT))


async def issue_vouchers_case(env: Env, me: Actor) -> Case:
    meal_id = await requested(env, person(Role.STAFF), _now() + timedelta(days=2),
                              approved=True, tier=Tier.GENERAL, meal_type=MealType.CANTEEN,
                              estimated_total_fen=6_000)
    return _meal_case(meal_id, count=6)


async def record_cost_case(env: Env, me: Actor) -> Case:
    meal_id = await requested(env, owner_for(me), _now() - timedelta(hours=1), approved=True)
    return _meal_case(meal_id, total="500.00", drinks="0", guests=4, accompanying=2)


async def sign_case(env: Env, me: Actor) -> Case:
    requester = person(Role.STAFF)
    meal_id = await requested(env, requester, _now() - timedelta(hours=1), approved=True)
    await run(env.store, requester, RecordMealCost(meal_id, 50_000, 0, 4, 2), _now())
    return _meal_case(meal_id, annotation="checked")


async def deny_case(env: Env, me: Actor) -> Case:
    # Ten days ago, approved by phone; the paperwork (3 working days) never came (M14).
    customer = await register_customer(env.store)
    meal_id = await verbal_meal(env.store, customer, RESTAURANT, _now() - timedelta(days=10),
                                person(Role.STAFF), person(Role.MANAGER))
    return _meal_case(meal_id, reason="written request never completed")


# --- restaurant bills (M13) -------------------------------------------------------------------
MONTH, LINE_DAY = "2024-06", "2024-06-05"


def _bill_case(restaurant: str, **fields: object) -> Case:
    return Case({"restaurant": restaurant, "month": MONTH, **fields},
                restaurant_bills.stream_id(restaurant, MONTH))


async def record_bill_case(env: Env, me: Actor) -> Case:
    return _bill_case(random_id("MX Garden "), lines=[
        {"lineNo": 1, "date": LINE_DAY, "amount": "100.00", "reference": "R-1"}])


async def settle_bill_case(env: Env, me: Actor) -> Case:
    restaurant = random_id("MX Garden ")
    line = BillLine(1, datetime.fromisoformat(LINE_DAY).date(), 10_000, "R-1")
    await record_bill(env.store, ctx(person(Role.STAFF)), RecordRestaurantBill(
        random_id("mx-bill-"), restaurant, MONTH, (line,)))
    return _bill_case(restaurant)


MEAL_SETUPS: dict[str, Setup] = {
    "requestMeal": request_case,
    "approveMeal": approve_case,
    "rejectMeal": reject_case,
    "approveMealVerbally": approve_verbally_case,
    "completeMealPaperwork": complete_paperwork_case,
    "issueMealVouchers": issue_vouchers_case,
    "recordMealCost": record_cost_case,
    "signMealCost": sign_case,
    "denyReimbursement": deny_case,
    "recordRestaurantBill": record_bill_case,
    "settleRestaurantBill": settle_bill_case,
}


# --- separation of duties: the caller (a manager) is the one who asked ------------------------
async def own_requested(env: Env, me: Actor) -> Case:
    meal_id = await requested(env, me, _now() + timedelta(days=2))
    return _meal_case(meal_id, reason="too dear")


async def own_held(env: Env, me: Actor) -> Case:
    meal_id = await requested(env, me, _now() - timedelta(hours=1), approved=True)
    await run(env.store, me, RecordMealCost(meal_id, 50_000, 0, 4, 2), _now())
    return _meal_case(meal_id, annotation="checked")


async def own_late_verbal(env: Env, me: Actor) -> Case:
    customer = await register_customer(env.store)
    meal_id = await verbal_meal(env.store, customer, RESTAURANT, _now() - timedelta(days=10),
                                me, person(Role.MANAGER))
    return _meal_case(meal_id, reason="written request never completed")


# mutation -> (precondition with the caller as requester, the rule that refuses)
OWN_REQUEST: dict[str, tuple[Setup, str]] = {
    "rejectMeal": (own_requested, "M2"),
    "signMealCost": (own_held, "M12"),
    "denyReimbursement": (own_late_verbal, "M14"),
}
