"""The customer view shows meal spend (issue 3's "meal spend once meals exist"): actual costs
recorded (M12), through the expenses read model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.live import LiveServer
from tests.meals.flows import person, seeded, signed_meal
from tests.meals.helpers import User, register_customer

CUSTOMER = """query($id: ID!, $at: Int) { customer(id: $id, atLeast: $at) {
  mealSpend mealsHeld } }"""


async def test_M12_customer_view_sums_recorded_meal_costs(
    live_server: LiveServer, store: EventStore
) -> None:
    customer = await register_customer(store)
    meal_at = datetime.now(UTC) - timedelta(days=3)
    await seeded(store, meal_at)
    staff, boss = person(Role.STAFF), person(Role.MANAGER)
    await signed_meal(store, customer, "Jade Garden", meal_at, 48_050, staff, boss)
    await signed_meal(store, customer, "Jade Garden", meal_at, 30_000, staff, boss)
    head = await store.head_position()
    view = (await User(live_server, Role.MANAGER).query(CUSTOMER, id=customer,
                                                        at=head))["customer"]
    assert view == {"mealSpend": "780.50", "mealsHeld": 2}
