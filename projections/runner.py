"""Checkpointed catch-up for projections, with single-active-runner and rebuild-and-swap.

Exactly-once effect: a batch of events and the checkpoint that says it was applied are written
in one transaction, so a crash repeats nothing and loses nothing.
One active runner per projection across processes: a session advisory lock keyed by the
projection name; a standby process keeps trying and takes over when the holder's connection
dies (PostgreSQL releases session locks with the session).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable
from typing import Any, cast

import asyncpg

from events.shared import metrics
from events.store.db import connect
from events.store.envelope import StoredEvent
from events.store.event_store import read_after
from events.store.notifications import Notifier
from projections.base import Projection
from projections.batching import DeferredWrites

log = logging.getLogger(__name__)

BATCH = 1000
# A rebuild's page. Larger pages (5,000) made no measurable difference to rebuild speed once
# writes were pipelined, and a page per 1,000 events keeps rebuild progress visible.
REBUILD_BATCH = BATCH
# A page reads at most this many batches' worth of log positions (a filtered projection's
# page may then hold fewer events than a batch; the next page carries on).
WINDOW = 10
PROJECTIONS_CHANNEL = "kehu_projections"
# The least time between two rounds of a caught-up runner (see run_active): what a steady
# stream of commits may add to the time until a projection shows an event.
MIN_ROUND_S = 0.02
Progress = Callable[[int, int], None]


def lock_key(name: str) -> int:
    # A stable 32-bit key per projection name (hash() is salted per process).
    return zlib.crc32(f"kehu.projection.{name}".encode())


def rebuild_schema(name: str) -> str:
    return f"kehu_rebuild_{name}"


async def apply_batch(conn: asyncpg.Connection, projection: Projection, after: int,
                      *, checkpoint_name: str | None = None, batch: int = BATCH,
                      head: int | None = None) -> int:
    """Apply the next batch after `after` and move the checkpoint, in one transaction.

    Returns the new position (== `after` when there was nothing to do). `head`: a head
    position the caller read (before this call, so every event up to it is committed and
    visible here) on a connection whose session already commits asynchronously (run_active).
    """
    if head is not None:
        return await _apply_known_head(conn, projection, after, head, batch)
    async with conn.transaction():
        # The head first: it is updated in the same transaction as the events it counts, so
        # every event up to it is visible to the next statement. Reading the head after the
        # events could jump the checkpoint over an event committed in between.
        #
        # Asynchronous commit for read models: a crash may lose the last few milliseconds of
        # projection writes, but the checkpoint is in the same transaction and is lost with
        # them, so the runner simply applies those events again. Exactly-once effect holds,
        # and a batch no longer waits for a WAL flush (the log itself keeps full durability).
        head = int(await conn.fetchval(
            "SELECT position FROM kehu_log.event_head,"
            " set_config('synchronous_commit', 'off', true) AS commit_mode"
        ))
        if head <= after:
            return after
        events, position = await _read_window(conn, projection, after, head, batch)
        await write_page(conn, projection, projection.order_page(events))
        await _save_checkpoint(conn, checkpoint_name or projection.name, position,
                               projection.version, notify=True)
    metrics.PROJECTED_EVENTS.labels(projection=projection.name).inc(len(events))
    return position


async def _read_window(conn: asyncpg.Connection, projection: Projection, after: int,
                       head: int, batch: int) -> tuple[list[StoredEvent], int]:
    """The projection's events of the next window of positions (at most WINDOW batches of
    the log, so a filtered projection's page may be short), and how far that looked: a full
    batch may leave more; otherwise everything up to the window's end was seen, so the
    checkpoint and the lag it reports stay true."""
    upto = min(head, after + WINDOW * batch)
    types = sorted(projection.event_types) if projection.event_types is not None else None
    events = await read_after(conn, after, batch, types, upto=upto)
    return events, (events[-1].position if len(events) == batch else upto)


async def _apply_known_head(conn: asyncpg.Connection, projection: Projection, after: int,
                            head: int, batch: int) -> int:
    """apply_batch for the live runner, which read the head with its checkpoint in one round
    trip. When nothing in the window is the projection's, only the checkpoint moves, in one
    statement without a transaction around it: a runner woken by every commit paid five round
    trips per wake-up for events it does not handle (most wake-ups of a filtered one)."""
    if head <= after:
        return after
    events, position = await _read_window(conn, projection, after, head, batch)
    if not events:
        await _save_checkpoint(conn, projection.name, position, projection.version, notify=True)
        return position
    async with conn.transaction():
        await write_page(conn, projection, projection.order_page(events))
        await _save_checkpoint(conn, projection.name, position, projection.version, notify=True)
    metrics.PROJECTED_EVENTS.labels(projection=projection.name).inc(len(events))
    return position


async def apply_page(conn: asyncpg.Connection, projection: Projection,
                     events: list[StoredEvent], position: int, checkpoint_name: str) -> None:
    """Apply events read by someone else (a shared rebuild reader) and move the checkpoint to
    `position`, in one transaction, committed asynchronously as in apply_batch."""
    async with conn.transaction():
        await conn.execute("SET LOCAL synchronous_commit = off")
        await write_page(conn, projection, projection.order_page(events))
        await _save_checkpoint(conn, checkpoint_name, position, projection.version)
    metrics.PROJECTED_EVENTS.labels(projection=projection.name).inc(len(events))


async def write_page(conn: asyncpg.Connection, projection: Projection,
                     events: list[StoredEvent]) -> None:
    """Runs of events with a bulk writer go to it at once; the rest through `handle`, with
    their statements pipelined (projections/batching.py). Order between the two is kept."""
    writers = {t: writer for types, writer in projection.bulk for t in types}
    # Handlers are typed for a connection and only ever call what DeferredWrites has.
    writes = DeferredWrites(conn)
    handle = cast(asyncpg.Connection, writes)
    i = 0
    while i < len(events):
        writer = writers.get(events[i].event_type)
        if writer is None:
            await projection.handle(handle, events[i])
            i += 1
            continue
        end = i + 1
        while end < len(events) and writers.get(events[end].event_type) is writer:
            end += 1
        await writes.flush()
        await writer(conn, events[i:end])
        i = end
    await writes.flush()


async def _save_checkpoint(
    conn: asyncpg.Connection, name: str, position: int, version: int, *, notify: bool = False
) -> None:
    # The wake-up for read-your-writes waiters rides on the same statement (one round trip).
    notice = f", pg_notify('{PROJECTIONS_CHANNEL}', '')" if notify else ""
    await conn.execute(
        "WITH saved AS (INSERT INTO projection_checkpoints (name, position, version)"
        " VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET position = $2, version = $3,"
        f" updated_at = now() RETURNING 1) SELECT count(*){notice} FROM saved",
        name, position, version,
    )


async def rebuild(conn: asyncpg.Connection, projection: Projection,
                  progress: Progress | None = None) -> int:
    """Replay the whole log into fresh tables in a side schema, then swap them in at once.

    Readers keep the old tables until the swap; a crash mid-way leaves the side schema, which the
    next rebuild drops and starts again, so the live tables are never half-built.
    """
    await start_rebuild(conn, projection)
    try:
        position = await catch_up_rebuild(conn, projection, 0, progress)
    finally:
        await conn.execute("SET search_path = public")
    await finish_rebuild(conn, projection, position)
    return position


def _is_index(statement: str) -> bool:
    return statement.lstrip().upper().startswith("CREATE INDEX")


async def start_rebuild(conn: asyncpg.Connection, projection: Projection) -> None:
    """The side schema, fresh, first on the search_path, with the projection's tables.

    Secondary indexes wait for `finish_rebuild`: one sorted build beats maintaining them row
    by row through the load. Handlers look rows up by primary key (kept from the start), and
    any other lookup is of a table that only rare events fill (meal_tier_changes).
    """
    schema = rebuild_schema(projection.name)
    # The server's role may not create schemas; the migration's function makes this one.
    await conn.execute("SELECT kehu_log.reset_rebuild_schema($1, true)", schema)
    # The side schema first: unqualified names in handlers resolve to the fresh tables, while
    # other projections' tables (in public) stay readable for lookups.
    await conn.execute(f"SET search_path = {schema}, public")
    try:
        for statement in projection.ddl:
            if not _is_index(statement):
                await conn.execute(statement)
    except BaseException:
        await conn.execute("SET search_path = public")
        raise


async def catch_up_rebuild(conn: asyncpg.Connection, projection: Projection, position: int,
                           progress: Progress | None = None) -> int:
    """Apply rebuild pages from `position` until the head; returns the position reached."""
    head = int(await conn.fetchval("SELECT position FROM kehu_log.event_head"))
    while True:
        moved = await apply_batch(conn, projection, position,
                                  checkpoint_name=f"{projection.name}#rebuild",
                                  batch=REBUILD_BATCH)
        if progress is not None:
            progress(min(moved, head), head)
        if moved == position:
            return position
        position = moved


async def finish_rebuild(conn: asyncpg.Connection, projection: Projection,
                         position: int) -> None:
    """Build the deferred indexes, then swap the side tables in, in one transaction."""
    schema = rebuild_schema(projection.name)
    for statement in projection.ddl:
        if _is_index(statement):
            await conn.execute(f"SET search_path = {schema}, public; {statement};"
                               " SET search_path = public")
    async with conn.transaction():
        for table in projection.tables:
            await conn.execute(f"DROP TABLE IF EXISTS public.{table} CASCADE")
            await conn.execute(f"ALTER TABLE {schema}.{table} SET SCHEMA public")
        await conn.execute("SELECT kehu_log.reset_rebuild_schema($1, false)", schema)
        await conn.execute("DELETE FROM projection_checkpoints WHERE name = $1",
                           f"{projection.name}#rebuild")
        await _save_checkpoint(conn, projection.name, position, projection.version)
        await conn.execute(
            "UPDATE projection_checkpoints SET rebuild_requested = false WHERE name = $1",
            projection.name,
        )
    log.info("projection %s rebuilt up to %d", projection.name, position)


async def run_active(conn: asyncpg.Connection, projection: Projection, notifier: Notifier,
                     *, min_round_s: float = MIN_ROUND_S) -> None:
    """The active runner's loop, with the advisory lock already held on `conn`.

    Each round reads the checkpoint (with the rebuild flag) and the log's head in one round
    trip. The connection is this runner's alone, so its session commits asynchronously (see
    apply_batch: a lost commit loses its checkpoint with it, and is applied again).

    Once caught up, a runner starts its next round at least `min_round_s` after the last one:
    a quiet log is applied the moment a commit wakes it, while under a steady stream of
    commits each round takes everything that arrived meanwhile. Woken by every commit, the
    ten runners of a process spent most of its event loop on rounds of one or two events at
    1,000 events/s, and delayed the subscriptions sharing it by seconds (bench/latency.py)."""
    await conn.execute("SET synchronous_commit = off")
    loop = asyncio.get_running_loop()
    last_round = -min_round_s
    while True:
        row = await conn.fetchrow(
            "SELECT h.position AS head, c.position, c.version, c.rebuild_requested"
            " FROM kehu_log.event_head h"
            " LEFT JOIN projection_checkpoints c ON c.name = $1", projection.name)
        assert row is not None
        if row["position"] is None or row["version"] != projection.version \
                or row["rebuild_requested"]:
            await rebuild(conn, projection)
            continue
        position = int(row["position"])
        moved = await apply_batch(conn, projection, position, head=int(row["head"]))
        if moved == position:
            await notifier.wait(position)
            pause = last_round + min_round_s - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
        last_round = loop.time()


async def run_forever(dsn: str, projection: Projection, notifier: Notifier,
                      *, standby_interval: float = 1.0, min_round_s: float = MIN_ROUND_S) -> None:
    """Be the active runner when the lock is free, a standby otherwise; survive lost servers."""
    while True:
        conn: Any = None
        try:
            conn = await connect(dsn)
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)",
                                          lock_key(projection.name)):
                await asyncio.sleep(standby_interval)
            log.info("projection %s: active in this process", projection.name)
            await run_active(conn, projection, notifier, min_round_s=min_round_s)
        except asyncio.CancelledError:
            raise
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("projection %s: %s; retrying", projection.name, exc)
            await asyncio.sleep(standby_interval)
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()


RECHECK_S = 0.5  # a lost NOTIFY costs at most this much latency, never a wrong answer


async def _lowest(conn: asyncpg.Connection, names: list[str]) -> int:
    """The least checkpoint of the named projections; one without a row has applied nothing."""
    rows = await conn.fetch(
        "SELECT name, position FROM projection_checkpoints WHERE name = ANY($1)", names
    )
    found = {r["name"]: int(r["position"]) for r in rows}
    return min(found.get(name, 0) for name in names)


async def wait_for_position(pool: asyncpg.Pool, names: list[str], position: int,
                            timeout: float) -> bool:
    """Read-your-writes: wait (at most `timeout`) until every named projection has applied
    `position`. Woken by the runners' NOTIFY on kehu_projections, re-checked every RECHECK_S."""
    if not names:
        return True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with pool.acquire() as conn:
        if await _lowest(conn, names) >= position:
            return True  # the usual case: no LISTEN needed
        woken = asyncio.Event()

        def on_notify(*_args: Any) -> None:
            woken.set()

        await conn.add_listener(PROJECTIONS_CHANNEL, on_notify)
        try:
            while True:
                woken.clear()  # before the check, so a wake-up after it is not lost
                if await _lowest(conn, names) >= position:
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), min(remaining, RECHECK_S))
        finally:
            with contextlib.suppress(Exception):
                await conn.remove_listener(PROJECTIONS_CHANNEL, on_notify)


async def rebuild_or_ask(conn: asyncpg.Connection, projection: Projection,
                         progress: Progress | None = None, *, poll: float = 0.2) -> None:
    """`kehu rebuild`: rebuild here when no runner is active, else have the active one do it.

    A running server holds the projection's lock for as long as it lives, so waiting for the
    lock would wait forever. The request is a flag the active runner checks every round; we
    follow its progress through the side rebuild's checkpoint until it clears the flag.
    """
    key = lock_key(projection.name)
    if await request_rebuild(conn, projection):
        try:
            await rebuild(conn, projection, progress)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", key)
        return
    await follow_rebuild(conn, projection, progress, poll=poll)


async def request_rebuild(conn: asyncpg.Connection, projection: Projection) -> bool:
    """Flag the projection for rebuilding; True when this connection took its lock (then the
    rebuild is ours to do, and the lock ours to release)."""
    await conn.execute(
        "INSERT INTO projection_checkpoints (name, position, version, rebuild_requested)"
        " VALUES ($1, 0, 0, true)"
        " ON CONFLICT (name) DO UPDATE SET rebuild_requested = true", projection.name,
    )
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(projection.name)))


async def follow_rebuild(conn: asyncpg.Connection, projection: Projection,
                         progress: Progress | None = None, *, poll: float = 0.2) -> None:
    """Wait for the active runner to carry out a requested rebuild, reporting its progress."""
    head = int(await conn.fetchval("SELECT position FROM kehu_log.event_head"))
    while await conn.fetchval(
        "SELECT rebuild_requested FROM projection_checkpoints WHERE name = $1", projection.name
    ):
        done = await conn.fetchval(
            "SELECT position FROM projection_checkpoints WHERE name = $1",
            f"{projection.name}#rebuild",
        )
        if progress is not None:
            progress(min(int(done or 0), head), head)
        await asyncio.sleep(poll)
    if progress is not None:
        progress(head, head)


async def rebuild_all(dsn: str, projections: list[Projection],
                      progress: Callable[[str, int, int], None] | None = None) -> dict[str, float]:
    """`kehu rebuild` of several projections: see projections/rebuilding.py."""
    from projections.rebuilding import rebuild_together  # it builds on this module

    return await rebuild_together(dsn, projections, progress)
