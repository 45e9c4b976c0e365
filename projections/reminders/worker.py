"""The reminder worker: on a timer, decide which reminders are due and append each once.

Time comes from an injected clock (the composition root passes the system clock, or the test
clock file), days from the company time zone, working days from the calendar of the rule-book
version in force. Every process may run the worker: a reminder's stream is written once
(events/reminders/handlers.py), so two processes or a restart never remind twice. Before a
check the worker waits for the views it reads to reach the log's head, so a deadline met a
moment ago is not reminded.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from events.people.values import same_person
from events.policy.calendar import CalendarGap
from events.policy.figures import calendar_of
from events.policy.handlers import in_force_on
from events.reminders.events import ReminderSent
from events.reminders.handlers import send_reminder
from events.reminders.schedule import Subject, live_day, reminder_id, stream_of
from events.reminders.values import SEED_REMINDERS, Audience, Deadline, ReminderPolicy
from events.shared import metrics
from events.shared.actors import SYSTEM
from events.shared.context import Context
from events.store.event_store import EventStore
from projections.people.projection import active_managers
from projections.reminders import due
from projections.runner import wait_for_position

log = logging.getLogger(__name__)

VIEWS = ["meals", "visits", "people"]
APPENDS_AT_ONCE = 32  # reminders in flight per check (the pool has more connections)
PROCESS = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class ReminderConfig:
    interval_s: float = 60.0  # KEHU_REMINDER_INTERVAL
    approval_wait: timedelta = timedelta(hours=24)  # KEHU_REMINDER_APPROVAL_WAIT (hours)
    send_from_hour: int = 8  # KEHU_REMINDER_FROM_HOUR: no reminder before this local hour
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    enabled: bool = True  # KEHU_REMINDERS


def _recipients(audience: Audience, subject: Subject, managers: list[str]) -> tuple[str, ...]:
    if audience is Audience.OWNER:
        return (subject.owner,) if subject.owner else ()
    # Nobody is asked to approve their own request (M2): the requester is left out.
    return tuple(m for m in managers if not (subject.owner and same_person(m, subject.owner)))


async def due_reminders(pool: asyncpg.Pool, store: EventStore, now: datetime,
                        policy: ReminderPolicy, config: ReminderConfig) -> list[ReminderSent]:
    """The reminders live at `now` and not yet sent."""
    local = now.astimezone(config.timezone)
    if local.hour < config.send_from_hour:
        return []
    calendar = calendar_of((await in_force_on(store, local.date())).figures)
    managers = await active_managers(pool)
    found: list[ReminderSent] = []
    for rule in policy.rules:
        for subject in await due.subjects(pool, rule.deadline, now,
                                          approval_wait=config.approval_wait,
                                          tz=config.timezone):
            start = None
            if rule.deadline is Deadline.APPROVAL and subject.since is not None:
                start = (subject.since + config.approval_wait).astimezone(config.timezone)
            try:
                day = live_day(rule, subject, calendar, local, start=start)
            except CalendarGap:
                continue  # a year the calendar lacks: the M11 decision already said so
            recipients = _recipients(rule.audience, subject, managers)
            if day is None or not recipients:
                continue
            found.append(ReminderSent(
                reminder_id=reminder_id(rule, subject, day), rule=subject.rule or rule.rule,
                policy_key=rule.key, policy_version=policy.version, deadline=rule.deadline,
                subject_kind=subject.kind, subject_id=subject.subject_id, label=subject.label,
                due_on=subject.deadline, reminder_day=day, recipients=recipients, sent_at=now))
    sent = await due.already_sent(pool, [stream_of(r.reminder_id) for r in found])
    return [r for r in found if stream_of(r.reminder_id) not in sent]


async def check_once(pool: asyncpg.Pool, store: EventStore, now: datetime,
                     config: ReminderConfig, policy: ReminderPolicy = SEED_REMINDERS) -> int:
    """One check; returns how many reminders this process wrote."""
    await wait_for_position(pool, VIEWS, await store.head_position(), timeout=10)
    ctx = Context(actor=SYSTEM, now=now, tz=config.timezone,
                  correlation_id=f"reminders-{now.isoformat()}")
    gate = asyncio.Semaphore(APPENDS_AT_ONCE)

    async def send(reminder: ReminderSent) -> bool:
        async with gate:
            if not await send_reminder(store, ctx, reminder):
                return False
        metrics.REMINDERS.labels(rule=reminder.rule).inc()
        return True

    # Side by side, so the store's group commit writes many reminders per transaction.
    due_now = await due_reminders(pool, store, now, policy, config)
    results = await asyncio.gather(*(send(r) for r in due_now), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:  # the others are written; these are decided again at the next check
        log.error("%d reminders not written: %r", len(failed), failed[0])
    written = sum(1 for r in results if r is True)
    await pool.execute(
        "INSERT INTO reminder_checks (process, clock_now, checked_at, written)"
        " VALUES ($1, $2, now(), $3) ON CONFLICT (process) DO UPDATE"
        " SET clock_now = $2, checked_at = now(), written = reminder_checks.written + $3",
        PROCESS, now, written)
    return written


async def remind_forever(pool: asyncpg.Pool, store: EventStore, clock: Callable[[], datetime],
                         config: ReminderConfig) -> None:
    """The background worker; every failure is logged and the next check comes."""
    while True:
        try:
            await check_once(pool, store, clock(), config)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reminder check failed; trying again in %.1fs", config.interval_s)
        await asyncio.sleep(config.interval_s)
