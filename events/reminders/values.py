"""The reminder policy as rule-book data: who is reminded of which deadline, when and how often.

Held beside the rule book's figures (events/policy/figures.py) and counted on the same
working-day calendar, so "one working day before" skips weekends and public holidays and counts
调休 weekends. A policy change is a new `ReminderPolicy` version here, never a code change in
the worker (events/reminders/schedule.py reads only this data).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from events.shared.errors import Problem


class Deadline(StrEnum):
    """Which deadline a rule watches; each is read from an existing view (projections/)."""

    PAPERWORK = "paperwork"  # M11/M14: pendingPaperwork, due on `paperwork_due`
    APPROVAL = "approval"  # M2: meal requests waiting for a manager's decision
    COMMITMENT = "commitment"  # V11: open commitments, due on `due_date`
    FOLLOW_UP = "follow_up"  # V12: fulfilled commitments, follow-up due on `follow_up_due`
    BILL = "bill"  # M13: signed meals of a month that has ended, not yet settled


class Audience(StrEnum):
    OWNER = "owner"  # the requester of a meal, the owner of a commitment
    MANAGERS = "managers"  # every active manager in the people directory


@dataclass(frozen=True)
class ReminderRule:
    key: str  # unique in the policy; part of every reminder id, so never reused
    rule: str  # the rule-book ID the reminder names (M11, V12, ...)
    deadline: Deadline
    audience: Audience
    # First reminder: this many working days after the due day (negative: before it; 0: on
    # it). For APPROVAL the start is the request plus the approval wait (a setting) instead.
    offset_working_days: int
    # Then again every this many working days while the deadline is not met; 0: once only.
    every_working_days: int = 0
    at_most: int = 1  # reminders per subject and rule, repeats included


@dataclass(frozen=True)
class ReminderPolicy:
    version: int
    rules: tuple[ReminderRule, ...]

    def by_key(self, key: str) -> ReminderRule | None:
        return next((r for r in self.rules if r.key == key), None)


# Version 1, as the issue and the rule book name them.
SEED_REMINDERS = ReminderPolicy(version=1, rules=(
    # M11/M14: the requester, one working day before the due day and on the day.
    ReminderRule("paperwork-before", "M11", Deadline.PAPERWORK, Audience.OWNER, -1),
    ReminderRule("paperwork-due", "M11", Deadline.PAPERWORK, Audience.OWNER, 0),
    # M2: the managers, once the request has waited the approval wait, then each working day.
    ReminderRule("approval-waiting", "M2", Deadline.APPROVAL, Audience.MANAGERS, 0,
                 every_working_days=1, at_most=3),
    # V11: the owner, on the due day, then every two working days while overdue.
    ReminderRule("commitment-due", "V11", Deadline.COMMITMENT, Audience.OWNER, 0),
    ReminderRule("commitment-overdue", "V11", Deadline.COMMITMENT, Audience.OWNER, 1,
                 every_working_days=2, at_most=5),
    # V12: the same for the follow-up visit after a fulfilment.
    ReminderRule("follow-up-due", "V12", Deadline.FOLLOW_UP, Audience.OWNER, 0),
    ReminderRule("follow-up-overdue", "V12", Deadline.FOLLOW_UP, Audience.OWNER, 1,
                 every_working_days=2, at_most=5),
    # M13: the managers, from the third working day after the month's last day.
    ReminderRule("bill-unsettled", "M13", Deadline.BILL, Audience.MANAGERS, 3,
                 every_working_days=2, at_most=5),
))

MAX_REMINDERS_PER_RULE = 20  # a bound on at_most: a policy can never flood anyone


def policy_problems(policy: ReminderPolicy) -> list[Problem]:
    """Every problem of a reminder policy at once (the rule-book figures' way)."""
    problems: list[Problem] = []
    keys = [r.key for r in policy.rules]
    if len(set(keys)) != len(keys):
        problems.append(Problem("reminders", "M15", "two reminder rules share a key"))
    for r in policy.rules:
        if not 1 <= r.at_most <= MAX_REMINDERS_PER_RULE:
            problems.append(Problem("reminders", r.rule, f"{r.key}: at most 1 to "
                                    f"{MAX_REMINDERS_PER_RULE} reminders"))
        if r.every_working_days < 0 or (r.at_most > 1 and r.every_working_days == 0):
            problems.append(Problem("reminders", r.rule, f"{r.key}: a repeated reminder "
                                    "needs a positive interval"))
        if abs(r.offset_working_days) > 60:
            problems.append(Problem("reminders", r.rule, f"{r.key}: offset beyond 60 days"))
    return problems
