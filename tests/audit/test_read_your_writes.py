"""Read-your-writes: a query with atLeast waits for EVERY projection, woken by the runners'
NOTIFY, and gives up at its bound."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from projections.runner import PROJECTIONS_CHANNEL, RECHECK_S, wait_for_position
from tests.random_refs import random_id


async def checkpoint(pool: asyncpg.Pool, position: int) -> str:
    name = random_id("test-projection-")
    await pool.execute("INSERT INTO projection_checkpoints (name, position, version)"
                       " VALUES ($1, $2, 1)", name, position)
    return name


async def test_a_projection_without_a_checkpoint_has_applied_nothing(pool: asyncpg.Pool) -> None:
    ahead = await checkpoint(pool, 1_000_000)
    never_ran = random_id("test-projection-")
    assert await wait_for_position(pool, [ahead], 5, 0.1) is True
    started = time.monotonic()
    assert await wait_for_position(pool, [ahead, never_ran], 5, 0.3) is False
    assert 0.3 <= time.monotonic() - started < 2  # bounded by the timeout


async def test_the_wait_ends_on_the_runners_notification(pool: asyncpg.Pool) -> None:
    behind = await checkpoint(pool, 0)

    async def runner_catches_up() -> None:
        await asyncio.sleep(0.05)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("UPDATE projection_checkpoints SET position = 10 WHERE name = $1",
                               behind)
            await conn.execute(f"NOTIFY {PROJECTIONS_CHANNEL}")

    started = time.monotonic()
    waited, _ = await asyncio.gather(wait_for_position(pool, [behind], 10, 5),
                                     runner_catches_up())
    assert waited is True
    assert time.monotonic() - started < RECHECK_S  # woken, not found by the periodic re-check
