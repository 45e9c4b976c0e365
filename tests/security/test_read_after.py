"""`atLeast` waits hold no pool connection, happen once per request, and a position beyond the
log's head is refused at once (a flood of such fields held the pool and stalled everyone)."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx

from conformance.probe import append_probes
from events.shared.actors import Role
from events.store.event_store import EventStore
from schema.catch_up import CatchUpGate
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id


async def test_waiters_hold_no_connection_and_wake_when_projections_catch_up(
        dsn: str, store: EventStore) -> None:
    written = await append_probes(store, 1)
    small = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        name = random_id("test-projection-")
        await small.execute("INSERT INTO projection_checkpoints (name, position, version)"
                            " VALUES ($1, 0, 1)", name)
        gate = CatchUpGate(small, [name])
        waiters = [asyncio.create_task(gate.wait(written.last_position, 30)) for _ in range(20)]
        await asyncio.sleep(0.2)  # let them all start waiting
        # The pool's only connection is free for everyone else while twenty requests wait.
        assert await asyncio.wait_for(small.fetchval("SELECT 1"), 2) == 1
        assert not any(w.done() for w in waiters)
        await small.execute("UPDATE projection_checkpoints SET position = $2 WHERE name = $1",
                            name, written.last_position)
        assert await asyncio.wait_for(asyncio.gather(*waiters), 5) == [True] * 20
    finally:
        await small.close()


async def test_a_position_beyond_the_head_is_refused_at_once(live_server: LiveServer) -> None:
    fields = " ".join(f"a{i}: products(atLeast: 2147483647) {{ code }}" for i in range(30))
    started = time.perf_counter()
    body = await gql(live_server, f"{{ {fields} }}", auth=token("flood", Role.MANAGER))
    assert time.perf_counter() - started < 2
    assert body["errors"], body
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
    assert body["errors"][0]["extensions"]["field"] == "atLeast"


async def test_a_normal_reader_is_not_slowed_by_a_waiting_flood(live_server: LiveServer) -> None:
    head = (await gql(live_server, "{ events(first: 1) { position } }",
                      auth=token("reader", Role.AUDITOR)))
    assert "errors" not in head, head
    flood = " ".join(f"a{i}: products(atLeast: 1) {{ code }}" for i in range(30))
    floods = [gql(live_server, f"{{ {flood} }}", auth=token("flood", Role.MANAGER))
              for _ in range(10)]
    started = time.perf_counter()
    normal, *_ = await asyncio.gather(
        gql(live_server, "{ policies { version } }", auth=token("reader", Role.MANAGER)),
        *floods)
    assert "errors" not in normal, normal
    assert time.perf_counter() - started < 5


async def test_verify_audit_log_runs_once_per_request_and_health_answers(
        live_server: LiveServer) -> None:
    fields = " ".join(f"v{i}: verifyAuditLog {{ ok checked }}" for i in range(10))
    async with httpx.AsyncClient(timeout=30) as client:
        body, health = await asyncio.gather(
            gql(live_server, f"{{ {fields} }}", auth=token("verifier", Role.AUDITOR)),
            client.get(live_server.url + "/healthz"))
    assert health.status_code == 200
    assert "errors" not in body, body
    reports = list(body["data"].values())
    assert all(r == reports[0] for r in reports) and reports[0]["ok"] is True


async def test_many_concurrent_waiters_share_refreshes_without_spinning(
        dsn: str, store: EventStore) -> None:
    written = await append_probes(store, 1)
    small = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        gate = CatchUpGate(small, [random_id("never-ran-")])
        beyond = [gate.wait(written.last_position + 10**9, 1) for _ in range(50)]
        results = await asyncio.wait_for(
            asyncio.gather(*beyond, return_exceptions=True), 10)
        assert all(type(r).__name__ == "BeyondHead" for r in results), results
    finally:
        await small.close()
