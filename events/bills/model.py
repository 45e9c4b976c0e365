"""A designated restaurant's monthly bill, audited against signed meals and settled (M13).

One stream per restaurant and month. Settling records what matched and every discrepancy; the
handler then appends `MealSettled` on each matched meal through `meals.decide(SettleMeal)`
(see `settle_meal_commands`). Only matched lines are settled; discrepancies stay on record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from events.bills.matching import (
    BillLine,
    MatchedLine,
    SignedMeal,
    UnmatchedLine,
    UnmatchedMeal,
    match_lines,
    restaurant_key,
)
from events.meals.commands import SettleMeal
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound, Problem, ValidationFailed
from events.shared.money import MAX_FEN
from events.store.envelope import Event

STREAM_TYPE = "restaurant_bill"
MAX_LINES = 1000
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def stream_id(restaurant: str, month: str) -> str:
    # Restaurant names are free text (often Chinese): a hash of the normalised name gives a
    # stable, safe id, and the same restaurant typed with other spacing or width maps to it.
    digest = hashlib.sha256(restaurant_key(restaurant).encode()).hexdigest()[:16]
    return f"restaurant_bill-{digest}-{month}"


@dataclass(frozen=True)
class RecordRestaurantBill:
    bill_id: str
    restaurant: str
    month: str  # "YYYY-MM"
    lines: tuple[BillLine, ...]


@dataclass(frozen=True)
class SettleRestaurantBill:
    restaurant: str
    month: str
    note: str = ""


@dataclass(frozen=True)
class RestaurantBillRecorded(Event):
    bill_id: str
    restaurant: str
    month: str
    lines: tuple[BillLine, ...]
    total_fen: int
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class RestaurantBillSettled(Event):
    bill_id: str
    restaurant: str
    month: str
    matched: tuple[MatchedLine, ...]
    unmatched_lines: tuple[UnmatchedLine, ...]  # discrepancies: billed, not a signed meal
    unmatched_meals: tuple[UnmatchedMeal, ...]  # signed meals of the month the bill omits
    settled_total_fen: int
    note: str
    settled_by: str
    settled_at: datetime


@dataclass(frozen=True)
class RestaurantBillState:
    bill_id: str
    restaurant: str
    month: str
    lines: tuple[BillLine, ...]
    settlement: RestaurantBillSettled | None = None

    @property
    def settled(self) -> bool:
        return self.settlement is not None


def decide(
    state: RestaurantBillState | None,
    command: RecordRestaurantBill | SettleRestaurantBill,
    ctx: Context,
    *,
    signed_meals: Sequence[SignedMeal] = (),
) -> list[Event]:
    if isinstance(command, RecordRestaurantBill):
        return [_record(state, command, ctx)]
    return [_settle(state, command, ctx, signed_meals)]


def _record(
    state: RestaurantBillState | None, command: RecordRestaurantBill, ctx: Context
) -> RestaurantBillRecorded:
    ctx.require_role(Role.STAFF, Role.MANAGER, action="recording a restaurant bill", rule="M13")
    if state is not None and state.settled:
        raise InvalidState("the bill is settled; it cannot be recorded again", rule="M13")
    if state is not None and state.bill_id != command.bill_id:
        raise InvalidState(f"this month's bill is {state.bill_id}", rule="M13")
    problems = _bill_problems(command)
    if problems:
        raise ValidationFailed(problems)
    # Recording again before settlement replaces the lines: a corrected bill from the restaurant.
    return RestaurantBillRecorded(
        command.bill_id, command.restaurant.strip(), command.month, command.lines,
        sum(line.amount_fen for line in command.lines), ctx.actor.user_id, ctx.now,
    )


def _bill_problems(command: RecordRestaurantBill) -> list[Problem]:
    problems: list[Problem] = []
    if not command.bill_id.strip():
        problems.append(Problem("billId", "M13", "billId is required"))
    if not command.restaurant.strip():
        problems.append(Problem("restaurant", "M13", "restaurant is required"))
    match = _MONTH.match(command.month)
    if match is None:
        return [*problems, Problem("month", "M13", "month must be YYYY-MM")]
    if not 1 <= len(command.lines) <= MAX_LINES:
        problems.append(Problem("lines", "M13", f"a bill has 1 to {MAX_LINES} lines"))
    year, month = int(match[1]), int(match[2])
    numbers = [line.line_no for line in command.lines]
    if len(set(numbers)) != len(numbers):
        problems.append(Problem("lines", "M13", "line numbers must be unique"))
    for line in command.lines:
        if (line.date.year, line.date.month) != (year, month):
            problems.append(Problem("lines", "M13", f"line {line.line_no} is not in the month"))
        if not 0 < line.amount_fen <= MAX_FEN:
            problems.append(Problem("lines", "M13", f"line {line.line_no} needs an amount > 0"))
    return problems


def _settle(
    state: RestaurantBillState | None,
    command: SettleRestaurantBill,
    ctx: Context,
    signed_meals: Sequence[SignedMeal],
) -> RestaurantBillSettled:
    ctx.require_role(Role.MANAGER, action="settling a restaurant bill", rule="M13")
    if state is None:
        raise NotFound(f"no bill from {command.restaurant} for {command.month}", rule="M13")
    if state.settled:
        raise InvalidState(f"bill {state.bill_id} is already settled", rule="M13")
    result = match_lines(state.lines, signed_meals, state.restaurant)
    requesters = {m.meal_id: m.requested_by for m in signed_meals}
    own = [m.meal_id for m in result.matched if requesters.get(m.meal_id) == ctx.actor.user_id]
    if own:
        raise Forbidden(f"nobody may settle their own request: meals {', '.join(own)}",
                        rule="M13")
    in_month = {m.meal_id for m in signed_meals if _month_of(m.date) == state.month}
    return RestaurantBillSettled(
        bill_id=state.bill_id, restaurant=state.restaurant, month=state.month,
        matched=result.matched, unmatched_lines=result.unmatched_lines,
        # A signed meal of another month is that month's business, not this bill's omission.
        unmatched_meals=tuple(m for m in result.unmatched_meals if m.meal_id in in_month),
        settled_total_fen=sum(m.amount_fen for m in result.matched),
        note=command.note, settled_by=ctx.actor.user_id, settled_at=ctx.now,
    )


def settle_meal_commands(event: RestaurantBillSettled) -> list[SettleMeal]:
    """The SettleMeal each matched meal receives after the bill is settled."""
    return [SettleMeal(m.meal_id, event.bill_id, event.month) for m in event.matched]


def evolve(state: RestaurantBillState | None, event: Event) -> RestaurantBillState:
    if isinstance(event, RestaurantBillRecorded):
        return RestaurantBillState(event.bill_id, event.restaurant, event.month, event.lines)
    if state is None:
        raise ValueError(f"{type(event).__name__} before the bill was recorded")
    if isinstance(event, RestaurantBillSettled):
        return replace(state, settlement=event)
    return state


def _month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
