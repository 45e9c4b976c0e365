"""M14, pure: a meal held without approval is reported afterwards, its paperwork completed
within the M11 deadline, then the manager approves it as an exception or denies it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from events.meals.commands import (
    ApproveMeal,
    CompleteMealPaperwork,
    DenyReimbursement,
    RecordMealCost,
    ReportUnapprovedMeal,
    SignMealCost,
)
from events.meals.events import MealApprovedAfterTheFact, MealReportedUnapproved
from events.meals.model import MealState, MealStatus
from events.policy.values import Host, MealType
from events.shared.errors import Forbidden, InvalidState, ValidationFailed
from events.store.envelope import Event
from tests.domain.test_meals import MANAGER, MANAGER_2, STAFF, act, form

# Tuesday 30 September 2025, 19:00 in Shanghai: the eve of 国庆.
HELD_AT = datetime(2025, 9, 30, 11, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2025, 10, 1, 1, 0, tzinfo=UTC)
REPORT = ReportUnapprovedMeal(
    "m-1", customer_id="c-1", meal_at=HELD_AT, restaurant="Jade Garden", guests=4,
    accompanying=2, meal_type=MealType.BANQUET, host=Host.STAFF,
    reason="the customer arrived unannounced", organisation="Huaxin Ltd",
)


def reported(now: datetime = NEXT_MORNING) -> tuple[MealState, list[Event]]:
    return act(None, REPORT, STAFF, now=now)


def test_M14_a_meal_held_without_approval_is_reported_with_its_paperwork_deadline() -> None:
    state, [event] = reported()
    assert isinstance(event, MealReportedUnapproved) and event.requested_by == "u-staff"
    assert state.status is MealStatus.PENDING_PAPERWORK and state.unapproved
    # 1-8 October 2025 is 国庆 + 中秋; Sat 11 October is a make-up working day (调休):
    # Thu 9, Fri 10, Sat 11 October.
    assert event.paperwork_due == date(2025, 10, 11)


def test_M14_only_the_staff_member_who_held_it_reports_a_past_meal() -> None:
    with pytest.raises(Forbidden):
        act(None, REPORT, MANAGER, now=NEXT_MORNING)
    with pytest.raises(ValidationFailed) as err:
        act(None, REPORT, STAFF, now=HELD_AT - timedelta(hours=1))
    assert "requestMeal" in str(err.value)
    with pytest.raises(ValidationFailed):
        act(None, replace(REPORT, reason=" "), STAFF, now=NEXT_MORNING)


def test_M14_paperwork_then_the_manager_approves_it_as_an_exception() -> None:
    state = reported()[0]
    with pytest.raises(InvalidState) as early:
        act(state, ApproveMeal("m-1", approve_exception=True), MANAGER, now=NEXT_MORNING)
    assert "completeMealPaperwork" in str(early.value)
    paper = form(meal_at=HELD_AT)
    state = act(state, CompleteMealPaperwork("m-1", paper), STAFF, now=NEXT_MORNING)[0]
    with pytest.raises(InvalidState) as plain:
        act(state, ApproveMeal("m-1"), MANAGER, now=NEXT_MORNING)
    assert "approveException" in str(plain.value) and plain.value.rule == "M14"
    with pytest.raises(Forbidden):
        act(state, ApproveMeal("m-1", approve_exception=True), STAFF, now=NEXT_MORNING)
    state, [event] = act(state, ApproveMeal("m-1", "ok, once", True), MANAGER, now=NEXT_MORNING)
    assert isinstance(event, MealApprovedAfterTheFact)
    assert state.status is MealStatus.APPROVED and state.exception_approved
    cost = RecordMealCost("m-1", 50_000, 9_000, guests=4, accompanying=2)
    state = act(state, cost, STAFF, now=NEXT_MORNING)[0]
    assert state.status is MealStatus.HELD
    assert act(state, SignMealCost("m-1"), MANAGER_2, now=NEXT_MORNING)[0].status \
        is MealStatus.SIGNED


def test_M14_the_manager_may_deny_it_after_the_paperwork() -> None:
    state = reported()[0]
    state = act(state, CompleteMealPaperwork("m-1", form(meal_at=HELD_AT)), STAFF,
                now=NEXT_MORNING)[0]
    state = act(state, DenyReimbursement("m-1", "not an emergency"), MANAGER,
                now=NEXT_MORNING)[0]
    assert state.status is MealStatus.REIMBURSEMENT_DENIED


def test_M14_without_paperwork_by_the_deadline_it_is_denied() -> None:
    state = reported()[0]
    on_deadline = datetime(2025, 10, 11, 8, 0, tzinfo=UTC)
    with pytest.raises(InvalidState) as wait:
        act(state, DenyReimbursement("m-1", "no paperwork"), MANAGER, now=on_deadline)
    assert "2025-10-11" in str(wait.value)
    after = datetime(2025, 10, 12, 8, 0, tzinfo=UTC)
    with pytest.raises(InvalidState) as late:
        act(state, CompleteMealPaperwork("m-1", form(meal_at=HELD_AT)), STAFF, now=after)
    assert "denyReimbursement" in str(late.value)
    denied = act(state, DenyReimbursement("m-1", "no paperwork"), MANAGER, now=after)[0]
    assert denied.status is MealStatus.REIMBURSEMENT_DENIED


def test_M11_a_deadline_beyond_the_calendar_is_refused_with_the_next_step() -> None:
    held = datetime(2026, 12, 30, 11, 0, tzinfo=UTC)
    with pytest.raises(InvalidState) as err:
        act(None, replace(REPORT, meal_at=held), STAFF, now=held + timedelta(hours=2))
    assert err.value.rule == "M11" and "2027" in str(err.value)
    assert "general manager approves" in str(err.value)
