"""How outbound deliveries (webhooks, the NATS relay) read the log: one small function, so a
shared per-process log reader can take its place without touching its callers."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from events.store.envelope import StoredEvent
from events.store.event_store import EVENT_COLUMNS, row_to_event


async def read_after(pool: asyncpg.Pool, after: int, limit: int,
                     types: Sequence[str] | None = None) -> tuple[list[StoredEvent], int]:
    """Events after `after` in log order (optionally of some types), and how far the read
    looked: the head read first, so every event up to it is visible and none is skipped even
    when nothing matched (the caller may move its cursor there)."""
    head = int(await pool.fetchval("SELECT position FROM event_head"))
    rows = await pool.fetch(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 AND position <= $2"
        " AND ($3::text[] IS NULL OR event_type = ANY($3::text[])) ORDER BY position LIMIT $4",
        after, head, list(types) if types else None, limit)
    events = [row_to_event(r) for r in rows]
    looked = events[-1].position if len(events) == limit else head
    return events, looked
