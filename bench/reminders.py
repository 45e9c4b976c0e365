"""Reminders: what one check of the reminder worker costs with many deadlines outstanding.

    python bench/reminders.py [--meals 2000] [--json PATH]

A fresh database gets `--meals` verbally approved meals (M11) whose paperwork is due on one
day, from 20 staff members; the projection runners build the views; then the worker checks
on the day before the due day (clock injected): the first check writes one reminder per meal,
the second finds them all written and writes nothing (what every later check and every other
process pays). Run by hand or by run_all.py, never from the tests. No issue sets a figure
for it: both checks are reported, so a regression shows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, print_report
from events.customers.commands import RegisterCustomer
from events.customers.handlers import handle_customer
from events.meals.commands import ApproveMealVerbally
from events.meals.handlers import handle_meal
from events.people.commands import RegisterPerson
from events.people.handlers import handle_person
from events.policy.handlers import install_seed
from events.policy.values import Host, MealType
from events.shared.actors import SYSTEM, Actor, Role
from events.shared.context import COMPANY_TZ, Context
from events.store.db import create_pool
from events.store.event_store import EventStore
from events.store.notifications import Notifier
from projections import registry
from projections.reminders.worker import VIEWS, ReminderConfig, check_once
from projections.runner import run_forever, wait_for_position

APPROVED = datetime(2026, 6, 16, 20, tzinfo=COMPANY_TZ)  # due Mon 22 June (Dragon Boat)
CHECK = datetime(2026, 6, 18, 9, tzinfo=COMPANY_TZ)  # one working day before


async def seed(store: EventStore, meals: int) -> None:
    office = Context(Actor("office", "Office", Role.ADMIN_OFFICE), datetime.now(UTC))
    boss = Context(Actor("boss", "Boss", Role.MANAGER), APPROVED)
    await install_seed(store, Context(SYSTEM, datetime.now(UTC)))
    staff = [f"staff-{i}" for i in range(20)]
    for user in staff:
        await handle_person(store, office, RegisterPerson(user, user, Role.STAFF))
    await handle_customer(store, Context(Actor("clerk", "Clerk", Role.STAFF), datetime.now(UTC)),
                          RegisterCustomer("bench-customer", "Huaxin Ltd"))
    for i in range(meals):
        await handle_meal(store, boss, ApproveMealVerbally(
            uuid.uuid4().hex, staff[i % len(staff)], "bench-customer", APPROVED.replace(hour=19),
            "Jade Garden", 4, 2, MealType.BANQUET, Host.STAFF, "the delegation arrived early"))


async def measure(meals: int) -> dict[str, Any]:
    async with fresh_database() as dsn:
        pool = await create_pool(dsn)
        store = EventStore(pool)
        notifier = Notifier(dsn, poll_interval=0.5)
        await notifier.start()
        runners = [asyncio.create_task(run_forever(dsn, p, notifier)) for p in registry.ALL]
        try:
            started = time.perf_counter()
            await seed(store, meals)
            seeded = time.perf_counter() - started
            await wait_for_position(pool, VIEWS, await store.head_position(), timeout=300)
            config = ReminderConfig(timezone=COMPANY_TZ)
            figures = []
            for label in ("first check (writes)", "second check (all written)"):
                started = time.perf_counter()
                written = await check_once(pool, store, CHECK, config)
                figures.append([label, str(written), f"{time.perf_counter() - started:.3f}"])
        finally:
            for task in runners:
                task.cancel()
            await asyncio.gather(*runners, return_exceptions=True)
            await notifier.stop()
            await pool.close()
    first, second = float(figures[0][2]), float(figures[1][2])
    return {
        "title": "Reminders",
        "tables": [{"header": ["check", "reminders written", "seconds"], "rows": figures}],
        "targets": [
            {"name": f"first check, {meals:,} meals due: reminders written per second",
             "value": f"{meals / first:,.0f}/s", "ratio": f"{first:.2f} s", "met": None},
            {"name": f"a later check with {meals:,} reminders already written",
             "value": f"{second * 1000:.0f} ms", "ratio": "", "met": None}],
        "notes": [f"{meals:,} verbally approved meals from 20 staff members, seeded in"
                  f" {seeded:.1f} s; the check runs on the day before the due day (injected"
                  " clock)",
                  "The second check is what every later check, and every other process"
                  " running the worker, pays."],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meals", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = asyncio.run(measure(args.meals))
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
