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
needs the previous hash anyway, which serialises writers regardless. We shorten the time the
lock is held instead: expected versions and idempotency are checked before the lock is taken,
and everything under the lock is one SELECT ... FOR UPDATE plus one statement
(bench/append.py measures the cost against bare INSERTs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from events.codec import to_data
from events.envelope import Event, Metadata, StoredEvent, encode
from events.errors import ConcurrencyConflict, IdempotencyKeyReused
from events.hashing import event_hash

NOTIFY_CHANNEL = "kehu_events"


@dataclass(frozen=True)
class StreamAppend:
    """Events for one stream; `expected_version` is the version the decision was based on."""

    stream_id: str
    stream_type: str
    expected_version: int
    events: Sequence[Event]


@dataclass(frozen=True)
class AppendResult:
    first_position: int
    last_position: int
    versions: dict[str, int]
    replayed: bool = False  # True when an idempotency key returned an earlier result

    def to_json(self) -> dict[str, Any]:
        return {"first": self.first_position, "last": self.last_position, "versions": self.versions}

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replayed: bool) -> AppendResult:
        return cls(data["first"], data["last"], dict(data["versions"]), replayed=replayed)


def fingerprint(command: Any) -> str:
    """A stable digest of a command, to tell a true retry from a reused key."""
    from events.hashing import canonical_json

    return hashlib.sha256(canonical_json(to_data(command))).hexdigest()


_EVENT_COLUMNS = (
    "position, stream_id, stream_type, version, event_type, schema_version,"
    " payload, metadata, recorded_at, hash"
)

_INSERT = f"""
WITH inserted AS (
    INSERT INTO events ({_EVENT_COLUMNS})
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[],
                         $7::jsonb[], $8::jsonb[], $9::timestamptz[], $10::bytea[])
    RETURNING 1
), head AS (
    UPDATE event_head SET position = $11, hash = $12 WHERE singleton
)
SELECT pg_notify('{NOTIFY_CHANNEL}', $11::text), (SELECT count(*) FROM inserted)
"""


def row_to_event(row: asyncpg.Record) -> StoredEvent:
    meta = dict(row["metadata"])
    extra = meta.pop("extra", {}) or {}
    return StoredEvent(
        position=row["position"],
        stream_id=row["stream_id"],
        stream_type=row["stream_type"],
        version=row["version"],
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        payload=row["payload"],
        metadata=Metadata(**meta, extra=extra),
        recorded_at=row["recorded_at"],
        hash=bytes(row["hash"]),
    )


class EventStore:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    async def append(
        self,
        appends: Sequence[StreamAppend],
        metadata: Metadata,
        *,
        idempotency_key: str | None = None,
        command_fingerprint: str = "",
    ) -> AppendResult:
        """Append atomically to one or more streams. All or nothing."""
        if not any(a.events for a in appends):
            raise ValueError("nothing to append")
        async with self.pool.acquire() as conn:
            if idempotency_key is not None:
                earlier = await self._earlier_result(conn, metadata.actor_id, idempotency_key,
                                                     command_fingerprint)
                if earlier is not None:
                    return earlier
            try:
                async with conn.transaction():
                    return await self._append_locked(
                        conn, appends, metadata, idempotency_key, command_fingerprint
                    )
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name == "command_log_pkey" and idempotency_key is not None:
                    # The same command raced itself; the winner's result is the answer.
                    earlier = await self._earlier_result(
                        conn, metadata.actor_id, idempotency_key, command_fingerprint
                    )
                    assert earlier is not None
                    return earlier
                raise await self._conflict(conn, appends) from exc

    async def earlier_result(self, actor_id: str, key: str, fp: str) -> AppendResult | None:
        """The result a command with this idempotency key already had, if any."""
        async with self.pool.acquire() as conn:
            return await self._earlier_result(conn, actor_id, key, fp)

    async def _earlier_result(
        self, conn: asyncpg.Connection, actor_id: str, key: str, fp: str
    ) -> AppendResult | None:
        row = await conn.fetchrow(
            "SELECT fingerprint, result FROM command_log WHERE actor_id = $1 AND key = $2",
            actor_id, key,
        )
        if row is None:
            return None
        if row["fingerprint"] != fp:
            raise IdempotencyKeyReused(
                f"idempotency key {key!r} was already used for a different command",
                field="idempotencyKey",
            )
        return AppendResult.from_json(row["result"], replayed=True)

    async def _conflict(
        self, conn: asyncpg.Connection, appends: Sequence[StreamAppend]
    ) -> ConcurrencyConflict:
        actual = await self._versions(conn, [a.stream_id for a in appends])
        for a in appends:
            if actual.get(a.stream_id, 0) != a.expected_version:
                return ConcurrencyConflict(a.stream_id, a.expected_version,
                                           actual.get(a.stream_id, 0))
        first = appends[0]
        return ConcurrencyConflict(first.stream_id, first.expected_version,
                                   actual.get(first.stream_id, 0))

    async def _versions(self, conn: asyncpg.Connection, stream_ids: list[str]) -> dict[str, int]:
        rows = await conn.fetch(
            "SELECT stream_id, max(version) AS v FROM events WHERE stream_id = ANY($1::text[])"
            " GROUP BY stream_id",
            stream_ids,
        )
        return {r["stream_id"]: r["v"] for r in rows}

    async def _append_locked(
        self,
        conn: asyncpg.Connection,
        appends: Sequence[StreamAppend],
        metadata: Metadata,
        idempotency_key: str | None,
        fp: str,
    ) -> AppendResult:
        # Checked before the head lock so a stale writer never holds it; the unique key
        # (stream_id, version) catches a writer that slips in between.
        actual = await self._versions(conn, [a.stream_id for a in appends])
        for a in appends:
            if actual.get(a.stream_id, 0) != a.expected_version:
                raise ConcurrencyConflict(a.stream_id, a.expected_version,
                                          actual.get(a.stream_id, 0))
        meta = to_data(metadata)
        now = datetime.now(UTC)
        # The lock that orders the log (see the module docstring).
        head = await conn.fetchrow("SELECT position, hash FROM event_head FOR UPDATE")
        assert head is not None
        position, prev_hash = head["position"], bytes(head["hash"])
        first = position + 1
        cols: list[list[Any]] = [[] for _ in range(10)]
        versions: dict[str, int] = {}
        for a in appends:
            version = a.expected_version
            for event in a.events:
                position += 1
                version += 1
                payload = encode(event)
                prev_hash = event_hash(
                    prev_hash, position=position, stream_id=a.stream_id,
                    stream_type=a.stream_type, version=version, event_type=event.type_name(),
                    schema_version=event.SCHEMA_VERSION, payload=payload, metadata=meta,
                    recorded_at=now,
                )
                row = (position, a.stream_id, a.stream_type, version, event.type_name(),
                       event.SCHEMA_VERSION, payload, meta, now, prev_hash)
                for col, value in zip(cols, row, strict=True):
                    col.append(value)
            versions[a.stream_id] = version
        result = AppendResult(first, position, versions)
        await conn.fetchrow(_INSERT, *cols, position, prev_hash)
        if idempotency_key is not None:
            await conn.execute(
                "INSERT INTO command_log (actor_id, key, fingerprint, result)"
                " VALUES ($1, $2, $3, $4)",
                metadata.actor_id, idempotency_key, fp, result.to_json(),
            )
        return result

    async def read_stream(
        self, stream_id: str, *, until: datetime | None = None
    ) -> list[StoredEvent]:
        rows = await self.pool.fetch(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE stream_id = $1"
            " AND ($2::timestamptz IS NULL OR recorded_at <= $2) ORDER BY version",
            stream_id, until,
        )
        return [row_to_event(r) for r in rows]

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
        """Events after a position, in position order, optionally filtered.

        `upto` bounds the read by a head position read earlier; callers that filter use it to
        know how far they have looked even when nothing matched.
        """
        rows = await self.pool.fetch(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE position > $1"
            " AND ($3::bigint IS NULL OR position <= $3)"
            " AND ($4::text[] IS NULL OR event_type = ANY($4::text[]))"
            " AND ($5::text IS NULL OR stream_type = $5)"
            " AND ($6::text IS NULL OR metadata->>'actor_id' = $6)"
            " AND ($7::timestamptz IS NULL OR recorded_at >= $7)"
            " AND ($8::timestamptz IS NULL OR recorded_at < $8)"
            " ORDER BY position LIMIT $2",
            after, limit, upto, list(types) if types else None, stream_type, actor_id,
            recorded_from, recorded_to,
        )
        return [row_to_event(r) for r in rows]

    async def head_position(self) -> int:
        value = await self.pool.fetchval("SELECT position FROM event_head")
        return int(value)
