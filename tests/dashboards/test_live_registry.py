"""The live-query registry on real PostgreSQL, driven by a checkpoint of its own (a row in
projection_checkpoints and the runners' NOTIFY, as a projection saves it): a slow subscriber
gets the latest result and holds up no one, an unchanged result is not sent again, and
advances in quick succession are computed at most once per interval."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from itertools import pairwise

import asyncpg

from events.store.event_store import EventStore
from events.store.notifications import Notifier
from projections.runner import PROJECTIONS_CHANNEL
from schema.context import Services
from schema.live.plan import Plan
from schema.live.registry import LiveRegistry
from schema.settings import Settings
from tests.random_refs import random_id

WAIT_S = 10


async def advance(pool: asyncpg.Pool, name: str, position: int) -> None:
    await pool.execute(
        "INSERT INTO projection_checkpoints (name, position, version) VALUES ($1, $2, 1)"
        " ON CONFLICT (name) DO UPDATE SET position = $2", name, position)
    await pool.execute(f"SELECT pg_notify('{PROJECTIONS_CHANNEL}', '')")


def registry(dsn: str, pool: asyncpg.Pool, store: EventStore, interval_ms: int) -> LiveRegistry:
    settings = Settings(jwt_secret="live-registry-test" * 2, live_interval_ms=interval_ms,
                        poll_interval_s=5.0)  # a slow timer: the NOTIFY must do the waking
    return LiveRegistry(Services(settings=settings, dsn=dsn, pool=pool, store=store,
                                 notifier=Notifier(dsn)))


async def next_of(updates: AsyncIterator[object]) -> object:
    return await asyncio.wait_for(anext(updates), WAIT_S)


async def computed_again(calls: list[int], before: int) -> None:
    while calls[0] == before:
        await asyncio.sleep(0.01)


async def test_a_slow_subscriber_skips_to_the_latest_and_holds_up_no_one(
    dsn: str, pool: asyncpg.Pool, store: EventStore
) -> None:
    name = random_id("live-test-")
    live = registry(dsn, pool, store, interval_ms=20)
    value, calls = [0], [0]

    async def compute() -> int:
        calls[0] += 1
        return value[0]

    plan = Plan("test", (name,), None, frozenset({name}), compute)
    slow, fast = live.subscribe(plan, "slow"), live.subscribe(plan, "fast")
    assert await next_of(slow) == 0 and await next_of(fast) == 0
    assert len(live.queries) == 1  # two subscribers, one computation
    for n in range(1, 5):
        value[0] = n
        await advance(pool, name, n)
        assert await next_of(fast) == n
    # The slow one was not read meanwhile: it gets the latest result, not the backlog.
    assert await next_of(slow) == 4
    # An advance that leaves the result as it was sends nothing; the next change is sent.
    before = calls[0]
    await advance(pool, name, 5)
    await asyncio.wait_for(computed_again(calls, before), WAIT_S)  # computed, not sent
    value[0] = 6
    await advance(pool, name, 6)
    assert await next_of(fast) == 6
    await slow.aclose()
    await fast.aclose()
    assert live.queries == {} and live.held == {}


async def test_advances_in_quick_succession_are_computed_once_per_interval(
    dsn: str, pool: asyncpg.Pool, store: EventStore
) -> None:
    name = random_id("live-test-")
    live = registry(dsn, pool, store, interval_ms=400)
    loop = asyncio.get_running_loop()
    value, computed = [0], []

    async def compute() -> int:
        computed.append(loop.time())
        return value[0]

    updates = live.subscribe(Plan("test", (name,), None, frozenset({name}), compute), "u")
    assert await next_of(updates) == 0
    for n in range(1, 11):
        value[0] = n
        await advance(pool, name, n)
    while await next_of(updates) != 10:
        pass
    gaps = [b - a for a, b in pairwise(computed)]
    assert gaps and min(gaps) >= 0.39, gaps  # at most once per 400 ms
    assert len(computed) <= 4, computed  # not once per advance
    await updates.aclose()
