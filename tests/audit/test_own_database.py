"""Tests that need a database of their own: tampering (it breaks the chain for good) and a
server restart with webhook deliveries pending."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from events.shared.actors import Role
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.audit import flows
from tests.audit.receiver import run_receiver
from tests.audit.webhook_support import SETTLEMENTS, register, wait_for
from tests.live import gql, run_server, token
from tests.random_refs import random_id

VERIFY = """query($from: Int, $to: Int) { verifyAuditLog(from: $from, to: $to) {
  ok checked badPosition reason } }"""
AUDITOR = token("auditor-1", Role.AUDITOR)


@pytest.fixture
async def own_store(fresh_dsn: str) -> AsyncIterator[EventStore]:
    pool = await create_pool(fresh_dsn)
    yield EventStore(pool)
    await pool.close()


async def test_M15_tampering_is_reported_at_the_exact_event_through_graphql(
    fresh_dsn: str, own_store: EventStore, tmp_path: Path
) -> None:
    with run_server(fresh_dsn, tmp_path) as server:
        # After start-up, which may append events of its own (the seed rule book).
        for _ in range(2):
            _requested, approved = await flows.request_and_approve(
                own_store, random_id("meal-"), flows.staff(), flows.manager())
        target = approved.last_position
        head = await own_store.head_position()
        intact = await gql(server, VERIFY, {}, auth=AUDITOR)
        assert intact["data"]["verifyAuditLog"] == {"ok": True, "checked": head,
                                                    "badPosition": None, "reason": None}
        # What someone with superuser access does: switch the append-only triggers off and
        # lower the policy version the second approval was decided under.
        conn = await asyncpg.connect(fresh_dsn)
        try:
            async with conn.transaction():
                await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
                await conn.execute("UPDATE events SET metadata = jsonb_set(metadata,"
                                   " '{policy_version}', '0') WHERE position = $1", target)
                await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")
        finally:
            await conn.close()
        report = (await gql(server, VERIFY, {}, auth=AUDITOR))["data"]["verifyAuditLog"]
        before = (await gql(server, VERIFY, {"to": target - 1},
                            auth=AUDITOR))["data"]["verifyAuditLog"]
    assert report["ok"] is False and report["badPosition"] == target
    assert report["checked"] == target - 1
    assert "altered" in report["reason"]
    assert before["ok"] is True and before["checked"] == target - 1


async def test_webhook_deliveries_resume_after_a_restart(
    fresh_dsn: str, own_store: EventStore, tmp_path: Path
) -> None:
    integration = token("int-restart", Role.INTEGRATION)
    with run_receiver(fail_first=0) as receiver:
        with run_server(fresh_dsn, tmp_path) as first_server:
            ok = await register(first_server, integration, receiver.url, SETTLEMENTS)
            settled = [(await flows.settled_meal(own_store)).last_position]
            await wait_for(receiver, 1)
        # No server runs while these settle; the next one must pick up where the first stopped.
        settled += [(await flows.settled_meal(own_store)).last_position for _ in range(2)]
        with run_server(fresh_dsn, tmp_path) as second_server:
            await wait_for(receiver, 3)
            body = await gql(second_server, "{ webhooks { id lastPosition delivered } }",
                             auth=integration)
    positions = [int(r.headers["X-Kehu-Event-Position"]) for r in receiver.accepted()]
    assert positions == settled
    assert body["data"]["webhooks"] == [{"id": ok["webhook"]["id"], "lastPosition": settled[-1],
                                         "delivered": 3}]
