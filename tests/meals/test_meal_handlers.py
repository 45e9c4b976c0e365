"""The meal and bill handlers on real PostgreSQL, with the clock set by Context.now."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from events.bills.handlers import Candidates, record_bill, settle_bill
from events.bills.matching import BillLine
from events.bills.model import RecordRestaurantBill, SettleRestaurantBill
from events.bills.model import stream_id as bill_stream
from events.meals.commands import CompleteMealPaperwork, DenyReimbursement, RecordMealCost
from events.meals.events import MealReimbursementDenied, MealSettled
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import DomainError, Forbidden, InvalidState, NotFound
from events.store.event_store import EventStore
from tests.meals.flows import meal_form, person, run, seeded, signed_meal, verbal_meal
from tests.meals.helpers import register_customer
from tests.random_refs import random_id

MEAL_AT = datetime(2024, 6, 5, 11, 0, tzinfo=UTC)  # Wednesday 19:00 in Shanghai
JUNE_5 = date(2024, 6, 5)


def candidates(*meal_ids: str) -> Candidates:
    async def find(restaurant: str) -> Sequence[str]:
        return meal_ids
    return find


async def test_M14_reimbursement_is_denied_only_after_the_paperwork_deadline(
    store: EventStore
) -> None:
    await seeded(store, MEAL_AT)
    staff, boss = person(Role.STAFF), person(Role.MANAGER)
    customer = await register_customer(store)
    meal_id = await verbal_meal(store, customer, "Jade Garden", MEAL_AT, staff, boss)
    await run(store, staff, RecordMealCost(meal_id, 50_000, 0, 4, 2),
              MEAL_AT + timedelta(hours=3))
    due_day = datetime(2024, 6, 10, 4, tzinfo=UTC)  # Monday: 3 working days after Wednesday
    with pytest.raises(InvalidState) as early:
        await run(store, boss, DenyReimbursement(meal_id, "no paperwork"), due_day)
    assert early.value.rule == "M14"
    late = due_day + timedelta(days=1)
    with pytest.raises(InvalidState) as too_late:
        await run(store, staff, CompleteMealPaperwork(
            meal_id, meal_form(customer, MEAL_AT, "Jade Garden")), late)
    assert too_late.value.rule == "M11"
    with pytest.raises(Forbidden):
        await run(store, staff, DenyReimbursement(meal_id, "no paperwork"), late)
    await run(store, boss, DenyReimbursement(meal_id, "paperwork never came"), late)
    last = (await store.read_stream(f"meal-{meal_id}"))[-1].event
    assert isinstance(last, MealReimbursementDenied) and last.reason == "paperwork never came"


async def test_M3_an_unknown_customer_is_not_found_and_names_the_field(
    store: EventStore
) -> None:
    await seeded(store, MEAL_AT)
    with pytest.raises(NotFound) as err:
        await signed_meal(store, random_id("nobody-"), "Jade Garden", MEAL_AT, 50_000,
                          person(Role.STAFF), person(Role.MANAGER))
    assert err.value.field == "customerId"


async def _month_with_two_meals(store: EventStore) -> tuple[str, list[str], str]:
    await seeded(store, MEAL_AT)
    staff, boss = person(Role.STAFF), person(Role.MANAGER)
    customer = await register_customer(store)
    restaurant = f"Jade Garden {random_id()}"
    meals = [await signed_meal(store, customer, restaurant, MEAL_AT + timedelta(days=i),
                               50_000 + i, staff, boss) for i in range(2)]
    lines = (BillLine(1, JUNE_5, 50_000, "R-1"), BillLine(2, JUNE_5 + timedelta(days=1),
                                                          50_001, "R-2"),
             BillLine(3, JUNE_5, 7_700, "R-3"))
    await record_bill(store, Context(actor=staff, now=MEAL_AT + timedelta(days=30)),
                      RecordRestaurantBill(random_id("bill-"), restaurant, "2024-06", lines))
    return restaurant, meals, staff.user_id


async def test_M13_settlement_writes_the_bill_and_every_matched_meal_in_one_append(
    store: EventStore
) -> None:
    restaurant, meals, _ = await _month_with_two_meals(store)
    ctx = Context(actor=person(Role.MANAGER), now=MEAL_AT + timedelta(days=30))
    result = (await settle_bill(store, ctx, SettleRestaurantBill(restaurant, "2024-06"),
                                candidates=candidates(*meals))).result
    streams = {bill_stream(restaurant, "2024-06"), *(f"meal-{m}" for m in meals)}
    assert set(result.versions) == streams
    assert result.last_position - result.first_position == 2  # three events, contiguous
    for meal_id in meals:
        settled = (await store.read_stream(f"meal-{meal_id}"))[-1]
        assert isinstance(settled.event, MealSettled)
        assert result.first_position <= settled.position <= result.last_position


async def test_M13_two_managers_settling_at_once_settle_each_meal_exactly_once(
    store: EventStore
) -> None:
    restaurant, meals, _ = await _month_with_two_meals(store)
    command = SettleRestaurantBill(restaurant, "2024-06")
    outcomes = await asyncio.gather(*(
        settle_bill(store, Context(actor=person(Role.MANAGER), now=MEAL_AT + timedelta(days=30)),
                    command, candidates=candidates(*meals))
        for _ in range(2)), return_exceptions=True)
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(refused[0], DomainError) and refused[0].rule == "M13"
    for meal_id in meals:
        events = [e.event for e in await store.read_stream(f"meal-{meal_id}")]
        assert sum(isinstance(e, MealSettled) for e in events) == 1


async def test_M13_nobody_settles_a_bill_holding_their_own_meal(store: EventStore) -> None:
    await seeded(store, MEAL_AT)
    boss = person(Role.MANAGER)
    customer = await register_customer(store)
    restaurant = f"Jade Garden {random_id()}"
    own = await signed_meal(store, customer, restaurant, MEAL_AT, 50_000, boss,
                            person(Role.MANAGER))
    ctx = Context(actor=boss, now=MEAL_AT + timedelta(days=30))
    await record_bill(store, ctx, RecordRestaurantBill(
        "b-1", restaurant, "2024-06", (BillLine(1, JUNE_5, 50_000, "R-1"),)))
    before = len(await store.read_stream(bill_stream(restaurant, "2024-06")))
    with pytest.raises(Forbidden) as err:
        await settle_bill(store, ctx, SettleRestaurantBill(restaurant, "2024-06"),
                          candidates=candidates(own))
    assert err.value.rule == "M13"
    assert len(await store.read_stream(bill_stream(restaurant, "2024-06"))) == before
