"""Meals driven through the handlers with a chosen clock (Context.now), so a meal's past (a
deadline missed, a month gone by) is built in milliseconds; then the API is asked about it."""

from __future__ import annotations

from datetime import datetime, timedelta

from events.meals.commands import (
    ApproveMeal,
    ApproveMealVerbally,
    MealCommand,
    MealRequestForm,
    RecordMealCost,
    RequestMeal,
    SignMealCost,
)
from events.meals.handlers import handle_meal
from events.policy.handlers import install_seed
from events.policy.values import Host, MealType
from events.shared.actors import SYSTEM, Actor, Role
from events.shared.context import Context
from events.store.event_store import AppendResult, EventStore
from tests.random_refs import random_id


def person(role: Role) -> Actor:
    return Actor(random_id(f"{role.value}-"), role.value.title(), role)


async def seeded(store: EventStore, now: datetime) -> None:
    await install_seed(store, Context(actor=SYSTEM, now=now))


async def run(store: EventStore, actor: Actor, command: MealCommand,
              now: datetime) -> AppendResult:
    return (await handle_meal(store, Context(actor=actor, now=now), command)).result


def meal_form(customer: str, meal_at: datetime, restaurant: str, **changes: object
              ) -> MealRequestForm:
    values: dict[str, object] = {
        "customer_id": customer, "organisation": "Huaxin Ltd", "meal_at": meal_at,
        "meal_type": MealType.BANQUET, "host": Host.STAFF, "guests": 4, "accompanying": 2,
        "restaurant": restaurant, "estimated_total_fen": 54_000, **changes,
    }
    return MealRequestForm(**values)  # type: ignore[arg-type]


async def signed_meal(store: EventStore, customer: str, restaurant: str, meal_at: datetime,
                      total_fen: int, requester: Actor, boss: Actor, **form: object) -> str:
    """request -> approve -> held -> signed, each on its own day's clock."""
    meal_id = random_id("meal-")
    before, after = meal_at - timedelta(days=2), meal_at + timedelta(hours=3)
    await run(store, requester, RequestMeal(meal_id, meal_form(customer, meal_at, restaurant,
                                                               **form)), before)
    await run(store, boss, ApproveMeal(meal_id), before)
    await run(store, requester, RecordMealCost(meal_id, total_fen, 0, 4, 2), after)
    await run(store, boss, SignMealCost(meal_id, "checked"), after)
    return meal_id


async def verbal_meal(store: EventStore, customer: str, restaurant: str, meal_at: datetime,
                      requester: Actor, boss: Actor) -> str:
    meal_id = random_id("meal-")
    await run(store, boss, ApproveMealVerbally(
        meal_id, requested_by=requester.user_id, customer_id=customer, meal_at=meal_at,
        restaurant=restaurant, guests=4, accompanying=2, meal_type=MealType.BANQUET,
        host=Host.STAFF, urgency_reason="delegation arrived early", organisation="Huaxin",
        estimated_total_fen=50_000), meal_at)
    return meal_id
