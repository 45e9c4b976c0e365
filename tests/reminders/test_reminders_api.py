"""Reminders through real servers, a real SMTP server (aiosmtpd) and real clients, with the
clock moved by the test: the right working days across a weekend and a public holiday, none
after the deadline is met, each reminder once with two servers, and a failing SMTP server
retried until nothing is lost."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from events.shared.actors import Role
from events.shared.context import COMPANY_TZ
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.live import Clock, LiveServer, Subscriber, connect_ws, run_server
from tests.meals.helpers import User, form, register_customer, register_person
from tests.reminders.support import Inbox, checked_at, eventually, fetch, smtp_server

NOTIFICATIONS = """query($unread: Boolean, $after: String) {
  notifications(unread: $unread, first: 20, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id rule kind deadline subjectKind subjectId label dueOn reminderDay text read position }
  } }"""


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=COMPANY_TZ)


def reminder_env(clock: Path, smtp_port: int, **more: str) -> dict[str, str]:
    return {"KEHU_CLOCK_FILE": str(clock), "KEHU_REMINDERS": "true",
            "KEHU_REMINDER_INTERVAL": "0.2",
            "KEHU_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "KEHU_SMTP_FROM": "kehu@example.com",
            "KEHU_SMTP_RETRY_BASE": "0.2", "KEHU_SMTP_RETRY_MAX": "0.5", "KEHU_SMTP_RATE": "50",
            **more}


@pytest.fixture
async def fresh_store(fresh_dsn: str) -> AsyncIterator[EventStore]:
    pool = await create_pool(fresh_dsn)
    yield EventStore(pool)
    await pool.close()


async def verbal_meal(boss: User, staff_id: str, customer: str, meal_at: datetime) -> str:
    done = await boss.mutate("approveMealVerbally", {
        "requestedBy": staff_id, "customerId": customer, "mealAt": meal_at.isoformat(),
        "restaurant": "Jade Garden", "guests": 4, "accompanying": 2, "mealType": "BANQUET",
        "host": "STAFF", "urgencyReason": "the delegation arrived early",
        "estimatedTotal": "400.00"})
    assert done["status"] == "PENDING_PAPERWORK", done
    meal_id: str = done["mealId"]
    return meal_id


async def with_contact(server: LiveServer, store: EventStore, user: User, address: str,
                       language: str | None) -> None:
    await register_person(store, user.id)
    office = User(server, Role.ADMIN_OFFICE)
    done = await office.mutate("recordPersonContact", {
        "userId": user.id, "email": address, "language": language},
        fields="__typename ... on PersonMutationOk { userId } ... on ValidationError "
               "{ problems { field message } }")
    assert done["__typename"] == "PersonMutationOk", done


async def notes(user: User, **variables: Any) -> dict[str, Any]:
    data = await user.query(NOTIFICATIONS, **variables)
    page: dict[str, Any] = data["notifications"]
    return page


async def test_M11_paperwork_reminders_on_working_days_across_dragon_boat_and_none_once_done(
    fresh_dsn: str, fresh_store: EventStore, tmp_path: Path
) -> None:
    clock_path = tmp_path / "now"
    clock = Clock(clock_path)
    clock.set(at(2026, 6, 16, 20))
    inbox = Inbox()
    with smtp_server(inbox) as port, \
            run_server(fresh_dsn, tmp_path, **reminder_env(clock_path, port)) as server:
        staff, carol = User(server, Role.STAFF), User(server, Role.STAFF)
        boss = User(server, Role.MANAGER)
        await with_contact(server, fresh_store, staff, f"{staff.id}@example.com", None)
        await with_contact(server, fresh_store, carol, f"{carol.id}@example.com", "en")
        customer = await register_customer(fresh_store)
        injected = await User(server, Role.ADMIN_OFFICE).mutate("recordPersonContact", {
            "userId": staff.id, "email": "a@example.com\r\nBcc: all@example.com"},
            fields="__typename ... on ValidationError { problems { field } }")
        assert injected == {"__typename": "ValidationError", "problems": [{"field": "email"}]}
        flood = await staff.mutate("markNotificationsRead", {"ids": [str(i) for i in range(101)]},
                                   fields="__typename ... on ValidationError { problems "
                                          "{ field } }")
        assert flood["__typename"] == "ValidationError", flood
        # Tue 16 June 2026: due Mon 22 June (17, 18 and, after the Dragon Boat Festival on
        # Fri 19 and the weekend, 22).
        late = await verbal_meal(boss, staff.id, customer, at(2026, 6, 16, 19))
        done = await verbal_meal(boss, staff.id, customer, at(2026, 6, 16, 18))
        carols = await verbal_meal(boss, carol.id, customer, at(2026, 6, 16, 18))

        clock.set(at(2026, 6, 17))
        finished = await staff.mutate("completeMealPaperwork", {
            "mealId": done, "form": form(customer, at(2026, 6, 16, 18))})
        assert finished["status"] == "PAPERWORK_COMPLETED", finished
        await checked_at(fresh_dsn, at(2026, 6, 17))
        assert (await notes(staff))["totalCount"] == 0 and inbox.messages == []

        # Thu 18 June: one working day before Mon 22 June.
        clock.set(at(2026, 6, 18))
        before = await eventually(lambda: _one(staff, "paperwork-before"), "the M11 reminder")
        assert (before["rule"], before["subjectId"], before["dueOn"], before["reminderDay"]) == \
            ("M11", late, "2026-06-22", "2026-06-18"), before
        assert "2026-06-22" in before["text"] and not before["read"]
        mail = await eventually(lambda: _mail(inbox, f"{staff.id}@example.com", 1), "the email")
        text = mail[0].get_content()
        assert "2026-06-22" in text and "您好" in text and "Dear" in text, text  # both languages
        assert "M11" in mail[0]["Subject"]

        for day in (19, 20, 21):  # the holiday and the weekend: nothing new
            clock.set(at(2026, 6, day))
            await checked_at(fresh_dsn, at(2026, 6, day))
        assert (await notes(staff))["totalCount"] == 1

        # Carol's subscription: her reminder so far (catch-up), then the due day's, live;
        # never Li's, although his are written in between.
        async with connect_ws(server) as ws:
            sub = Subscriber(ws)
            assert (await sub.init(carol.token))["type"] == "connection_ack"
            await sub.subscribe("1", "subscription { notifications(after: 0) { subjectId rule "
                                "kind text } }", {})
            caught_up = (await sub.next())["payload"]["data"]["notifications"]
            assert (caught_up["subjectId"], caught_up["kind"]) == (carols, "paperwork-before")
            clock.set(at(2026, 6, 22))
            live = (await sub.next())["payload"]["data"]["notifications"]
            assert (live["subjectId"], live["kind"], live["rule"]) == \
                (carols, "paperwork-due", "M11")
            assert "is due today, 2026-06-22" in live["text"]  # English: the default language
        due = await eventually(lambda: _one(staff, "paperwork-due"), "the due-day reminder")
        assert (due["subjectId"], due["reminderDay"]) == (late, "2026-06-22")
        clock.set(at(2026, 6, 22, 15))
        await checked_at(fresh_dsn, at(2026, 6, 22, 15))
        page = await notes(staff)
        assert page["totalCount"] == 2 and {n["subjectId"] for n in page["nodes"]} == {late}
        assert len(await _mail(inbox, f"{staff.id}@example.com", 2) or []) == 2
        carol_mail = await eventually(lambda: _mail(inbox, f"{carol.id}@example.com", 2), "mail")
        assert all("Dear" in m.get_content() and "您好" not in m.get_content()
                   for m in carol_mail)  # her language only

        # Her own only: Carol sees her meal's reminders, never Li's, and marks only hers.
        theirs = await notes(carol)
        assert {n["subjectId"] for n in theirs["nodes"]} == {carols}
        marked = await staff.mutate(
            "markNotificationsRead", {"ids": [before["id"], theirs["nodes"][0]["id"]]},
            fields="__typename ... on NotificationsReadOk { position }")
        assert marked["__typename"] == "NotificationsReadOk", marked
        unread = await staff.query(NOTIFICATIONS.replace("first: 20", "first: 20, atLeast: $at")
                                   .replace("$after: String)", "$after: String, $at: Int)"),
                                   unread=True, at=marked["position"])
        assert [n["kind"] for n in unread["notifications"]["nodes"]] == ["paperwork-due"]
        assert all(not n["read"] for n in (await notes(carol))["nodes"])
        async with httpx.AsyncClient(timeout=30) as client:
            chinese = (await client.post(server.url + "/graphql", json={
                "query": "{ notifications(first: 5) { nodes { kind text } } }"}, headers={
                "Authorization": f"Bearer {staff.token}", "Accept-Language": "zh-CN"})).json()
        texts = {n["kind"]: n["text"] for n in chinese["data"]["notifications"]["nodes"]}
        assert texts["paperwork-due"].startswith("与") and "今天（2026-06-22）到期" in \
            texts["paperwork-due"], texts

        events = await fetch(fresh_dsn, "SELECT payload FROM kehu_log.events"
                                        " WHERE event_type = 'ReminderSent'")
        assert len(events) == 4
        assert done not in json.dumps([json.loads(e["payload"]) if isinstance(e["payload"], str)
                                       else e["payload"] for e in events])


async def _one(user: User, kind: str) -> dict[str, Any] | None:
    found = [n for n in (await notes(user))["nodes"] if n["kind"] == kind]
    assert len(found) <= 1, found
    return found[0] if found else None


async def _mail(inbox: Inbox, address: str, count: int) -> list[Any] | None:
    got = inbox.to(address)
    assert len(got) <= count, [m["Subject"] for m in got]
    return got if len(got) == count else None
