"""The projection runner: exactly-once effect, one active runner, rebuild-and-swap."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from events.shared.actors import Actor, Role
from events.store.db import connect
from events.store.envelope import Metadata, StoredEvent
from events.store.event_store import EventStore, StreamAppend
from events.store.notifications import Notifier
from projections.base import Projection
from projections.runner import apply_batch, lock_key, rebuild, run_forever
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

META = Metadata.for_actor(Actor("u-proj", "P", Role.STAFF), correlation_id="proj")


def counting_projection(fail_on: int | None = None) -> Projection:
    """Counts ThingHappened per stream and sums n; fails on n == fail_on if asked."""
    table = random_id("things_")

    async def handle(conn: asyncpg.Connection, e: StoredEvent) -> None:
        if fail_on is not None and e.payload["n"] == fail_on:
            raise RuntimeError("handler failure")
        await conn.execute(
            f"INSERT INTO {table} (stream_id, events, total) VALUES ($1, 1, $2)"
            f" ON CONFLICT (stream_id) DO UPDATE SET events = {table}.events + 1,"
            f" total = {table}.total + $2", e.stream_id, e.payload["n"],
        )

    return Projection(
        name=table, version=1, tables=(table,),
        ddl=(f"CREATE TABLE {table} (stream_id text PRIMARY KEY, events int, total int)",),
        handle=handle, event_types=frozenset({"ThingHappened"}),
    )


async def catch_up(conn: asyncpg.Connection, projection: Projection) -> int:
    position: int = await conn.fetchval(
        "SELECT position FROM projection_checkpoints WHERE name = $1", projection.name)
    while (moved := await apply_batch(conn, projection, position)) != position:
        position = moved
    return position


async def rows(conn: asyncpg.Connection, table: str) -> list[tuple[str, int, int]]:
    return [tuple(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY stream_id")]


async def test_rebuild_equals_incremental_and_checkpoint_reaches_head(
    dsn: str, store: EventStore
) -> None:
    sid = random_id("thing-")
    await store.append([StreamAppend(sid, "thing", 0, [ThingHappened(i) for i in range(5)])],
                       META)
    projection = counting_projection()
    conn = await connect(dsn)
    try:
        await rebuild(conn, projection)  # creates the tables, replays everything
        rebuilt = await rows(conn, projection.tables[0])
        assert (sid, 5, 10) in rebuilt
        await store.append([StreamAppend(sid, "thing", 5, [ThingHappened(7)])], META)
        head = await store.head_position()
        checkpoint = await catch_up(conn, projection)
        assert checkpoint == head
        incremental = await rows(conn, projection.tables[0])
        assert (sid, 6, 17) in incremental
        await rebuild(conn, projection)
        assert await rows(conn, projection.tables[0]) == incremental
    finally:
        await conn.close()


async def test_failed_batch_writes_neither_rows_nor_checkpoint(dsn: str, store: EventStore) -> None:
    projection = counting_projection(fail_on=-13)
    conn = await connect(dsn)
    try:
        await rebuild(conn, projection)
        before_rows = await rows(conn, projection.tables[0])
        before = await conn.fetchval(
            "SELECT position FROM projection_checkpoints WHERE name = $1", projection.name)
        sid = random_id("thing-")
        await store.append([StreamAppend(sid, "thing", 0,
                                         [ThingHappened(1), ThingHappened(-13)])], META)
        with pytest.raises(RuntimeError):
            await apply_batch(conn, projection, before)
        assert await rows(conn, projection.tables[0]) == before_rows
        after = await conn.fetchval(
            "SELECT position FROM projection_checkpoints WHERE name = $1", projection.name)
        assert after == before
    finally:
        await conn.close()


async def _until_built(observer: asyncpg.Connection, name: str, timeout: float = 10) -> None:
    """A bounded wait until the active runner has built the projection (its checkpoint row
    commits with its tables) and so holds the lock."""
    deadline = time.monotonic() + timeout
    while not await observer.fetchval(
            "SELECT count(*) FROM projection_checkpoints WHERE name = $1", name):
        assert time.monotonic() < deadline, "no runner built the projection"
        await asyncio.sleep(0.02)


async def test_one_active_runner_and_failover(dsn: str, store: EventStore) -> None:
    projection = counting_projection()
    notifier = Notifier(dsn, poll_interval=0.1)
    await notifier.start()
    first = asyncio.create_task(run_forever(dsn, projection, notifier, standby_interval=0.1))
    observer = await connect(dsn)
    await _until_built(observer, projection.name)
    second = asyncio.create_task(run_forever(dsn, projection, notifier, standby_interval=0.1))
    try:
        holders = await observer.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1"
            " AND granted", lock_key(projection.name) & 0xFFFFFFFF)
        assert holders == 1
        first.cancel()  # the active runner dies; its session (and lock) go with it
        await asyncio.gather(first, return_exceptions=True)
        sid = random_id("thing-")
        await store.append([StreamAppend(sid, "thing", 0, [ThingHappened(3)])], META)
        for _ in range(100):
            found = await observer.fetchval(
                f"SELECT total FROM {projection.tables[0]} WHERE stream_id = $1", sid)
            if found == 3:
                break
            await asyncio.sleep(0.05)
        assert found == 3, "the standby runner did not take over"
    finally:
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)
        await notifier.stop()
        await observer.close()


async def test_rebuild_request_is_carried_out_by_the_active_runner(
    dsn: str, store: EventStore
) -> None:
    """`kehu rebuild` while a server runs: the active runner does it, nothing waits forever."""
    from projections.runner import rebuild_or_ask

    projection = counting_projection()
    notifier = Notifier(dsn, poll_interval=0.1)
    await notifier.start()
    runner = asyncio.create_task(run_forever(dsn, projection, notifier, standby_interval=0.1))
    cli = await connect(dsn)
    try:
        sid = random_id("thing-")
        await store.append([StreamAppend(sid, "thing", 0, [ThingHappened(2)])], META)
        for _ in range(100):  # the runner is active and caught up
            if await cli.fetchval("SELECT to_regclass($1)", projection.tables[0]) and \
                    await cli.fetchval(f"SELECT total FROM {projection.tables[0]}"
                                       " WHERE stream_id = $1", sid) == 2:
                break
            await asyncio.sleep(0.05)
        seen: list[tuple[int, int]] = []
        await asyncio.wait_for(
            rebuild_or_ask(cli, projection, lambda d, t: seen.append((d, t)), poll=0.05), 20)
        assert seen and seen[-1][0] == seen[-1][1]
        assert not await cli.fetchval(
            "SELECT rebuild_requested FROM projection_checkpoints WHERE name = $1",
            projection.name)
        assert await cli.fetchval(
            f"SELECT total FROM {projection.tables[0]} WHERE stream_id = $1", sid) == 2
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await notifier.stop()
        await cli.close()


async def test_rebuild_all_that_fails_swaps_nothing_and_releases_every_lock(
    dsn: str, store: EventStore
) -> None:
    """`kehu rebuild` of several projections from one shared reader: one projection's failure
    stops them all before any swap, live tables stay as they were, and no lock is left held."""
    from projections.runner import rebuild_all

    good, bad = counting_projection(), counting_projection(fail_on=-21)
    sid = random_id("thing-")
    await store.append([StreamAppend(sid, "thing", 0, [ThingHappened(1), ThingHappened(2)])],
                       META)
    await rebuild_all(dsn, [good, bad])
    conn = await connect(dsn)
    try:
        live = {p.name: await rows(conn, p.tables[0]) for p in (good, bad)}
        assert (sid, 2, 3) in live[good.name] and live[good.name] == live[bad.name]
        await store.append([StreamAppend(sid, "thing", 2, [ThingHappened(-21)])], META)
        with pytest.raises(RuntimeError, match="handler failure"):
            await rebuild_all(dsn, [good, bad])
        for p in (good, bad):
            assert await rows(conn, p.tables[0]) == live[p.name]
            assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(p.name))
    finally:
        await conn.close()


async def _checkpoint_reaches(pool: asyncpg.Pool, name: str, position: int,
                              timeout: float) -> bool:
    from projections.runner import wait_for_position
    return await wait_for_position(pool, [name], position, timeout)


@contextlib.asynccontextmanager
async def active_runner(dsn: str, projection: Projection, min_round_s: float,
                        poll_interval: float) -> AsyncIterator[asyncpg.Connection]:
    """A runner for `projection`, active once this yields; the connection observes."""
    notifier = Notifier(dsn, poll_interval=poll_interval)
    await notifier.start()
    runner = asyncio.create_task(run_forever(dsn, projection, notifier,
                                             min_round_s=min_round_s))
    observer = await connect(dsn)
    try:
        await _until_built(observer, projection.name)
        yield observer
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await notifier.stop()
        await observer.close()


async def test_a_caught_up_runner_paces_its_rounds_but_answers_a_quiet_log_at_once(
        dsn: str, store: EventStore, pool: asyncpg.Pool) -> None:
    """min_round_s: the first commit after a quiet spell is applied at once; one arriving
    right after a round waits for the next round (commits under load share rounds)."""
    projection = counting_projection()
    # Woken by NOTIFY only, as in production (the poll interval is far above the pace).
    async with active_runner(dsn, projection, 1.5, poll_interval=30) as observer:
        await asyncio.sleep(1.6)  # a quiet spell longer than the pace
        sid = random_id("thing-")
        first = await store.append([StreamAppend(sid, "thing", 0, [ThingHappened(1)])], META)
        # Well before the 1.5 s pace: a quiet log is not made to wait.
        assert await _checkpoint_reaches(pool, projection.name, first.last_position, 1.0)
        second = await store.append([StreamAppend(sid, "thing", 1, [ThingHappened(2)])], META)
        # Right after a round: the next one waits out the pace, then takes the event.
        assert not await _checkpoint_reaches(pool, projection.name, second.last_position, 0.3)
        assert await _checkpoint_reaches(pool, projection.name, second.last_position, 10.0)
        assert await observer.fetchval(
            f"SELECT total FROM {projection.tables[0]} WHERE stream_id = $1", sid) == 3


async def test_events_a_projection_does_not_handle_still_move_its_checkpoint(
        dsn: str, store: EventStore, pool: asyncpg.Pool) -> None:
    """A filtered runner woken by other events' commits moves its checkpoint past them (so
    read-your-writes waits and the lag it reports stay true) without writing anything."""
    # Handles only a type nobody appends here; ThingHappened is someone else's event.
    projection = dataclasses.replace(counting_projection(),
                                     event_types=frozenset({"NothingHappened"}))
    async with active_runner(dsn, projection, 0.0, poll_interval=0.1) as observer:
        other = await store.append([StreamAppend(random_id("thing-"), "thing", 0,
                                                 [ThingHappened(1)])], META)
        assert await _checkpoint_reaches(pool, projection.name, other.last_position, 5.0)
        assert await observer.fetchval(f"SELECT count(*) FROM {projection.tables[0]}") == 0
