"""Batched pages change nothing: every projection rebuilt from a demo log written through the
rules (pages reordered by `page_order`, runs written by bulk writers, other writes pipelined)
holds exactly the rows that handling one event at a time, straight on the connection and in
log order, gives; so does rebuilding them all together from one shared reader, and catching
up in small pages, as the live runner does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from bench import workload
from events.demo.seed import seed_demo
from events.store.db import connect, create_pool
from events.store.event_store import EVENT_COLUMNS, EventStore, row_to_event
from events.store.notifications import Notifier
from events.store.shredding import open_events
from projections import registry
from projections.base import Projection
from projections.runner import apply_batch, rebuild, rebuild_all
from schema.bootstrap import on_start
from schema.context import Services
from schema.settings import Settings
from tests.projections.edge_log import append_edges


@pytest.fixture
async def demo_dsn(fresh_dsn: str) -> AsyncIterator[str]:
    pool = await create_pool(fresh_dsn)
    services = Services(settings=Settings(jwt_secret="x", database_url=fresh_dsn),
                        dsn=fresh_dsn, pool=pool, store=EventStore(pool),
                        notifier=Notifier(fresh_dsn))
    await on_start(services)
    await seed_demo(services.store, services.settings.timezone, customers=12, years=1)
    # Costs left unsigned, planned and logged visits, sales in long runs; then the edge cases.
    await workload.load_more(services.store, 600, run="w")
    await append_edges(services.store)
    await pool.close()
    yield fresh_dsn


async def rows_of(conn: asyncpg.Connection, schema: str, table: str) -> list[tuple[Any, ...]]:
    found = await conn.fetch(f"SELECT * FROM {schema}.{table}")
    return sorted((tuple(r.values()) for r in found), key=repr)


async def in_schema(conn: asyncpg.Connection, schema: str, projection: Projection) -> None:
    await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
                       f" SET search_path = {schema}, public")
    for statement in projection.ddl:
        await conn.execute(statement)


async def small_pages(conn: asyncpg.Connection, projection: Projection) -> None:
    """The live path: catch up a few events at a time (7: runs are cut everywhere)."""
    await in_schema(conn, "small_pages", projection)
    try:
        position = 0
        while (moved := await apply_batch(conn, projection, position, batch=7,
                                          checkpoint_name=f"{projection.name}#small")) != position:
            position = moved
    finally:
        await conn.execute("SET search_path = public")


async def test_pages_equal_one_event_at_a_time(demo_dsn: str) -> None:
    conn = await connect(demo_dsn)
    try:
        # Personal fields opened, as every reader of the log sees them (docs/privacy.md).
        events = await open_events(conn, [row_to_event(r) for r in await conn.fetch(
            f"SELECT {EVENT_COLUMNS} FROM kehu_log.events ORDER BY position")])
        assert len(events) > 200
        # `kehu rebuild`: every projection, one shared reader, large pages, into public.
        await rebuild_all(demo_dsn, registry.ALL)
        together = {t: await rows_of(conn, "public", t) for p in registry.ALL for t in p.tables}
        for projection in registry.ALL:
            await rebuild(conn, projection)  # one projection alone, into public
            await small_pages(conn, projection)
            await in_schema(conn, "one_by_one", projection)
            try:
                async with conn.transaction():
                    for event in events:
                        if (projection.event_types is None
                                or event.event_type in projection.event_types):
                            await projection.handle(conn, event)
            finally:
                await conn.execute("SET search_path = public")
            for table in projection.tables:
                expected = await rows_of(conn, "one_by_one", table)
                assert await rows_of(conn, "public", table) == expected, (projection.name, table)
                assert together[table] == expected, (projection.name, table, "rebuild_all")
                assert await rows_of(conn, "small_pages", table) == expected, \
                    (projection.name, table, "small pages")
    finally:
        await conn.close()
