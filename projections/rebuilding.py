"""Rebuild several projections at once (`kehu rebuild`, a starting server): the log is read
once and each event decoded once, for all of them.

Each projection still has its own connection, side schema, transactions and checkpoint, as in
`runner.rebuild`; only the reading is shared. One reader fetches a page of the log (the next
page is fetched while this one is written), and every projection writes its own share of the
page side by side. Reading and decoding were most of a rebuild's client time once writes went
out in bulk, and most events interest several projections (a logged visit: visits and
customers; a new meal: meals, expenses and documents). `StoredEvent.event` decodes once and
keeps the result, so the first projection to look pays for all.

The shared read stops at the head read when it began; each projection then catches up past
it alone (`runner.catch_up_rebuild`), so events appended meanwhile are not missed. A projection
whose lock another process holds (a running server) is asked to rebuild there instead, and
followed, as `runner.rebuild_or_ask` does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg

from events.store.db import connect
from events.store.envelope import StoredEvent
from events.store.event_store import read_after
from projections.base import Projection
from projections.runner import (
    BATCH,
    apply_page,
    catch_up_rebuild,
    finish_rebuild,
    follow_rebuild,
    lock_key,
    request_rebuild,
    start_rebuild,
)

# Log events per shared page: split among the projections, so each gets about a page of its
# own. Two pages are held at once (the one written, the one read ahead); memory stays flat.
SHARED_BATCH = 4 * BATCH
ProgressAll = Callable[[str, int, int], None]


async def _all(steps: list[Coroutine[Any, Any, None]]) -> None:
    """Run side by side; when one fails, stop the others (their connections are about to be
    closed) and raise the first failure, as gather does."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _share(projection: Projection, events: list[StoredEvent]) -> list[StoredEvent]:
    types = projection.event_types
    return events if types is None else [e for e in events if e.event_type in types]


async def _read_together(reader: asyncpg.Connection, jobs: dict[Projection, asyncpg.Connection],
                         progress: ProgressAll | None) -> int:
    """Every page up to the head, each applied by every job; returns that head."""
    head = int(await reader.fetchval("SELECT position FROM kehu_log.event_head"))
    types = None if any(p.event_types is None for p in jobs) else sorted(
        {t for p in jobs for t in p.event_types or ()})

    # Each page is the events in a window of positions (read_after keeps it an index range).
    def fetch(after: int) -> tuple[int, asyncio.Future[list[StoredEvent]]] | None:
        upto = min(head, after + SHARED_BATCH)
        return (upto, asyncio.ensure_future(
            read_after(reader, after, SHARED_BATCH, types, upto=upto))) if after < head else None

    ahead = fetch(0)
    try:
        while ahead is not None:
            upto, page = ahead
            events = await page
            # A short page means everything up to `upto` was seen.
            position = events[-1].position if len(events) == SHARED_BATCH else upto
            ahead = fetch(position)
            await _all([apply_page(conn, p, _share(p, events), position, f"{p.name}#rebuild")
                        for p, conn in jobs.items()])
            if progress is not None:
                for p in jobs:
                    progress(p.name, position, head)
    finally:
        if ahead is not None:
            ahead[1].cancel()
            with contextlib.suppress(BaseException):
                await ahead[1]
    return head


async def rebuild_together(dsn: str, projections: list[Projection],
                           progress: ProgressAll | None = None) -> dict[str, float]:
    """Rebuild the projections; returns the seconds until each one was swapped in."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    seconds: dict[str, float] = {}
    conns: list[asyncpg.Connection] = []
    jobs: dict[Projection, asyncpg.Connection] = {}
    asked: dict[Projection, asyncpg.Connection] = {}
    try:
        for projection in projections:
            conn = await connect(dsn)
            conns.append(conn)
            (jobs if await request_rebuild(conn, projection) else asked)[projection] = conn

        async def follow(p: Projection, conn: asyncpg.Connection) -> None:
            report = None if progress is None else (
                lambda done, total: progress(p.name, done, total))
            await follow_rebuild(conn, p, report)
            seconds[p.name] = loop.time() - started

        async def here() -> None:
            for p, conn in jobs.items():
                await start_rebuild(conn, p)
            reader = await connect(dsn)
            try:
                head = await _read_together(reader, jobs, progress)
            finally:
                await reader.close()
            await _all([finish(p, conn, head) for p, conn in jobs.items()])

        async def finish(p: Projection, conn: asyncpg.Connection, head: int) -> None:
            try:
                position = await catch_up_rebuild(conn, p, head)
            finally:
                await conn.execute("SET search_path = public")
            await finish_rebuild(conn, p, position)
            await conn.execute("SELECT pg_advisory_unlock($1)", lock_key(p.name))
            seconds[p.name] = loop.time() - started

        await _all([here(), *(follow(p, conn) for p, conn in asked.items())])
    finally:
        for conn in conns:  # closing a session releases its locks, whatever happened
            with contextlib.suppress(Exception):
                await conn.close()
    return {p.name: seconds.get(p.name, 0.0) for p in projections}
