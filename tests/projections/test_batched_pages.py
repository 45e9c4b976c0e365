"""Batched pages change nothing: every projection rebuilt from a demo log written through the
rules (pages reordered by `page_order`, writes pipelined in runs) holds exactly the rows that
handling one event at a time, straight on the connection and in log order, gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from events.demo.seed import seed_demo
from events.store.db import connect, create_pool
from events.store.event_store import EVENT_COLUMNS, EventStore, row_to_event
from events.store.notifications import Notifier
from events.store.shredding import open_events
from projections import registry
from projections.runner import rebuild
from schema.bootstrap import on_start
from schema.context import Services
from schema.settings import Settings


@pytest.fixture
async def demo_dsn(fresh_dsn: str) -> AsyncIterator[str]:
    pool = await create_pool(fresh_dsn)
    services = Services(settings=Settings(jwt_secret="x", database_url=fresh_dsn),
                        dsn=fresh_dsn, pool=pool, store=EventStore(pool),
                        notifier=Notifier(fresh_dsn))
    await on_start(services)
    await seed_demo(services.store, services.settings.timezone, customers=12, years=1)
    await pool.close()
    yield fresh_dsn


async def rows_of(conn: asyncpg.Connection, schema: str, table: str) -> list[tuple[Any, ...]]:
    found = await conn.fetch(f"SELECT * FROM {schema}.{table}")
    return sorted((tuple(r.values()) for r in found), key=repr)


async def test_pages_equal_one_event_at_a_time(demo_dsn: str) -> None:
    conn = await connect(demo_dsn)
    try:
        # Personal fields opened, as every reader of the log sees them (docs/privacy.md).
        events = await open_events(conn, [row_to_event(r) for r in await conn.fetch(
            f"SELECT {EVENT_COLUMNS} FROM kehu_log.events ORDER BY position")])
        assert len(events) > 200
        for projection in registry.ALL:
            await rebuild(conn, projection)  # the batched path, into public
            await conn.execute("DROP SCHEMA IF EXISTS one_by_one CASCADE;"
                               " CREATE SCHEMA one_by_one; SET search_path = one_by_one, public")
            try:
                for statement in projection.ddl:
                    await conn.execute(statement)
                async with conn.transaction():
                    for event in events:
                        if (projection.event_types is None
                                or event.event_type in projection.event_types):
                            await projection.handle(conn, event)
            finally:
                await conn.execute("SET search_path = public")
            for table in projection.tables:
                assert await rows_of(conn, "public", table) == \
                    await rows_of(conn, "one_by_one", table), (projection.name, table)
    finally:
        await conn.close()
