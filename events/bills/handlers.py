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
    SettleRestaurantBill,
    settle_meal_commands,
)
from events.handling import execute, execute_appends, load
from events.meals import model as meals
from events.meals.state import MealState, MealStatus
from events.shared.context import Context
from events.store.event_store import AppendResult, EventStore, StreamAppend

# Meal ids that may be signed and unsettled at a restaurant: an index (the meals projection),
# not the truth; every candidate's own stream decides whether it is signed.
Candidates = Callable[[str], Awaitable[Sequence[str]]]


async def record_bill(
    store: EventStore, ctx: Context, command: RecordRestaurantBill, *,
    idempotency_key: str | None = None,
) -> AppendResult:
    return await execute(
        store, ctx, stream_id=restaurant_bills.stream_id(command.restaurant, command.month),
        stream_type=restaurant_bills.STREAM_TYPE, evolve=restaurant_bills.evolve,
        decide=lambda state: restaurant_bills.decide(state, command, ctx),
        command=command, idempotency_key=idempotency_key,
    )


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
) -> AppendResult:
    bill_stream = restaurant_bills.stream_id(command.restaurant, command.month)
    return await execute_appends(
        store, ctx, stream_id=bill_stream, command=command,
        decide_appends=lambda: _decide_settlement(store, ctx, command, bill_stream, candidates),
        idempotency_key=idempotency_key,
    )


async def _decide_settlement(
    store: EventStore, ctx: Context, command: SettleRestaurantBill, bill_stream: str,
    candidates: Candidates,
) -> list[StreamAppend]:
    bill, bill_version = await load(store, bill_stream, restaurant_bills.evolve)
    loaded: dict[str, tuple[MealState, int]] = {}
    restaurant = bill.restaurant if bill is not None else command.restaurant
    for meal_id in await candidates(restaurant):
        state, version = await load(store, meals.stream_id(meal_id), meals.evolve)
        if state is not None and state.status is MealStatus.SIGNED:
            loaded[meal_id] = (state, version)
    signed = [signed_meal(state, ctx) for state, _ in loaded.values()]
    events = restaurant_bills.decide(bill, command, ctx, signed_meals=signed)
    appends = [StreamAppend(bill_stream, restaurant_bills.STREAM_TYPE, bill_version, events)]
    settled = events[0]
    assert isinstance(settled, RestaurantBillSettled)
    for settle in settle_meal_commands(settled):
        state, version = loaded[settle.meal_id]
        appends.append(StreamAppend(
            meals.stream_id(settle.meal_id), meals.STREAM_TYPE, version,
            meals.decide(state, settle, ctx),
        ))
    return appends
