"""The one follow loop: catch up from storage, then wait for a wake-up, forever.

There is no separate live channel that could disagree with storage: the notifier only wakes
the process's log reader, which reads the log by position, so nothing is skipped or repeated,
and a lost notification costs at most one poll interval. GraphQL subscriptions and
webhook deliveries follow the log through here; the projection runner reads through the same
`read_after` inside its own transaction, because its checkpoint commits with its rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import asyncpg

from events.store.envelope import StoredEvent
from events.store.notifications import Notifier
from events.store.reader import shared_reader

PAGE = 500


async def head_position(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT position FROM kehu_log.event_head"))


async def follow(pool: asyncpg.Pool, notifier: Notifier, after: int, *,
                 types: Sequence[str] | None = None, page: int = PAGE,
                 ) -> AsyncIterator[list[StoredEvent]]:
    """Pages of the events after `after` (of `types`, when given), in order, each once.

    Served by the process's one log reader (events/store/reader.py): every follower shares
    its pages, so the database work per event does not grow with the number of followers.
    """
    async for found in shared_reader(pool, notifier).follow(after, types, page):
        yield found
