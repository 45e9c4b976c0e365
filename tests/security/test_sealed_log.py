"""The sealed log: what the server's own role cannot do, refused by PostgreSQL itself.

Each case is what an insider with the server's database credentials tried (issue 14): shadow
the log with a rewritten copy, move the head back, insert beyond the head, break the chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from events.shared.actors import Actor, Role
from events.store.codec import to_data
from events.store.db import connect, create_pool, with_role
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from events.store.hashing import canonical_record
from events.store.verify import verify_chain
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

META = Metadata.for_actor(Actor("u", "U", Role.STAFF), correlation_id="c")


@pytest.fixture
async def app(fresh_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    owner = await create_pool(fresh_dsn)
    try:
        await EventStore(owner).append(
            [StreamAppend("thing-a", "thing", 0, [ThingHappened(i) for i in range(3)])], META)
    finally:
        await owner.close()
    conn = await connect(with_role(fresh_dsn, "kehu_app"))
    assert await conn.fetchval("SELECT current_user") == "kehu_app"
    yield conn
    await conn.close()


async def _row(conn: asyncpg.Connection, *, position: int | None = None, stream: str = "",
               version: int = 1, prev: bytes | None = None) -> dict[str, Any]:
    """A row as the store would write it after the head, with a correct hash unless told."""
    head = await conn.fetchrow("SELECT position, hash FROM kehu_log.event_head")
    assert head is not None
    fields: dict[str, Any] = {
        "position": head["position"] + 1 if position is None else position,
        "stream_id": stream or random_id("thing-"), "stream_type": "thing", "version": version,
        "event_type": "ThingHappened", "schema_version": 1, "payload": {"n": 1, "note": "é\n"},
        "metadata": to_data(META), "recorded_at": datetime.now(UTC)}
    record = canonical_record(**fields)
    fields["prev_hash"] = bytes(head["hash"]) if prev is None else prev
    fields["hash"] = hashlib.sha256(fields["prev_hash"] + record).digest()
    fields["record"] = record.decode()
    return fields


async def _insert(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO kehu_log.events (position, stream_id, stream_type, version, event_type,"
        " schema_version, payload, metadata, recorded_at, prev_hash, hash, record)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", *row.values())


async def test_a_correct_row_is_accepted_and_moves_the_head(app: asyncpg.Connection) -> None:
    # The database recomputes the hash exactly as the store does (same canonical JSON).
    row = await _row(app)
    await _insert(app, row)
    head = await app.fetchrow("SELECT position, hash FROM kehu_log.event_head")
    assert head is not None and (head["position"], bytes(head["hash"])) == (row["position"],
                                                                            row["hash"])


@pytest.mark.parametrize("statement", [
    "CREATE SCHEMA kehu_app",
    "CREATE TABLE kehu_log.events_copy (LIKE kehu_log.events INCLUDING ALL)",
    "CREATE TEMP TABLE events (LIKE kehu_log.events)",
    "UPDATE kehu_log.event_head SET position = 1",
    "UPDATE kehu_log.event_head SET hash = '\\x00'",
    "UPDATE kehu_log.event_head SET singleton = true",
    "DELETE FROM kehu_log.event_head",
    "INSERT INTO kehu_log.event_head VALUES (true, 0, '\\x00')",
    "ALTER TABLE kehu_log.events DISABLE TRIGGER events_sealed",
    "DROP TRIGGER events_sealed ON kehu_log.events",
    "CREATE OR REPLACE FUNCTION kehu_log.seal_appended() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RETURN NULL; END $$",
    "SELECT kehu_log.reset_rebuild_schema('kehu_log', false)",
])
async def test_the_server_role_cannot_reshape_the_log(app: asyncpg.Connection,
                                                      statement: str) -> None:
    with pytest.raises((asyncpg.InsufficientPrivilegeError, asyncpg.UndefinedObjectError)):
        await app.execute(statement)


async def test_a_row_beyond_the_head_is_refused(app: asyncpg.Connection) -> None:
    head = await app.fetchval("SELECT position FROM kehu_log.event_head")
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="do not follow"):
        await _insert(app, await _row(app, position=head + 2))


async def test_a_row_breaking_the_chain_is_refused(app: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="does not chain"):
        await _insert(app, await _row(app, prev=bytes(32)))
    row = await _row(app)
    row["payload"] = {"n": 2, "note": "é\n"}  # content changed after hashing
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="other content"):
        await _insert(app, row)
    row = await _row(app)
    row["hash"] = bytes(32)
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="hash chain"):
        await _insert(app, row)
    row = await _row(app)
    row["record"] = None
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="without the record"):
        await _insert(app, row)


async def test_a_stream_version_gap_is_refused(app: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="version"):
        await _insert(app, await _row(app, version=2))
    with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="version"):
        await _insert(app, await _row(app, stream="thing-a", version=5))


async def test_a_shadow_copy_in_public_changes_nothing_the_store_reads(
        app: asyncpg.Connection, fresh_dsn: str) -> None:
    # The server's role keeps CREATE in public for its read models; a rewritten copy there is
    # ignored, because the store names the log in full and the server pins its search path.
    await app.execute("CREATE TABLE public.events AS SELECT * FROM kehu_log.events WHERE false")
    await app.execute("CREATE TABLE public.event_head AS SELECT * FROM kehu_log.event_head")
    await app.execute("UPDATE public.event_head SET position = 0")
    pool = await create_pool(with_role(fresh_dsn, "kehu_app"))
    try:
        store = EventStore(pool)
        await store.append([StreamAppend("thing-a", "thing", 3, [ThingHappened(9)])], META)
        assert await store.head_position() == 4
        assert [e.version for e in await store.read_stream("thing-a")] == [1, 2, 3, 4]
        report = await verify_chain(pool)
        assert report.ok and report.checked == 4
        assert await pool.fetchval("SELECT count(*) FROM public.events") == 0
    finally:
        await pool.close()
