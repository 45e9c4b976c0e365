"""Group commit for appends: concurrent appends in one process share one transaction.

Appends are serialised by the event_head row lock (see store.py), so each transaction pays a
WAL flush while everyone else waits. Instead of one transaction per command, the appender
gathers the commands that arrive while the previous transaction is committing and writes them
together: still one lock and one flush, but for many commands. Each command keeps its own
outcome: a stale expected version or a reused idempotency key fails that command alone, and
when the database refuses a combined write (a race with another process, bad data), every
command is retried on its own so only the guilty one fails.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from events.shared import metrics, tracing
from events.shared.errors import ConcurrencyConflict, DomainError, IdempotencyKeyReused
from events.store.codec import to_data
from events.store.envelope import Metadata, encode
from events.store.fastjson import Encoded
from events.store.hashing import RecordParts
from events.store.hashing import canonical_json as canonical
from events.store.shredding import Keys, keys_for, seal_payload

NOTIFY_CHANNEL = "kehu_events"
MAX_EVENTS_PER_TRANSACTION = 5000


@dataclass(frozen=True)
class StreamAppend:
    """Events for one stream; `expected_version` is the version the decision was based on."""

    stream_id: str
    stream_type: str
    expected_version: int
    events: Sequence[Any]


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


@dataclass
class AppendRequest:
    appends: Sequence[StreamAppend]
    metadata: Metadata
    key: str | None
    fingerprint: str
    future: asyncio.Future[AppendResult] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def size(self) -> int:
        return sum(len(a.events) for a in self.appends)

    def settle(self, outcome: AppendResult | BaseException) -> None:
        if self.future.done():
            return
        if isinstance(outcome, BaseException):
            self.future.set_exception(outcome)
        else:
            self.future.set_result(outcome)


# `record` is the canonical JSON each hash was computed from: the database checks the hash
# and the chain against it and drops it (migration 0004); the seal trigger moves the head.
_INSERT = f"""
WITH inserted AS (
    INSERT INTO kehu_log.events (position, stream_id, stream_type, version, event_type,
                                 schema_version, payload, metadata, recorded_at, hash,
                                 prev_hash, record)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[],
                         $7::jsonb[], $8::jsonb[], $9::timestamptz[], $10::bytea[],
                         $11::bytea[], $12::text[])
    RETURNING 1
), commands AS (
    INSERT INTO kehu_log.command_log (actor_id, key, fingerprint, result)
    SELECT * FROM unnest($14::text[], $15::text[], $16::text[], $17::jsonb[])
    RETURNING 1
)
SELECT pg_notify('{NOTIFY_CHANNEL}', $13::bigint::text)
"""


class GroupAppender:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool
        self._pending: list[AppendRequest] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, request: AppendRequest) -> AppendResult:
        self._pending.append(request)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_pending())
        with metrics.timed(metrics.APPEND_SECONDS, outcome="ok") as labels:
            try:
                return await asyncio.shield(request.future)
            except BaseException:
                labels["outcome"] = "refused"
                raise

    async def _flush_pending(self) -> None:
        while self._pending:
            batch: list[AppendRequest] = []
            size = 0
            while self._pending and (not batch or size + self._pending[0].size
                                     <= MAX_EVENTS_PER_TRANSACTION):
                request = self._pending.pop(0)
                batch.append(request)
                size += request.size
            metrics.APPEND_BATCH.observe(len(batch))
            metrics.APPEND_BATCH_EVENTS.observe(size)
            try:
                await self._write(batch)
            except BaseException as exc:  # every waiter must hear how its append ended
                for request in batch:
                    request.settle(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise

    async def _write(self, batch: list[AppendRequest]) -> None:
        with tracing.span("kehu.append", attributes={"kehu.batch.commands": len(batch)}):
            await self._write_batch(batch)

    async def _write_batch(self, batch: list[AppendRequest]) -> None:
        # Data keys are made (and committed) before the append's transaction: a key without
        # events is harmless, an event whose key rolled back would be unreadable.
        keys = await keys_for(self.pool, [e for r in batch for a in r.appends for e in a.events])
        async with self.pool.acquire() as conn:
            try:
                async with conn.transaction():
                    accepted = await _check(conn, batch)
                    results = await _insert_locked(conn, accepted, keys) if accepted else []
            except asyncpg.PostgresError as exc:
                if len(batch) > 1:
                    for request in batch:
                        if not request.future.done():
                            await self._write([request])
                    return
                request = batch[0]
                request.settle(await _explain(conn, request, exc))
                return
        for request, result in zip(accepted, results, strict=True):
            request.settle(result)


async def _check(conn: asyncpg.Connection, batch: list[AppendRequest]) -> list[AppendRequest]:
    """Settle the commands that cannot be written (stale version, earlier result); return the
    rest in order. Checked before the head lock, so a stale writer never holds it; the unique
    keys on (stream_id, version) and command_log catch a writer that slips in between."""
    stream_ids = sorted({a.stream_id for r in batch for a in r.appends})
    rows = await conn.fetch(
        "SELECT stream_id, max(version) AS v FROM kehu_log.events"
        " WHERE stream_id = ANY($1::text[]) GROUP BY stream_id", stream_ids,
    )
    current = {r["stream_id"]: r["v"] for r in rows}
    earlier = await _earlier_results(conn, [r for r in batch if r.key is not None])
    accepted: list[AppendRequest] = []
    keys_in_batch: set[tuple[str, str]] = set()
    for request in batch:
        if request.key is not None:
            ident = (request.metadata.actor_id, request.key)
            if ident in earlier:
                fp, result = earlier[ident]
                request.settle(result if fp == request.fingerprint
                               else reused_key_error(request.key))
                continue
            if ident in keys_in_batch:
                # The same command twice in one batch: let it run alone after this one.
                request.settle(RetryAlone())
                continue
            keys_in_batch.add(ident)
        stale = next((a for a in request.appends
                      if current.get(a.stream_id, 0) != a.expected_version), None)
        if stale is not None:
            request.settle(ConcurrencyConflict(stale.stream_id, stale.expected_version,
                                               current.get(stale.stream_id, 0)))
            continue
        for a in request.appends:
            current[a.stream_id] = a.expected_version + len(a.events)
        accepted.append(request)
    return accepted


class RetryAlone(DomainError):
    """Internal: the caller appends again (a duplicate key within one batch)."""

    code = "RETRY"

    def __init__(self) -> None:
        super().__init__("retry")


async def _earlier_results(
    conn: asyncpg.Connection, requests: list[AppendRequest]
) -> dict[tuple[str, str], tuple[str, AppendResult]]:
    if not requests:
        return {}
    rows = await conn.fetch(
        "SELECT c.actor_id, c.key, c.fingerprint, c.result FROM kehu_log.command_log c"
        " JOIN unnest($1::text[], $2::text[]) AS k(actor_id, key)"
        " ON c.actor_id = k.actor_id AND c.key = k.key",
        [r.metadata.actor_id for r in requests], [r.key for r in requests],
    )
    return {(r["actor_id"], r["key"]): (r["fingerprint"],
                                        AppendResult.from_json(r["result"], replayed=True))
            for r in rows}


def reused_key_error(key: str) -> IdempotencyKeyReused:
    return IdempotencyKeyReused(f"idempotency key {key!r} was already used for a different "
                                "command", field="idempotencyKey")


async def _explain(conn: asyncpg.Connection, request: AppendRequest,
                   exc: asyncpg.PostgresError) -> AppendResult | BaseException:
    """A lone command the database refused: say why in domain terms where we can."""
    refused: BaseException = exc
    if not isinstance(exc, asyncpg.UniqueViolationError):
        return refused
    if exc.constraint_name == "command_log_pkey" and request.key is not None:
        # The same command raced itself in another process; the winner's result is the answer.
        found = await _earlier_results(conn, [request])
        fp, result = found[(request.metadata.actor_id, request.key)]
        return result if fp == request.fingerprint else reused_key_error(request.key)
    rows = await conn.fetch(
        "SELECT stream_id, max(version) AS v FROM kehu_log.events"
        " WHERE stream_id = ANY($1::text[]) GROUP BY stream_id",
        [a.stream_id for a in request.appends],
    )
    actual = {r["stream_id"]: r["v"] for r in rows}
    first = next((a for a in request.appends
                  if actual.get(a.stream_id, 0) != a.expected_version), request.appends[0])
    actual_version: int = actual.get(first.stream_id, 0)
    return ConcurrencyConflict(first.stream_id, first.expected_version, actual_version)


def _prepare(accepted: list[AppendRequest], now: datetime, keys: Keys) -> list[list[_Row]]:
    """Everything about the rows that does not depend on the head: encoding, serialising
    (once: the same bytes are hashed and stored) and the record around the position. Done
    before the head lock, so the lock covers only the chain link. Personal fields are sealed
    here, before serialising: the hash covers the ciphertext."""
    prepared: list[list[_Row]] = []
    for request in accepted:
        meta = Encoded(canonical(to_data(request.metadata)))  # one command, one metadata
        rows: list[_Row] = []
        for a in request.appends:
            for offset, event in enumerate(a.events, start=1):
                payload = Encoded(canonical(seal_payload(event, encode(event), keys)))
                version = a.expected_version + offset
                parts = RecordParts(
                    stream_id=a.stream_id, stream_type=a.stream_type, version=version,
                    event_type=event.type_name(), schema_version=event.SCHEMA_VERSION,
                    payload=payload, metadata=meta, recorded_at=now)
                rows.append((a.stream_id, a.stream_type, version, event.type_name(),
                             event.SCHEMA_VERSION, payload, meta, parts))
        prepared.append(rows)
    return prepared


_Row = tuple[str, str, int, str, int, Encoded, Encoded, RecordParts]


async def _insert_locked(conn: asyncpg.Connection, accepted: list[AppendRequest],
                         keys: Keys) -> list[AppendResult]:
    now = datetime.now(UTC)
    prepared = _prepare(accepted, now, keys)
    # The lock that orders the log (see store.py).
    head = await conn.fetchrow("SELECT position, hash FROM kehu_log.event_head FOR UPDATE")
    assert head is not None
    position, prev_hash = head["position"], bytes(head["hash"])
    cols: list[list[Any]] = [[] for _ in range(12)]
    commands: list[list[Any]] = [[] for _ in range(4)]
    results: list[AppendResult] = []
    for request, rows in zip(accepted, prepared, strict=True):
        first = position + 1
        versions: dict[str, int] = {}
        for stream_id, stream_type, version, event_type, schema_version, payload, meta, parts \
                in rows:
            position += 1
            record = parts.record(position)
            linked_to, prev_hash = prev_hash, hashlib.sha256(prev_hash + record).digest()
            row = (position, stream_id, stream_type, version, event_type, schema_version,
                   payload, meta, now, prev_hash, linked_to, record.decode())
            for col, value in zip(cols, row, strict=True):
                col.append(value)
            versions[stream_id] = version
        result = AppendResult(first, position, versions)
        results.append(result)
        if request.key is not None:
            for col, value in zip(commands, (request.metadata.actor_id, request.key,
                                             request.fingerprint, result.to_json()), strict=True):
                col.append(value)
    await conn.fetchrow(_INSERT, *cols, position, *commands)
    return results
