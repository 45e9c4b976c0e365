"""A stopping server ends within a bound (server.stop_tasks, server.close_pool): a task that
will not end, or a pool connection still held, is named in the log and left behind, instead
of keeping the process up (an intermittent lifecycle hang: Pool.close waits for every
connection to come back)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg
import pytest

import server
from events.store.db import create_pool


async def test_a_task_that_swallows_its_cancellation_is_named_and_left(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(server, "SHUTDOWN_GRACE_S", 0.3)
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await release.wait()

    async def polite() -> None:
        await asyncio.Event().wait()

    tasks = [asyncio.create_task(stubborn(), name="kehu-stubborn"),
             asyncio.create_task(polite(), name="kehu-polite")]
    await asyncio.sleep(0)  # both running, as background tasks are when a server stops
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="kehu"):
        await server.stop_tasks(tasks)
    assert time.monotonic() - started < 5
    assert tasks[1].cancelled() and not tasks[0].done()
    assert "kehu-stubborn" in caplog.text and "kehu-polite" not in caplog.text
    release.set()
    await tasks[0]


async def test_a_held_connection_does_not_keep_the_pool_open(
        dsn: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(server, "SHUTDOWN_GRACE_S", 0.3)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    held = await pool.acquire()  # a task that never gives its connection back
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="kehu"):
        await server.close_pool(pool)
    assert time.monotonic() - started < 5
    assert "pool connections still held" in caplog.text
    del held
    with pytest.raises(asyncpg.InterfaceError):
        await pool.fetchval("SELECT 1")
