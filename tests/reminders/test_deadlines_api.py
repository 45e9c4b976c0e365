"""The other deadlines through the real server: meals waiting for approval (M2) and bills
unsettled after the month end (M13) remind the managers, never the requester; commitments
(V11) and follow-ups (V12) remind their owner when due and while overdue, and stop once met."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from events.shared.actors import Actor, Role
from events.shared.context import COMPANY_TZ
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.customers.api import log_input, mutate
from tests.live import Clock, run_server
from tests.meals.flows import signed_meal
from tests.meals.helpers import User, form, register_customer, register_person
from tests.reminders.support import Inbox, checked_at, smtp_server
from tests.reminders.test_reminders_api import notes, reminder_env


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=COMPANY_TZ)


@pytest.fixture
async def fresh_store(fresh_dsn: str) -> AsyncIterator[EventStore]:
    pool = await create_pool(fresh_dsn)
    yield EventStore(pool)
    await pool.close()


async def seen(user: User) -> set[tuple[str, str, str, str]]:
    return {(n["rule"], n["kind"], n["subjectId"], n["reminderDay"])
            for n in (await notes(user))["nodes"]}


async def test_M2_M13_V11_V12_owners_and_managers_are_reminded_until_the_deadline_is_met(
    fresh_dsn: str, fresh_store: EventStore, tmp_path: Path
) -> None:
    clock_path = tmp_path / "now"
    clock = Clock(clock_path)
    clock.set(at(3, 2, 10))  # Mon 2 March 2026
    inbox = Inbox()
    env = reminder_env(clock_path, 1, KEHU_REMINDER_APPROVAL_WAIT="1")
    env.pop("KEHU_SMTP_URL")  # in the app only: no outbox without KEHU_SMTP_URL
    with smtp_server(inbox), run_server(fresh_dsn, tmp_path, **env) as server:
        staff, boss, deputy = (User(server, Role.STAFF), User(server, Role.MANAGER),
                               User(server, Role.MANAGER))
        await register_person(fresh_store, staff.id)
        for manager in (boss, deputy):
            await register_person(fresh_store, manager.id, Role.MANAGER)
        customer = await register_customer(fresh_store)
        # M13: a February meal, signed and never settled (28 Feb 2026 is a 调休 Saturday; the
        # third working day after it is Wed 4 March).
        february = await signed_meal(fresh_store, customer, "Jade Garden", at(2, 10, 19),
                                     40_000, staff.actor, Actor(deputy.id, "D", Role.MANAGER))
        waiting = await staff.mutate("requestMeal", form(customer, at(3, 5, 19)))
        assert waiting["__typename"] == "MealMutationOk", waiting
        logged = await mutate(server, "logVisit", log_input(
            at(3, 2).date(), unplanned=True, customerId=customer,
            purposes=["HELP_WITH_PROBLEM"]), auth=staff.token)
        commitments = {}
        for what in ("send the samples", "quote the repair"):
            done = await mutate(server, "recordCommitment", {
                "visitId": logged["visitId"], "what": what, "dueDate": "2026-03-04"},
                auth=staff.token)
            assert done["__typename"] == "CommitmentMutationOk", done
            commitments[what] = f"{logged['visitId']}/{done['commitmentId']}"
        late, kept = commitments["send the samples"], commitments["quote the repair"]
        meal = waiting["mealId"]

        almost = at(3, 2, 10) + timedelta(minutes=59)  # the hour's wait is not over yet
        clock.set(almost)
        await checked_at(fresh_dsn, almost)
        assert await seen(boss) == set()
        clock.set(at(3, 2, 12))
        await checked_at(fresh_dsn, at(3, 2, 12))
        assert await seen(boss) == await seen(deputy) == {("M2", "approval-waiting", meal,
                                                           "2026-03-02")}
        assert await seen(staff) == set()  # the requester is not asked to approve

        clock.set(at(3, 4, 7))  # before KEHU_REMINDER_FROM_HOUR (8): no reminder yet
        done = await mutate(server, "fulfillCommitment", {
            "visitId": kept.split("/")[0], "commitmentId": kept.split("/")[1],
            "fulfilledOn": "2026-03-04"}, auth=staff.token)
        assert done["__typename"] == "CommitmentMutationOk", done
        await checked_at(fresh_dsn, at(3, 4, 7))
        assert await seen(staff) == set()
        clock.set(at(3, 4))
        await checked_at(fresh_dsn, at(3, 4))
        bill = next(iter(n["subjectId"] for n in (await notes(boss))["nodes"]
                         if n["rule"] == "M13"))
        assert bill.endswith("/2026-02")
        assert await seen(boss) == {("M2", "approval-waiting", meal, "2026-03-02"),
                                    ("M2", "approval-waiting", meal, "2026-03-04"),
                                    ("M13", "bill-unsettled", bill, "2026-03-04")}
        # Fulfilled before the check: only the other commitment is reminded as due.
        assert await seen(staff) == {("V11", "commitment-due", late, "2026-03-04")}

        clock.set(at(3, 5))
        await checked_at(fresh_dsn, at(3, 5))
        assert await seen(staff) == {("V11", "commitment-due", late, "2026-03-04"),
                                     ("V11", "commitment-overdue", late, "2026-03-05")}
        # V12: the follow-up is due 7 days after the fulfilment, Wed 11 March.
        clock.set(at(3, 11))
        await checked_at(fresh_dsn, at(3, 11))
        assert ("V12", "follow-up-due", kept, "2026-03-11") in await seen(staff)
        assert not [n for n in await seen(staff) if n[2] == kept and n[0] == "V11"]
        assert february not in {n[2] for n in await seen(staff)}
        assert inbox.messages == []
