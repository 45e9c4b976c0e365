"""Verification of the hash chain: names the first event altered, removed or reordered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from events.store.codec import to_data
from events.store.event_store import read_after
from events.store.hashing import GENESIS_HASH, event_hash

BATCH = 1000  # rows decoded per fetch: a fetch is one step the loop cannot interleave
YIELD_EVERY = 100  # events hashed between yields to the event loop (about a millisecond)


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    first_position: int | None
    last_position: int | None
    bad_position: int | None = None
    reason: str | None = None


async def verify_chain(
    pool: asyncpg.Pool,
    *,
    from_position: int = 1,
    to_position: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Walk the log in position order, recomputing each hash from its predecessor's.

    Starting after position 1 trusts the stored hash of the event just before the range; a full
    check (the default) trusts nothing but the genesis value.
    """
    async with pool.acquire() as conn:
        head = await conn.fetchrow("SELECT position, hash FROM kehu_log.event_head")
        assert head is not None
        end = head["position"] if to_position is None else min(to_position, head["position"])
        prev_hash, expected = await _start(conn, from_position)
        checked = 0
        first: int | None = None
        last_seen = expected - 1
        while expected <= end:
            page = await read_after(conn, expected - 1, BATCH, upto=end, sealed=True)
            if not page:
                break
            for e in page:
                if e.position != expected:
                    return VerifyReport(False, checked, first, last_seen, expected,
                                        f"event {expected} is missing (next found is {e.position})")
                recomputed = event_hash(
                    prev_hash, position=e.position, stream_id=e.stream_id,
                    stream_type=e.stream_type, version=e.version, event_type=e.event_type,
                    schema_version=e.schema_version, payload=e.payload,
                    metadata=to_data(e.metadata), recorded_at=e.recorded_at,
                )
                if recomputed != e.hash:
                    return VerifyReport(False, checked, first, last_seen, e.position,
                                        f"event {e.position} was altered, or an event before it"
                                        " was reordered: its hash does not match its content")
                first = e.position if first is None else first
                prev_hash, last_seen, expected = e.hash, e.position, e.position + 1
                checked += 1
                if checked % YIELD_EVERY == 0:
                    # Hashing is CPU work: give other requests the loop between small chunks.
                    await asyncio.sleep(0)
            if progress is not None:
                progress(checked, end - from_position + 1)
        if expected <= end:
            return VerifyReport(False, checked, first, last_seen, expected,
                                f"event {expected} is missing")
        beyond = await conn.fetchval("SELECT max(position) FROM kehu_log.events")
        if to_position is None and beyond is not None and beyond > head["position"]:
            # Invisible to readers that stop at the head, and it blocks every later append.
            return VerifyReport(False, checked, first, last_seen, head["position"] + 1,
                                f"event {beyond} lies beyond the log head"
                                f" ({head['position']}): it was not appended through the store")
        if to_position is None and end > 0 and prev_hash != bytes(head["hash"]):
            return VerifyReport(False, checked, first, last_seen, end,
                                "the log head does not match the last event: events were removed"
                                " or replaced at the end")
        return VerifyReport(True, checked, first, last_seen)


async def _start(conn: asyncpg.Connection, from_position: int) -> tuple[bytes, int]:
    if from_position <= 1:
        return GENESIS_HASH, 1
    prev = await conn.fetchval("SELECT hash FROM kehu_log.events WHERE position = $1",
                               from_position - 1)
    return (bytes(prev) if prev is not None else GENESIS_HASH), from_position
