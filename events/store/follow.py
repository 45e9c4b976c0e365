"""The one follow loop: catch up from storage, then wait for a wake-up, forever.

There is no separate live channel that could disagree with storage: the notifier only wakes
the loop, which always reads the log by position (`read_after`), so nothing is skipped or
repeated, and a lost notification costs at most one poll interval. GraphQL subscriptions and
webhook deliveries follow the log through here; the projection runner reads through the same
`read_after` inside its own transaction, because its checkpoint commits with its rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import asyncpg

from events.store.envelope import StoredEvent
from events.store.event_store import read_after
from events.store.notifications import Notifier

PAGE = 500


async def head_position(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT position FROM event_head"))


async def follow(pool: asyncpg.Pool, notifier: Notifier, after: int, *,
                 types: Sequence[str] | None = None, page: int = PAGE,
                 ) -> AsyncIterator[list[StoredEvent]]:
    """Pages of the events after `after` (of `types`, when given), in order, each once."""
    scanned = max(after, 0)  # how far the log has been looked at (beyond the last match)
    while True:
        # The head first: every event up to it is committed and visible to the next read.
        head = await head_position(pool)
        events = await read_after(pool, scanned, page, types, upto=head)
        if events:
            yield events
        last = events[-1].position if events else scanned
        scanned = last if len(events) == page else max(head, last)
        if scanned >= head:
            await notifier.wait(scanned)
