"""One reader of the log per process, feeding every subscriber from shared pages.

Before, each GraphQL subscription ran its own head query and read on every wake-up, so the
database work per event grew with the number of subscribers (500 subscriptions cut write
throughput about 15x). Now:

- the log is cut into fixed blocks of positions ((k*BLOCK, (k+1)*BLOCK]); positions are dense
  (the head moves in the same transaction as the rows), so a block below the head is complete
  and never changes: it is read once, kept in a small LRU, and a read already under way is
  shared by everyone who wants the same block (catch-up subscribers share pages too);
- the block the head is in (the tail) is extended by one task: on each wake-up it reads the
  head, then only the events after what it already has, once for all subscribers;
- a subscriber is a position and a cursor over shared pages (`follow`); a slow one holds no
  queue of its own, it falls back to blocks, from the LRU or the database.

Ordering is the store's: the head is read before the events it counts (store.py), so nothing
below it can still appear, and every subscriber sees each event once, in position order.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Collection

import asyncpg

from events.store.envelope import StoredEvent
from events.store.event_store import read_after
from events.store.notifications import Notifier
from events.store.shredding import open_events

BLOCK = 1000
CACHED_BLOCKS = 16  # the last 16k events: live subscribers and catch-up near the tail



class LogReader:
    def __init__(self, pool: asyncpg.Pool, notifier: Notifier) -> None:
        self.pool = pool
        self.notifier = notifier
        self.head = -1  # the highest position known committed; -1 before the first read
        self._tail: list[StoredEvent] = []  # the events of block head // BLOCK, up to head
        self._blocks: OrderedDict[int, list[StoredEvent]] = OrderedDict()
        self._loading: dict[int, asyncio.Future[list[StoredEvent]]] = {}
        self._waiters: list[_Waiter] = []
        self._advancing = asyncio.Lock()  # one extension of the tail at a time
        self._starting = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.queries = 0  # statements sent, for benchmarks and tests

    async def follow(self, after: int, types: Collection[str] | None = None,
                     page_size: int = BLOCK) -> AsyncIterator[list[StoredEvent]]:
        """Pages of the events after `after` (of `types`, if given), catching up, then live.
        A page is never empty and never longer than `page_size`."""
        position = max(after, 0)  # everything up to here was looked at
        wanted = frozenset(types) if types else None
        while True:
            events = await self._events_after(position)
            if not events:
                position = await self._wait_beyond(position, wanted)
                continue
            chunk = events[:page_size] if wanted is None else events
            position = chunk[-1].position
            if wanted is not None:
                chunk = [e for e in chunk if e.event_type in wanted]
            for start in range(0, len(chunk), page_size):
                # Opened per page handed out, never in the shared pages: an erasure shows at
                # once even for events read before it.
                yield await open_events(self.pool, chunk[start:start + page_size])

    async def _events_after(self, position: int) -> list[StoredEvent]:
        """Committed events after `position` up to the end of its block, from shared pages."""
        await self._ensure_started()
        if position >= self.head:
            return []
        block = position // BLOCK
        if (block + 1) * BLOCK <= self.head:
            events = await self._block(block)
            ahead = block + 1  # a catch-up reader wants the next block next: read it meanwhile
            if (ahead + 1) * BLOCK <= self.head and ahead not in self._blocks \
                    and ahead not in self._loading:
                task = asyncio.create_task(self._block(ahead))
                task.add_done_callback(_ignore_failure)
        else:
            events = self._tail
        skip = position - block * BLOCK  # dense positions: the index of position + 1
        return events[skip:]

    async def _block(self, block: int) -> list[StoredEvent]:
        found = self._blocks.get(block)
        if found is not None:
            self._blocks.move_to_end(block)
            return found
        loading = self._loading.get(block)
        if loading is None:
            loading = asyncio.get_running_loop().create_future()
            self._loading[block] = loading
            try:
                rows = await self._fetch(block * BLOCK, (block + 1) * BLOCK)
                self._keep(block, rows)
                loading.set_result(rows)
            except BaseException as exc:
                loading.set_exception(exc)
                raise
            finally:
                del self._loading[block]
        return await asyncio.shield(loading)

    def _keep(self, block: int, events: list[StoredEvent]) -> None:
        self._blocks[block] = events
        self._blocks.move_to_end(block)
        while len(self._blocks) > CACHED_BLOCKS:
            self._blocks.popitem(last=False)

    async def _fetch(self, after: int, upto: int) -> list[StoredEvent]:
        self.queries += 1
        return await read_after(self.pool, after, upto - after, upto=upto, sealed=True)

    async def _ensure_started(self) -> None:
        if self._task is not None:
            return
        async with self._starting:
            if self._task is None:
                await self._advance()  # the first callers know the head before they go on
                self._task = asyncio.create_task(self._live(), name="kehu-log-reader")

    async def _live(self) -> None:
        while True:
            await self.notifier.wait(self.head)
            try:
                await self._advance()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # The database is gone: end the waiting subscriptions with the error, as a
                # read of their own would have, so clients resume from their last position
                # (the API's contract); the reader itself retries on the next wake-up.
                for waiter in self._waiters:
                    if not waiter.woken.done():
                        waiter.woken.set_exception(exc)

    async def _advance(self) -> None:
        async with self._advancing:
            await self._advance_locked()

    async def _advance_locked(self) -> None:
        """Read the head, then the events up to it that the tail lacks: one query each."""
        self.queries += 1
        head = int(await self.pool.fetchval("SELECT position FROM kehu_log.event_head"))
        if head <= self.head:
            return
        start = max(self.head, 0)
        if self.head < 0 or head // BLOCK > start // BLOCK + 1:
            start = head // BLOCK * BLOCK  # first read or far behind: only the head's block
            self._tail = []
        new = await self._fetch(start, head) if head > start else []
        for event in new:
            if event.position % BLOCK == 1 and self._tail:  # a block completed: keep it
                done = self._tail
                self._keep((done[0].position - 1) // BLOCK, done)
                self._tail = []
            self._tail.append(event)
        if self._tail and self._tail[-1].position % BLOCK == 0:
            self._keep((self._tail[0].position - 1) // BLOCK, self._tail)
            self._tail = []
        self.head = head
        seen = {e.event_type for e in new}
        complete = bool(new) and new[0].position == start + 1
        for waiter in self._waiters:
            if waiter.woken.done():
                continue
            if complete and waiter.wanted is not None and waiter.position >= start \
                    and not (waiter.wanted & seen):
                waiter.position = head  # nothing it wants up to the head: stay asleep
            else:
                waiter.woken.set_result(None)

    async def _wait_beyond(self, position: int, wanted: frozenset[str] | None) -> int:
        """Wait until events after `position` may interest this subscriber; return the position
        to read from (moved past new events of other types without waking it, so an idle
        filtered subscription costs nothing per write)."""
        if self.head > position:
            return position
        waiter = _Waiter(position, wanted)
        self._waiters.append(waiter)
        try:
            await waiter.woken
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
        return waiter.position

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def _ignore_failure(task: asyncio.Task[list[StoredEvent]]) -> None:
    if not task.cancelled():
        task.exception()  # a failed read ahead is read again by whoever needs the block


class _Waiter:
    __slots__ = ("position", "wanted", "woken")

    def __init__(self, position: int, wanted: frozenset[str] | None) -> None:
        self.position = position
        self.wanted = wanted
        self.woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()


_readers: weakref.WeakKeyDictionary[Notifier, LogReader] = weakref.WeakKeyDictionary()


def shared_reader(pool: asyncpg.Pool, notifier: Notifier) -> LogReader:
    """The process's reader (one per notifier, which is one per process)."""
    reader = _readers.get(notifier)
    if reader is None:
        reader = _readers[notifier] = LogReader(pool, notifier)
    return reader


async def stop_shared_reader(notifier: Notifier) -> None:
    reader = _readers.pop(notifier, None)
    if reader is not None:
        await reader.stop()
