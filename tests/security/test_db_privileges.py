"""The server's database role may read and append events, and nothing else on them."""

from __future__ import annotations

import asyncpg
import pytest

from events.shared.actors import Actor, Role
from events.store.db import connect, create_pool, usable_role, with_role
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened


@pytest.fixture
async def app_conn(dsn: str):
    role = await usable_role(dsn, "kehu_app")
    assert role == "kehu_app", "migration 0003 should have made the app role usable"
    conn = await connect(with_role(dsn, role))
    yield conn
    await conn.close()


async def test_server_role_is_the_app_role(app_conn: asyncpg.Connection) -> None:
    assert await app_conn.fetchval("SELECT current_user") == "kehu_app"
    # RESET ALL (what the pool runs between uses) keeps the role.
    await app_conn.execute("RESET ALL")
    assert await app_conn.fetchval("SELECT current_user") == "kehu_app"


@pytest.mark.parametrize("statement", [
    "UPDATE events SET payload = '{}' WHERE position = 1",
    "DELETE FROM events WHERE position = 1",
    "TRUNCATE events",
    "ALTER TABLE events DISABLE TRIGGER USER",
    "UPDATE command_log SET fingerprint = 'x'",
])
async def test_server_role_cannot_change_history(app_conn: asyncpg.Connection,
                                                 statement: str) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute(statement)


async def test_server_role_can_append_and_read(dsn: str) -> None:
    pool = await create_pool(with_role(dsn, "kehu_app"))
    try:
        store = EventStore(pool)
        sid = random_id("thing-")
        meta = Metadata.for_actor(Actor("u", "U", Role.STAFF), correlation_id="c")
        await store.append([StreamAppend(sid, "thing", 0, [ThingHappened(1)])], meta)
        assert len(await store.read_stream(sid)) == 1
    finally:
        await pool.close()
