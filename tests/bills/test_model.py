"""Monthly restaurant bills audited against signed meals and settled (M13)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from events.bills.matching import (
    BillLine,
    Discrepancy,
    MatchedLine,
    SignedMeal,
    UnmatchedLine,
    UnmatchedMeal,
    match_lines,
)
from events.bills.model import (
    RecordRestaurantBill,
    RestaurantBillRecorded,
    RestaurantBillSettled,
    RestaurantBillState,
    SettleRestaurantBill,
    decide,
    evolve,
    settle_meal_commands,
    stream_id,
)
from events.meals.commands import SettleMeal
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from events.store.envelope import Event, decode, encode

NOW = datetime(2024, 7, 1, 2, 0, tzinfo=UTC)
STAFF = Actor("u-staff", "Li", Role.STAFF)
MANAGER = Actor("u-mgr", "Wang", Role.MANAGER)
D1, D2 = date(2024, 6, 5), date(2024, 6, 12)


def line(no: int, day: date, fen: int, meal_id: str | None = None) -> BillLine:
    return BillLine(no, day, fen, f"R{no}", meal_id)


def meal(meal_id: str, day: date, fen: int, restaurant: str = "Jade Garden",
         by: str = "u-staff") -> SignedMeal:
    return SignedMeal(meal_id, restaurant, day, fen, by)


def recorded(*lines: BillLine) -> RestaurantBillState:
    command = RecordRestaurantBill("b-1", "Jade Garden", "2024-06", lines)
    [event] = decide(None, command, Context(actor=STAFF, now=NOW))
    return evolve(None, event)


def settle(state: RestaurantBillState | None, meals: list[SignedMeal],
           actor: Actor = MANAGER) -> RestaurantBillSettled:
    command = SettleRestaurantBill("Jade Garden", "2024-06")
    [event] = decide(state, command, Context(actor=actor, now=NOW), signed_meals=meals)
    assert isinstance(event, RestaurantBillSettled)
    return event


def test_M13_stream_id_is_stable_per_restaurant_and_month() -> None:
    assert stream_id("Jade Garden", "2024-06") == stream_id(" jade  GARDEN ", "2024-06")
    assert stream_id("翠园酒家", "2024-06") != stream_id("翠园酒家", "2024-07")
    assert stream_id("翠园酒家", "2024-06").startswith("restaurant_bill-")


def test_M13_a_line_naming_a_meal_matches_it_when_the_amount_agrees() -> None:
    result = match_lines([line(1, D1, 500, "m-1"), line(2, D1, 700, "m-2")],
                         [meal("m-1", D2, 500), meal("m-2", D1, 600)])
    assert result.matched == (MatchedLine(1, "m-1", 500),)
    assert [(u.line_no, u.reason) for u in result.unmatched_lines] == [
        (2, Discrepancy.AMOUNT_DIFFERS)]
    assert [(u.meal_id, u.reason) for u in result.unmatched_meals] == [
        ("m-2", Discrepancy.NO_BILL_LINE)]


def test_M13_an_unnamed_line_matches_a_signed_meal_of_the_same_day_and_amount_once() -> None:
    result = match_lines([line(1, D1, 500), line(2, D1, 500), line(3, D2, 500)],
                         [meal("m-1", D1, 500)])
    assert result.matched == (MatchedLine(1, "m-1", 500),)
    assert [(u.line_no, u.reason) for u in result.unmatched_lines] == [
        (2, Discrepancy.NO_SIGNED_MEAL), (3, Discrepancy.NO_SIGNED_MEAL)]


def test_M13_named_lines_win_over_look_alike_unnamed_lines() -> None:
    result = match_lines([line(1, D1, 500), line(2, D1, 500, "m-1")], [meal("m-1", D1, 500)])
    assert result.matched == (MatchedLine(2, "m-1", 500),)
    assert result.unmatched_lines[0].line_no == 1


def test_M13_unknown_duplicate_and_other_restaurant_meals_are_discrepancies() -> None:
    result = match_lines(
        [line(1, D1, 500, "m-1"), line(2, D1, 500, "m-1"), line(3, D1, 9, "m-x"),
         line(4, D1, 300, "m-2")],
        [meal("m-1", D1, 500), meal("m-2", D1, 300, restaurant="Other Place")],
        "Jade Garden",
    )
    assert [(u.line_no, u.reason) for u in result.unmatched_lines] == [
        (2, Discrepancy.MEAL_ALREADY_MATCHED), (3, Discrepancy.MEAL_NOT_SIGNED),
        (4, Discrepancy.RESTAURANT_DIFFERS)]
    assert result.unmatched_meals == ()  # the other restaurant's meal is not this bill's


def test_M13_recording_a_bill_checks_month_lines_and_role() -> None:
    bad = RecordRestaurantBill("b-1", "Jade Garden", "2024-06",
                               (line(1, date(2024, 7, 1), 500), line(1, D1, 0)))
    with pytest.raises(ValidationFailed) as err:
        decide(None, bad, Context(actor=STAFF, now=NOW))
    assert len(err.value.problems) == 3  # duplicate number, outside month, zero amount
    with pytest.raises(ValidationFailed):
        decide(None, RecordRestaurantBill("b-1", "J", "2024-13", (line(1, D1, 5),)),
               Context(actor=STAFF, now=NOW))
    with pytest.raises(Forbidden):
        decide(None, RecordRestaurantBill("b-1", "J", "2024-06", (line(1, D1, 5),)),
               Context(actor=Actor("a", "A", Role.AUDITOR), now=NOW))


def test_M13_a_manager_settles_the_matched_lines_and_records_discrepancies() -> None:
    state = recorded(line(1, D1, 500, "m-1"), line(2, D2, 800), line(3, D2, 999))
    event = settle(state, [meal("m-1", D1, 500), meal("m-2", D2, 800), meal("m-3", D2, 1)])
    assert [m.meal_id for m in event.matched] == ["m-1", "m-2"]
    assert event.settled_total_fen == 1300
    assert event.unmatched_lines == (UnmatchedLine(
        3, Discrepancy.NO_SIGNED_MEAL, "no signed meal on 2024-06-12 for 9.99 yuan"),)
    assert event.unmatched_meals == (
        UnmatchedMeal("m-3", Discrepancy.NO_BILL_LINE, "signed meal not on the bill"),)
    assert settle_meal_commands(event) == [
        SettleMeal("m-1", "b-1", "2024-06"), SettleMeal("m-2", "b-1", "2024-06")]
    settled = evolve(state, event)
    assert settled.settled
    with pytest.raises(InvalidState):
        settle(settled, [])
    with pytest.raises(InvalidState):
        decide(settled, RecordRestaurantBill("b-1", "Jade Garden", "2024-06", (line(1, D1, 5),)),
               Context(actor=STAFF, now=NOW))


def test_M13_meals_of_another_month_are_not_this_bills_omission() -> None:
    may_meal = meal("m-9", date(2024, 5, 30), 7)
    event = settle(recorded(line(1, D1, 500)), [meal("m-1", D1, 500), may_meal])
    assert event.unmatched_meals == ()


def test_M13_only_a_manager_settles_and_never_their_own_meal() -> None:
    state = recorded(line(1, D1, 500))
    with pytest.raises(Forbidden):
        settle(state, [meal("m-1", D1, 500)], actor=STAFF)
    with pytest.raises(Forbidden):
        settle(state, [meal("m-1", D1, 500, by="u-mgr")])
    with pytest.raises(NotFound):
        settle(None, [])


def test_M13_a_corrected_bill_replaces_the_lines_before_settlement() -> None:
    state = recorded(line(1, D1, 500))
    command = RecordRestaurantBill("b-1", "Jade Garden", "2024-06", (line(1, D1, 600),))
    [event] = decide(state, command, Context(actor=STAFF, now=NOW))
    assert evolve(state, event).lines == (line(1, D1, 600),)
    with pytest.raises(InvalidState):
        decide(state, RecordRestaurantBill("b-2", "Jade Garden", "2024-06", command.lines),
               Context(actor=STAFF, now=NOW))


@pytest.mark.parametrize(
    "event",
    [
        RestaurantBillRecorded("b-1", "翠园", "2024-06", (line(1, D1, 5, "m-1"), line(2, D2, 6)),
                               11, "u", NOW),
        RestaurantBillSettled(
            "b-1", "翠园", "2024-06", (MatchedLine(1, "m-1", 5),),
            (UnmatchedLine(2, Discrepancy.NO_SIGNED_MEAL, "x"),),
            (UnmatchedMeal("m-2", Discrepancy.NO_BILL_LINE, "y"),), 5, "", "u", NOW,
        ),
    ],
    ids=lambda e: type(e).__name__,
)
def test_restaurant_bill_events_round_trip(event: Event) -> None:
    assert decode(event.type_name(), 1, encode(event)) == event
