"""Tamper evidence: someone with direct database access (a superuser who disables the
append-only triggers) alters, removes or reorders events; verification names the event."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from events.shared.actors import Actor, Role
from events.store.db import create_pool
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from events.store.verify import verify_chain
from tests.store.events_for_tests import ThingHappened


@pytest.fixture
async def tamper_pool(fresh_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(fresh_dsn)
    store = EventStore(pool)
    meta = Metadata.for_actor(Actor("u", "U", Role.STAFF), correlation_id="c")
    for stream in ("a", "b", "c"):
        await store.append([StreamAppend(f"thing-{stream}", "thing", 0,
                                         [ThingHappened(i) for i in range(3)])], meta)
    assert (await verify_chain(pool)).ok
    yield pool
    await pool.close()


async def as_superuser(pool: asyncpg.Pool, *statements: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        # What an attacker with superuser rights does: switch the triggers off.
        await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
        for statement in statements:
            await conn.execute(statement)
        await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")


async def test_altered_payload_is_named(tamper_pool: asyncpg.Pool) -> None:
    await as_superuser(tamper_pool,
                       """UPDATE events SET payload = '{"n": 99, "note": ""}' WHERE position = 5""")
    report = await verify_chain(tamper_pool)
    assert not report.ok and report.bad_position == 5
    assert report.reason is not None and "altered" in report.reason


async def test_altered_metadata_actor_is_named(tamper_pool: asyncpg.Pool) -> None:
    await as_superuser(tamper_pool, """UPDATE events SET metadata = jsonb_set(metadata,
                       '{actor_id}', '"someone-else"') WHERE position = 7""")
    report = await verify_chain(tamper_pool)
    assert not report.ok and report.bad_position == 7


async def test_removed_event_is_named(tamper_pool: asyncpg.Pool) -> None:
    await as_superuser(tamper_pool, "DELETE FROM events WHERE position = 4")
    report = await verify_chain(tamper_pool)
    assert not report.ok and report.bad_position == 4
    assert report.reason is not None and "missing" in report.reason


async def test_removed_last_event_is_detected(tamper_pool: asyncpg.Pool) -> None:
    await as_superuser(tamper_pool, "DELETE FROM events WHERE position = 9")
    report = await verify_chain(tamper_pool)
    assert not report.ok and report.bad_position == 9


async def test_reordered_events_are_named(tamper_pool: asyncpg.Pool) -> None:
    # Swap the positions of events 2 and 3 (rows keep their own hashes).
    await as_superuser(
        tamper_pool,
        "UPDATE events SET position = -2 WHERE position = 2",
        "UPDATE events SET position = 2 WHERE position = 3",
        "UPDATE events SET position = 3 WHERE position = -2",
    )
    report = await verify_chain(tamper_pool)
    assert not report.ok and report.bad_position == 2


async def test_range_verification_reports_only_inside_the_range(tamper_pool: asyncpg.Pool) -> None:
    await as_superuser(tamper_pool,
                       """UPDATE events SET payload = '{"n": 99, "note": ""}' WHERE position = 8""")
    assert (await verify_chain(tamper_pool, from_position=1, to_position=7)).ok
    report = await verify_chain(tamper_pool, from_position=4, to_position=9)
    assert report.bad_position == 8
