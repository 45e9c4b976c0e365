"""How the NATS relay reads the log: one small function over the store's one read
(read_after), so a shared per-process log reader can take its place without touching it."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from events.store.envelope import StoredEvent
from events.store.event_store import read_after as read_log
from events.store.follow import head_position


async def read_after(pool: asyncpg.Pool, after: int, limit: int,
                     types: Sequence[str] | None = None) -> tuple[list[StoredEvent], int]:
    """Events after `after` in log order (optionally of some types), and how far the read
    looked: the head read first, so every event up to it is visible and none is skipped even
    when nothing matched (the caller may move its cursor there)."""
    head = await head_position(pool)
    events = await read_log(pool, after, limit, types, upto=head)
    looked = events[-1].position if len(events) == limit else head
    return events, looked
