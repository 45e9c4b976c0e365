"""The event store: an append-only, hash-chained log in PostgreSQL.

Ordering guarantee, and why it is built this way
-------------------------------------------------
Every append takes the row lock on the single `event_head` row, numbers its events from the
head's position and chains their hashes from the head's hash, then commits. The lock is held
until commit, so positions become visible strictly in order: a reader that has seen position
N can never later find an N-1 that committed after it (no skipped events). Alternatives:
`xid8`/`pg_snapshot_xmin` needs a two-part cursor (transaction id, position) and a high-water
mark needs gap timeouts that can skip a slow writer's events; both allow parallel commits but
neither gives subscribers the single integer cursor the API promises, and a global hash chain
needs the previous hash anyway, which serialises writers regardless. We make the serial part
cheap instead: expected versions and idempotency are checked before the lock is taken,
everything under the lock is one SELECT ... FOR UPDATE plus one statement, and concurrent
appends in a process share one transaction (group commit, events/appender.py).
bench/append.py measures the cost against bare INSERTs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from events.store.appender import (
    NOTIFY_CHANNEL,
    AppendRequest,
    AppendResult,
    GroupAppender,
    RetryAlone,
    StreamAppend,
    reused_key_error,
)
from events.store.codec import to_data
from events.store.envelope import Metadata, StoredEvent
from events.store.hashing import canonical_json
from events.store.shredding import open_events

__all__ = ["NOTIFY_CHANNEL", "AppendResult", "EventStore", "StreamAppend", "fingerprint"]

def fingerprint(command: Any) -> str:
    """A stable digest of a command, to tell a true retry from a reused key."""
    return hashlib.sha256(canonical_json(to_data(command))).hexdigest()


# The JSON columns come as PostgreSQL's text and are decoded only when a reader asks
# (StoredEvent.payload / .metadata / .event): reading the log spent most of its time decoding.
# The order is StoredEvent's constructor's.
EVENT_COLUMNS = (
    "position, stream_id, stream_type, version, event_type, schema_version,"
    " payload::text AS payload, metadata::text AS metadata, recorded_at, hash"
)


def row_to_event(row: asyncpg.Record) -> StoredEvent:
    return StoredEvent(*row)


class EventStore:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool
        self._appender = GroupAppender(pool)

    async def append(
        self,
        appends: Sequence[StreamAppend],
        metadata: Metadata,
        *,
        idempotency_key: str | None = None,
        command_fingerprint: str = "",
    ) -> AppendResult:
        """Append atomically to one or more streams. All or nothing.

        Raises ConcurrencyConflict when a stream is not at its expected version, and
        IdempotencyKeyReused when the key was used for a different command; a retry with the
        same key and command returns the first result (`replayed`) and writes nothing.
        """
        if not any(a.events for a in appends):
            raise ValueError("nothing to append")
        while True:
            request = AppendRequest(appends, metadata, idempotency_key, command_fingerprint)
            try:
                return await self._appender.submit(request)
            except RetryAlone:
                continue

    async def earlier_result(self, actor_id: str, key: str, fp: str) -> AppendResult | None:
        """The result a command with this idempotency key already had, if any."""
        row = await self.pool.fetchrow(
            "SELECT fingerprint, result FROM kehu_log.command_log WHERE actor_id = $1 AND key = $2",
            actor_id, key,
        )
        if row is None:
            return None
        if row["fingerprint"] != fp:
            raise reused_key_error(key)
        return AppendResult.from_json(row["result"], replayed=True)

    async def read_stream(
        self, stream_id: str, *, until: datetime | None = None
    ) -> list[StoredEvent]:
        rows = await self.pool.fetch(
            f"SELECT {EVENT_COLUMNS} FROM kehu_log.events WHERE stream_id = $1"
            " AND ($2::timestamptz IS NULL OR recorded_at <= $2) ORDER BY version",
            stream_id, until,
        )
        return await open_events(self.pool, [row_to_event(r) for r in rows])

    async def read_all(
        self,
        after: int,
        limit: int = 1000,
        types: Sequence[str] | None = None,
        *,
        upto: int | None = None,
        stream_type: str | None = None,
        actor_id: str | None = None,
        recorded_from: datetime | None = None,
        recorded_to: datetime | None = None,
    ) -> list[StoredEvent]:
        """Events after a position, in position order, optionally filtered (see `read_after`)."""
        return await read_after(self.pool, after, limit, types, upto=upto,
                                stream_type=stream_type, actor_id=actor_id,
                                recorded_from=recorded_from, recorded_to=recorded_to)

    async def head_position(self) -> int:
        value = await self.pool.fetchval("SELECT position FROM kehu_log.event_head")
        return int(value)


def read_statement(
    after: int,
    limit: int,
    types: Sequence[str] | None = None,
    *,
    upto: int | None = None,
    stream_type: str | None = None,
    actor_id: str | None = None,
    recorded_from: datetime | None = None,
    recorded_to: datetime | None = None,
) -> tuple[str, list[Any]]:
    """read_after's SQL and arguments. Only the filters given go into the statement: one
    statement with `$n IS NULL OR ...` for every filter got PostgreSQL's generic plan after a
    few runs, which cannot bound an index scan by `upto`, so a reader far behind scanned and
    sorted the whole rest of the log for each page (a rebuild was quadratic). Each combination
    is its own prepared statement, whose generic plan is as good as a custom one."""
    conditions = ["position > $1"]
    args: list[Any] = [after, limit]
    for condition, value in (
        ("position <= $%d", upto),
        ("event_type = ANY($%d::text[])", list(types) if types else None),
        ("stream_type = $%d", stream_type),
        ("metadata->>'actor_id' = $%d", actor_id),
        ("recorded_at >= $%d", recorded_from),
        ("recorded_at < $%d", recorded_to),
    ):
        if value is not None:
            args.append(value)
            conditions.append(condition % len(args))
    return (f"SELECT {EVENT_COLUMNS} FROM kehu_log.events WHERE {' AND '.join(conditions)}"
            " ORDER BY position LIMIT $2", args)


async def read_after(
    db: asyncpg.Pool | asyncpg.Connection,
    after: int,
    limit: int = 1000,
    types: Sequence[str] | None = None,
    *,
    upto: int | None = None,
    stream_type: str | None = None,
    actor_id: str | None = None,
    recorded_from: datetime | None = None,
    recorded_to: datetime | None = None,
    sealed: bool = False,
) -> list[StoredEvent]:
    """THE read of the log by position: every reader (subscriptions, projections, webhook
    deliveries, verification) goes through here, on a pool or on its own connection (a
    projection reads inside the transaction that writes its rows).

    `upto` bounds the read by a head position read earlier: every event up to a head read first
    is committed and visible, and callers that filter use it to know how far they have looked
    even when nothing matched.

    Personal fields come opened (plaintext, or erased: events/store/shredding.py) unless
    `sealed`: verification hashes what is stored, and the shared log reader keeps pages sealed
    so an erasure never meets a cached plaintext.
    """
    sql, args = read_statement(after, limit, types, upto=upto, stream_type=stream_type,
                               actor_id=actor_id, recorded_from=recorded_from,
                               recorded_to=recorded_to)
    rows = await db.fetch(sql, *args)
    found = [row_to_event(r) for r in rows]
    return found if sealed else await open_events(db, found)
