"""PostgreSQL stops and starts again under a running Kehu (an embedded PostgreSQL of this test's
own, so the shared test database is untouched): while it is down, requests come back as errors
promptly instead of hanging; afterwards they succeed; a subscriber that resumes from the last
position it saw receives every event exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from conformance import pg
from conformance.probe import append_probes
from events.shared.actors import Role
from events.store.db import create_pool
from events.store.embedded import start_embedded
from events.store.event_store import EventStore
from events.store.migrations.run import upgrade
from tests.live import LiveServer, Subscriber, connect_ws, gql, run_server, token

QUERY = "{ events(first: 1) { position } }"
FOLLOW = ("subscription($after: Int) "
          "{ events(after: $after, types: [\"ConformanceProbe\"]) { position } }")
PROMPT = 15.0  # seconds an answer may take while the database is down (a hang fails)


async def _append(dsn: str, count: int) -> list[int]:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        r = await append_probes(EventStore(pool), count)
    finally:
        await pool.close()
    return list(range(r.first_position, r.last_position + 1))


class ResumingSubscriber:
    """Follows probe events; when the subscription ends with an error or the socket drops, it
    subscribes again after the last position it received, as the API documents."""

    def __init__(self, server: LiveServer):
        self.server = server
        self.received: list[int] = []
        self.resumed = 0

    async def run(self, until: int) -> None:
        while not self.received or self.received[-1] < until:
            with contextlib.suppress(ConnectionClosed, OSError, TimeoutError):
                await self._follow(until)
            if not self.received or self.received[-1] < until:
                self.resumed += 1
                await asyncio.sleep(0.5)

    async def _follow(self, until: int) -> None:
        async with connect_ws(self.server) as ws:
            client = Subscriber(ws)
            if (await client.init(token("resumer", Role.INTEGRATION)))["type"] != "connection_ack":
                return
            after = self.received[-1] if self.received else 0
            await client.subscribe("f", FOLLOW, {"after": after})
            while True:
                message: dict[str, Any] = await client.next(timeout=30)
                if message["type"] != "next" or message["payload"].get("errors"):
                    return  # error or complete: resume
                self.received.append(message["payload"]["data"]["events"]["position"])
                if self.received[-1] >= until:
                    return


async def _timed_query(server: LiveServer, auth: str) -> tuple[float, dict[str, Any] | None, int]:
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=PROMPT + 5) as client:
        response = await client.post(server.url + "/graphql", json={"query": QUERY},
                                     headers={"Authorization": f"Bearer {auth}"})
    try:
        body = response.json()
    except ValueError:
        body = None
    return time.monotonic() - started, body, response.status_code


async def test_postgres_restart_under_a_running_server(tmp_path: Path) -> None:
    pg_dir = tmp_path / "own-pg"
    dsn = await asyncio.to_thread(start_embedded, pg_dir)
    await upgrade(dsn)
    reader = token("restart-auditor", Role.AUDITOR)
    try:
        with run_server(dsn, tmp_path, KEHU_POLL_INTERVAL="0.2") as server:
            before = await _append(dsn, 3)
            follower = ResumingSubscriber(server)
            expected = list(before)
            following = asyncio.create_task(follower.run(until=10**9))
            await _wait_for(lambda: follower.received == expected)

            await asyncio.to_thread(pg.stop, pg_dir)
            for _ in range(2):
                took, body, status = await _timed_query(server, reader)
                assert took < PROMPT, f"took {took:.1f}s"
                print(f"database down: HTTP {status} in {took:.2f}s: {str(body)[:160]}")
                assert status >= 500 or (body is not None and body.get("errors")), body
                if body is not None and body.get("errors"):
                    # A retryable code, not an opaque internal error.
                    assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE", body
            async with httpx.AsyncClient() as client:
                assert (await client.get(server.url + "/readyz")).status_code == 503

            await asyncio.to_thread(pg.start, pg_dir)
            await _wait_for(lambda: _ok(server, reader), timeout=30)
            expected += await _append(dsn, 3)
            await _wait_for(lambda: follower.received == expected, timeout=30)
            following.cancel()
            # Closed before the server stops: an open WebSocket holds up uvicorn's shutdown.
            with contextlib.suppress(asyncio.CancelledError):
                await following
            assert follower.received == expected  # nothing lost, nothing twice
            assert follower.resumed >= 1  # it really was cut off and came back
    finally:
        if pg.is_running(pg_dir):
            await asyncio.to_thread(pg.stop, pg_dir)


async def _ok(server: LiveServer, auth: str) -> bool:
    body = await gql(server, QUERY, auth=auth)
    return "errors" not in body


async def _wait_for(condition: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"condition not met in {timeout}s")
