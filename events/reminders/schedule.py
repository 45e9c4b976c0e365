"""When a reminder is due: pure, on the rule book's working-day calendar and the company day.

A rule gives a subject a list of reminder days (the first at the rule's offset from the
deadline, then every N working days, at most M). On any day at most one of them is live: the
latest that has come, until the next one comes; the last only on its own day. So a worker that
was down sends the one reminder that still matters, never a burst of stale ones, and a reminder
that is live is sent once because its id names its day (`reminder_id`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from events.policy.calendar import WorkingDayCalendar
from events.reminders.values import ReminderRule


@dataclass(frozen=True)
class Subject:
    """Something with a deadline, as a view has it."""

    kind: str  # "meal", "commitment", "bill"
    subject_id: str  # meal id; visit id/commitment id; restaurant key/month
    label: str  # what the message names: organisation, commitment text, restaurant and month
    deadline: date | None  # the due day (None for a meal waiting for approval)
    owner: str | None = None  # who the OWNER audience is
    since: datetime | None = None  # APPROVAL: when the request was made
    rule: str | None = None  # the rule the deadline comes from, when not the policy rule's own


def shift(calendar: WorkingDayCalendar, day: date, working_days: int) -> date:
    """`day` moved by working days: after it (positive), before it (negative); 0 is the day
    itself, or the working day before it when it is a day off (a reminder comes in time)."""
    if working_days > 0:
        return calendar.add_working_days(day, working_days)
    current, remaining = day, -working_days
    if remaining == 0:
        while not calendar.is_working_day(current):
            current -= timedelta(days=1)
        return current
    while remaining:
        current -= timedelta(days=1)
        if calendar.is_working_day(current):
            remaining -= 1
    return current


def reminder_days(rule: ReminderRule, first: date, calendar: WorkingDayCalendar) -> list[date]:
    days = [first]
    while len(days) < rule.at_most and rule.every_working_days > 0:
        days.append(calendar.add_working_days(days[-1], rule.every_working_days))
    return days


def first_day(rule: ReminderRule, subject: Subject, calendar: WorkingDayCalendar,
              start: datetime | None) -> date | None:
    """The first reminder day; `start` is the approval wait's end (APPROVAL rules)."""
    if start is not None:
        day = start.date()
        return day if calendar.is_working_day(day) else calendar.working_day_on_or_after(day)
    if subject.deadline is None:
        return None
    return shift(calendar, subject.deadline, rule.offset_working_days)


def live_day(rule: ReminderRule, subject: Subject, calendar: WorkingDayCalendar, now: datetime,
             *, start: datetime | None = None) -> date | None:
    """The reminder day live at `now` (company time), or None. Raises CalendarGap when a day
    falls in a year the calendar does not cover (the caller skips, never guesses)."""
    if start is not None and now < start:
        return None
    first = first_day(rule, subject, calendar, start)
    if first is None:
        return None
    today = now.date()
    days = reminder_days(rule, first, calendar)
    for i, day in enumerate(days):
        following = days[i + 1] if i + 1 < len(days) else day + timedelta(days=1)
        if day <= today < following:
            return day
    return None


def reminder_id(rule: ReminderRule, subject: Subject, day: date) -> str:
    return f"{rule.key}:{subject.kind}:{subject.subject_id}:{day.isoformat()}"


def stream_of(reminder: str) -> str:
    # One stream per reminder: its first (only) event is appended at expected version 0, so
    # a second process or a restart appending the same reminder changes nothing.
    return "reminder-" + hashlib.sha256(reminder.encode()).hexdigest()[:32]
