"""Each reminder once with two servers on one database, and a failing SMTP server (down, then
answering 4xx) retried until every email is delivered, once."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from events.shared.actors import Role
from events.shared.context import COMPANY_TZ
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.live import Clock, free_port, run_server
from tests.meals.helpers import User, register_customer
from tests.reminders.support import Inbox, checked_at, eventually, fetch, smtp_server
from tests.reminders.test_reminders_api import reminder_env, verbal_meal, with_contact


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=COMPANY_TZ)


@pytest.fixture
async def fresh_store(fresh_dsn: str) -> AsyncIterator[EventStore]:
    pool = await create_pool(fresh_dsn)
    yield EventStore(pool)
    await pool.close()


async def test_M11_two_servers_send_each_reminder_exactly_once(
    fresh_dsn: str, fresh_store: EventStore, tmp_path: Path
) -> None:
    clock_path = tmp_path / "now"
    clock = Clock(clock_path)
    clock.set(at(2026, 6, 16, 20))
    inbox = Inbox()
    with smtp_server(inbox) as port, ExitStack() as servers:
        env = reminder_env(clock_path, port, KEHU_REMINDER_INTERVAL="0.05")
        first = servers.enter_context(run_server(fresh_dsn, tmp_path, **env))
        servers.enter_context(run_server(fresh_dsn, tmp_path, **env))
        boss = User(first, Role.MANAGER)
        customer = await register_customer(fresh_store)
        people = [User(first, Role.STAFF) for _ in range(4)]
        meals = []
        for person in people:
            await with_contact(first, fresh_store, person, f"{person.id}@example.com", "zh")
            for hour in (17, 18, 19):
                meals.append(await verbal_meal(boss, person.id, customer, at(2026, 6, 16, hour)))
        for day in (18, 22):
            clock.set(at(2026, 6, day))
            await checked_at(fresh_dsn, at(2026, 6, day), processes=2)

        expected = len(meals) * 2  # the day before and the day itself
        sent = await eventually(lambda: _sent(fresh_dsn, expected), "every email sent")
        assert sent == expected
        events = await fetch(fresh_dsn, "SELECT stream_id FROM kehu_log.events"
                                        " WHERE event_type = 'ReminderSent'")
        assert len(events) == expected and len({e["stream_id"] for e in events}) == expected
        # Each process wrote some reminders, or at least tried: the two checked the same days.
        checks = await fetch(fresh_dsn, "SELECT written FROM reminder_checks")
        assert len(checks) == 2 and sum(c["written"] for c in checks) == expected
        received = Counter(m["Message-ID"] for m in inbox.messages)
        assert len({(m["To"], m.get_content()) for m in inbox.messages}) == expected
        assert len(inbox.messages) == expected and set(received.values()) == {1}
        assert all("您好" in m.get_content() and "Dear" not in m.get_content()
                   for m in inbox.messages)


async def _sent(dsn: str, expected: int) -> int | None:
    rows = await fetch(dsn, "SELECT status, count(*) AS n FROM reminder_emails GROUP BY status")
    counts = {r["status"]: r["n"] for r in rows}
    return counts.get("sent") if counts.get("sent") == expected and len(counts) == 1 else None


async def test_M11_a_failing_smtp_server_is_retried_and_nothing_is_lost(
    fresh_dsn: str, fresh_store: EventStore, tmp_path: Path
) -> None:
    clock_path = tmp_path / "now"
    clock = Clock(clock_path)
    clock.set(at(2026, 6, 16, 20))
    port = free_port()  # nothing listens there yet: the SMTP server is down
    with run_server(fresh_dsn, tmp_path, **reminder_env(clock_path, port)) as server:
        staff, boss = User(server, Role.STAFF), User(server, Role.MANAGER)
        await with_contact(server, fresh_store, staff, f"{staff.id}@example.com", "en")
        customer = await register_customer(fresh_store)
        meals = [await verbal_meal(boss, staff.id, customer, at(2026, 6, 16, h))
                 for h in (18, 19)]
        clock.set(at(2026, 6, 18))

        async def retried() -> bool:
            rows = await fetch(fresh_dsn, "SELECT status, attempts, last_error"
                                          " FROM reminder_emails")
            return len(rows) == 2 and all(r["status"] == "failed" and r["attempts"] >= 2
                                          and r["last_error"] for r in rows)

        await eventually(retried, "failed attempts recorded with their error")
        inbox = Inbox(refuse=3)  # up again, but answering 451 at first
        with smtp_server(inbox, port):
            await eventually(lambda: _sent(fresh_dsn, 2), "both emails sent")
            rows = await fetch(fresh_dsn, "SELECT reminder_id, attempts, last_error, sent_at"
                                          " FROM reminder_emails")
            assert all(r["attempts"] >= 3 and r["last_error"] is None and r["sent_at"]
                       for r in rows)
            assert inbox.refused == 3
            assert sorted(m.get_content().count("2026-06-22") for m in inbox.messages) == [1, 1]
            assert {r["reminder_id"].split(":")[2] for r in rows} == set(meals)
            assert len(inbox.messages) == 2
            async with httpx.AsyncClient(timeout=10) as client:
                metrics = (await client.get(server.url + "/metrics")).text

            def metric(sample: str) -> float:
                found = re.search(rf"^{re.escape(sample)} (\S+)$", metrics, flags=re.M)
                return float(found.group(1)) if found else 0.0

            assert metric('kehu_reminder_emails_total{outcome="sent"}') == 2
            assert metric('kehu_reminder_emails_total{outcome="failed"}') >= 4 + 3
            assert metric('kehu_reminders_total{rule="M11"}') == 2
