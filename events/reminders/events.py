"""Events of reminders: one per reminder sent, and a person's notifications read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from events.reminders.values import Deadline
from events.store.envelope import Event


@dataclass(frozen=True)
class ReminderSent(Event):
    """A reminder of a deadline, decided by the reminder worker for the people named; the only
    event of its own stream (events/reminders/schedule.py: `stream_of`), so it is sent once."""

    reminder_id: str  # rule key : subject kind : subject id : reminder day
    rule: str  # the rule-book ID (M11, V12, ...)
    policy_key: str  # the reminder policy's rule (paperwork-before, ...)
    policy_version: int  # the reminder policy's version
    deadline: Deadline
    subject_kind: str  # meal, commitment, bill
    subject_id: str
    label: str  # what the message names (organisation, commitment, restaurant and month)
    due_on: date | None  # the deadline's day, when it has one
    reminder_day: date  # the company day this reminder belongs to
    recipients: tuple[str, ...]  # user ids
    sent_at: datetime


@dataclass(frozen=True)
class NotificationsMarkedRead(Event):
    """A person marked their own notifications read: the ids given, or all up to a position."""

    user_id: str
    notification_ids: tuple[str, ...]
    up_to_position: int | None
    read_at: datetime


REMINDER_EVENTS: tuple[type[Event], ...] = (ReminderSent, NotificationsMarkedRead)
