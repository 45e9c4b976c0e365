"""A command reads each stream it needs once: the runner loads the meal, the handler looks up
only the facts this command needs, and the answer is built from the state the runner returns
(issue: requestMeal used to read the meal twice, recordMealCost three times)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from events.meals.commands import ApproveMeal, RecordMealCost, RequestMeal
from events.meals.handlers import handle_meal
from events.meals.state import MealStatus
from events.shared.actors import Role
from events.shared.context import Context
from events.store.envelope import StoredEvent
from events.store.event_store import EventStore
from tests.meals.flows import meal_form, person, seeded
from tests.meals.helpers import register_customer
from tests.random_refs import random_id


class CountingStore(EventStore):
    """The real store, counting which streams each command reads."""

    def __init__(self, pool: Any) -> None:
        super().__init__(pool)
        self.reads: Counter[str] = Counter()

    async def read_stream(self, stream_id: str, *, until: datetime | None = None
                          ) -> list[StoredEvent]:
        self.reads[stream_id] += 1
        return await super().read_stream(stream_id, until=until)


async def test_M3_request_and_M12_cost_read_each_stream_once(store: EventStore) -> None:
    counting = CountingStore(store.pool)
    now = datetime.now(UTC)
    await seeded(counting, now)
    customer_id = await register_customer(counting)
    staff, boss = person(Role.STAFF), person(Role.MANAGER)
    meal_id, meal_at = random_id("meal-"), now + timedelta(days=3)

    counting.reads.clear()
    requested = await handle_meal(counting, Context(actor=staff, now=now), RequestMeal(
        meal_id, meal_form(customer_id, meal_at, "Jade Garden")))
    assert requested.state is not None and requested.state.status is MealStatus.REQUESTED
    assert counting.reads[f"meal-{meal_id}"] == 1
    assert counting.reads[f"customer-{customer_id}"] == 1
    assert max(counting.reads.values()) == 1, counting.reads

    await handle_meal(counting, Context(actor=boss, now=now), ApproveMeal(meal_id))
    counting.reads.clear()
    recorded = await handle_meal(counting, Context(actor=staff, now=meal_at + timedelta(hours=3)),
                                 RecordMealCost(meal_id, 54_000, 0, 4, 2))
    assert recorded.state is not None and recorded.state.status is MealStatus.HELD
    assert counting.reads[f"meal-{meal_id}"] == 1
    assert max(counting.reads.values()) == 1, counting.reads
