"""Reminder days on the working-day calendar, the seed policy, and emails that cannot carry an
injected header: pure, no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from events.people.values import contact_problems
from events.policy.calendar import seed_calendar
from events.reminders import email
from events.reminders.schedule import Subject, live_day, reminder_id, shift
from events.reminders.values import SEED_REMINDERS, ReminderRule, policy_problems
from events.shared.context import COMPANY_TZ

CAL = seed_calendar()


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=COMPANY_TZ)


def rule(key: str) -> ReminderRule:
    found = SEED_REMINDERS.by_key(key)
    assert found is not None
    return found


def test_M11_one_working_day_before_a_monday_due_day_is_the_thursday_before_dragon_boat() -> None:
    # 2026: Fri 19 June is the Dragon Boat Festival, then a weekend; the paperwork of a meal
    # on Tue 16 June is due Mon 22 June (three working days: 17, 18, 22).
    assert CAL.add_working_days(date(2026, 6, 16), 3) == date(2026, 6, 22)
    meal = Subject("meal", "m1", "Huaxin", date(2026, 6, 22), owner="li.na")
    before, due = rule("paperwork-before"), rule("paperwork-due")
    days = {d: (live_day(before, meal, CAL, at(d)), live_day(due, meal, CAL, at(d)))
            for d in (date(2026, 6, 17) + timedelta(days=i) for i in range(7))}
    assert days[date(2026, 6, 17)] == (None, None)
    assert days[date(2026, 6, 18)] == (date(2026, 6, 18), None)
    for off in (19, 20, 21):  # the holiday and the weekend: nothing new
        assert days[date(2026, 6, off)] == (None, None)
    assert days[date(2026, 6, 22)] == (None, date(2026, 6, 22))
    assert days[date(2026, 6, 23)] == (None, None)  # after the due day: denied, not reminded


def test_M11_a_tiaoxiu_sunday_is_a_working_day_for_reminders() -> None:
    # Sun 4 Jan 2026 is worked (调休): one working day before Mon 5 Jan is that Sunday.
    assert shift(CAL, date(2026, 1, 5), -1) == date(2026, 1, 4)
    # A due day that is a day off is reminded on the working day before it.
    assert shift(CAL, date(2026, 10, 3), 0) == date(2026, 9, 30)


def test_V11_overdue_commitments_are_reminded_every_two_working_days_at_most_five_times() -> None:
    overdue = rule("commitment-overdue")
    commitment = Subject("commitment", "v1/c1", "send the samples", date(2026, 3, 2), "li.na")
    live = {live_day(overdue, commitment, CAL, at(date(2026, 3, 2) + timedelta(days=i)))
            for i in range(40)} - {None}
    assert sorted(d for d in live if d) == [date(2026, 3, 3), date(2026, 3, 5), date(2026, 3, 9),
                                            date(2026, 3, 11), date(2026, 3, 13)]


def test_M2_approval_reminders_start_after_the_wait() -> None:
    waiting = rule("approval-waiting")
    since = at(date(2026, 3, 2), 10)
    request = Subject("meal", "m2", "Huaxin", None, owner="li.na", since=since)
    start = since + timedelta(hours=24)
    assert live_day(waiting, request, CAL, start - timedelta(minutes=1), start=start) is None
    assert live_day(waiting, request, CAL, start, start=start) == date(2026, 3, 3)


def test_reminder_ids_name_the_rule_the_subject_and_the_day() -> None:
    meal = Subject("meal", "m1", "Huaxin", date(2026, 6, 22))
    assert reminder_id(rule("paperwork-due"), meal, date(2026, 6, 22)) == \
        "paperwork-due:meal:m1:2026-06-22"
    assert policy_problems(SEED_REMINDERS) == []
    assert {r.rule for r in SEED_REMINDERS.rules} == {"M11", "M2", "V11", "V12", "M13"}
    flood = ReminderRule("x", "M2", rule("approval-waiting").deadline,
                         rule("approval-waiting").audience, 0, every_working_days=0, at_most=99)
    assert len(policy_problems(SEED_REMINDERS.__class__(2, (flood,)))) == 2


@pytest.mark.parametrize("address", [
    "li.na@example.com\r\nBcc: all@example.com", "li.na@example.com, all@example.com",
    "Li Na <li.na@example.com>", "li.na@example", "a" * 250 + "@example.com", "",
])
def test_an_address_that_could_inject_a_header_or_a_recipient_is_refused(address: str) -> None:
    assert contact_problems(address, None) != []
    with pytest.raises(ValueError):
        email.build("kehu@example.com", address, "subject", "body")


def test_the_subject_and_body_stay_single_line_and_bounded() -> None:
    message = email.build("kehu@example.com", "li.na@example.com", "a\r\nBcc: x@example.com",
                          "x" * 50_000)
    assert message["Bcc"] is None and "\n" not in message["Subject"]
    assert len(message.get_content()) <= email.MAX_BODY + 1
    both = email.body("李娜", "paperwork-due", "M11", "Huaxin", date(2026, 6, 22), None)
    assert "2026-06-22" in both and "李娜，您好" in both and "Dear 李娜" in both
    assert "Dear" not in email.body("李娜", "paperwork-due", "M11", "Huaxin", None, "zh")
