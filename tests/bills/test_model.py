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
    [event] = decide(state, command, Context(actor=actor, now=NOW), signed_meals=meals,
                     policy_version=4)
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
    assert [(u.line_no, u.reason, u.meal_id) for u in result.unmatched_lines] == [
        (2, Discrepancy.AMOUNT_DIFFERS, "m-2")]
    assert "bills meal m-2 at 7.00 yuan; its signed cost is 6.00 yuan" in \
        result.unmatched_lines[0].message
    # The line's meal is that line's discrepancy, not also reported missing from the bill.
    assert result.unmatched_meals == ()


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
    [unbilled_line] = event.unmatched_lines
    assert (unbilled_line.line_no, unbilled_line.reason) == (3, Discrepancy.NO_SIGNED_MEAL)
    assert unbilled_line.message.startswith("line 3: no signed meal on 2024-06-12 for 9.99 yuan")
    [missing] = event.unmatched_meals
    assert (missing.meal_id, missing.reason) == ("m-3", Discrepancy.NO_BILL_LINE)
    assert "signed for 0.01 yuan, is not on the bill" in missing.message
    assert event.policy_version == 4
    assert settle_meal_commands(event) == [
        SettleMeal("m-1", "b-1", "2024-06", 4), SettleMeal("m-2", "b-1", "2024-06", 4)]
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


def test_M13_a_month_is_settled_only_after_it_has_ended_in_company_time() -> None:
    state = recorded(line(1, D1, 500))
    command = SettleRestaurantBill("Jade Garden", "2024-06")
    last_evening = datetime(2024, 6, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 June in Shanghai
    with pytest.raises(InvalidState) as err:
        decide(state, command, Context(actor=MANAGER, now=last_evening))
    assert err.value.rule == "M13" and "settle it from 2024-07-01" in str(err.value)
    first_minute = datetime(2024, 6, 30, 16, 0, tzinfo=UTC)  # 00:00 on 1 July in Shanghai
    assert decide(state, command, Context(actor=MANAGER, now=first_minute))


def test_M13_whoever_records_a_bill_does_not_settle_it() -> None:
    command = RecordRestaurantBill("b-1", "Jade Garden", "2024-06", (line(1, D1, 500),))
    state = evolve(None, decide(None, command, Context(actor=MANAGER, now=NOW))[0])
    with pytest.raises(Forbidden) as err:
        settle(state, [meal("m-1", D1, 500)], actor=Actor("U-MGR", "Wang", Role.MANAGER))
    assert err.value.rule == "M13"
    assert settle(state, [meal("m-1", D1, 500)], actor=Actor("u-mgr2", "Sun", Role.MANAGER))


def test_M13_after_settlement_a_supplementary_bill_settles_what_was_missing() -> None:
    state = recorded(line(1, D1, 500))
    first = settle(state, [meal("m-1", D1, 500), meal("m-2", D2, 800)])
    assert [m.meal_id for m in first.unmatched_meals] == ["m-2"]
    state = evolve(state, first)
    same = RecordRestaurantBill("b-1", "Jade Garden", "2024-06", (line(1, D2, 800),))
    with pytest.raises(InvalidState) as err:
        decide(state, same, Context(actor=STAFF, now=NOW))
    assert "supplementary bill with a new billId" in str(err.value)
    extra = RecordRestaurantBill("b-1-s", "Jade Garden", "2024-06",
                                 (line(1, D2, 800, "m-2"), line(2, D2, 50)))
    state = evolve(state, decide(state, extra, Context(actor=STAFF, now=NOW))[0])
    assert state.bill_id == "b-1-s" and not state.settled
    second = settle(state, [meal("m-2", D2, 800)])  # m-1 is settled, no longer a candidate
    assert second.bill_id == "b-1-s" and [m.meal_id for m in second.matched] == ["m-2"]
    assert [u.line_no for u in second.unmatched_lines] == [2]
    assert evolve(state, second).settled_bills == ("b-1", "b-1-s")


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
    assert decode(event.type_name(), event.SCHEMA_VERSION, encode(event)) == event


def test_M15_a_settlement_recorded_before_v2_reads_with_no_version_and_no_line_meal() -> None:
    old = encode(RestaurantBillSettled(
        "b-1", "翠园", "2024-06", (), (UnmatchedLine(2, Discrepancy.NO_SIGNED_MEAL, "x"),), (),
        0, "", "u", NOW))
    del old["policy_version"]
    for entry in old["unmatched_lines"]:
        del entry["meal_id"]
    event = decode("RestaurantBillSettled", 1, old)
    assert isinstance(event, RestaurantBillSettled) and event.policy_version is None
    assert event.unmatched_lines[0].meal_id is None
