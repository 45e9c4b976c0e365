"""Handlers for a restaurant's monthly bill (M13): record it, and settle it with its meals.

Settling writes `RestaurantBillSettled` on the bill stream and `MealSettled` on every matched
meal stream in ONE append, each with its expected version: either the whole month settles or
nothing does, and a meal signed, corrected or settled meanwhile makes the append conflict and
the settlement is decided again on fresh state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from events.bills import model as restaurant_bills
from events.bills.matching import SignedMeal
from events.bills.model import (
    RecordRestaurantBill,
    RestaurantBillSettled,
    RestaurantBillState,
    SettleRestaurantBill,
    settle_meal_commands,
)
from events.handling import Decision, Outcome, Stream, execute, load, run
from events.meals import model as meals
from events.meals.state import MealState, MealStatus
from events.shared.context import Context
from events.store.event_store import EventStore, StreamAppend

# Meal ids that may be signed and unsettled at a restaurant: an index (the meals projection),
# not the truth; every candidate's own stream decides whether it is signed.
Candidates = Callable[[str], Awaitable[Sequence[str]]]


def bill_stream(restaurant: str, month: str) -> Stream[RestaurantBillState]:
    return Stream(restaurant_bills.stream_id(restaurant, month), restaurant_bills.STREAM_TYPE,
                  restaurant_bills.evolve)


async def record_bill(
    store: EventStore, ctx: Context, command: RecordRestaurantBill, *,
    idempotency_key: str | None = None,
) -> Outcome[RestaurantBillState]:
    return await execute(store, ctx, bill_stream(command.restaurant, command.month), command,
                         lambda state: restaurant_bills.decide(state, command, ctx),
                         idempotency_key=idempotency_key)


def signed_meal(state: MealState, ctx: Context) -> SignedMeal:
    assert state.total_fen is not None, "a signed meal has its cost recorded (M12)"
    return SignedMeal(
        meal_id=state.meal_id, restaurant=state.restaurant,
        date=state.meal_at.astimezone(ctx.tz).date(), total_fen=state.total_fen,
        requested_by=state.requested_by,
    )


async def settle_bill(
    store: EventStore, ctx: Context, command: SettleRestaurantBill, *, candidates: Candidates,
    idempotency_key: str | None = None,
) -> Outcome[RestaurantBillState]:
    async def decide(bill: RestaurantBillState | None) -> Decision:
        return await _decide_settlement(store, ctx, command, bill, candidates)

    return await run(store, ctx, bill_stream(command.restaurant, command.month), command,
                     decide, idempotency_key=idempotency_key)


async def _decide_settlement(
    store: EventStore, ctx: Context, command: SettleRestaurantBill,
    bill: RestaurantBillState | None, candidates: Candidates,
) -> Decision:
    loaded: dict[str, tuple[MealState, int]] = {}
    restaurant = bill.restaurant if bill is not None else command.restaurant
    for meal_id in await candidates(restaurant):
        state, version = await load(store, meals.stream_id(meal_id), meals.evolve)
        if state is not None and state.status is MealStatus.SIGNED:
            loaded[meal_id] = (state, version)
    signed = [signed_meal(state, ctx) for state, _ in loaded.values()]
    events = restaurant_bills.decide(bill, command, ctx, signed_meals=signed)
    settled = events[0]
    assert isinstance(settled, RestaurantBillSettled)
    meal_appends = []
    for settle in settle_meal_commands(settled):
        state, version = loaded[settle.meal_id]
        meal_appends.append(StreamAppend(
            meals.stream_id(settle.meal_id), meals.STREAM_TYPE, version,
            meals.decide_step(state, settle, ctx),
        ))
    return Decision(events, meal_appends)
