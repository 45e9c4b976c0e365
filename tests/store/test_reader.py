"""One log reader per process: many followers, catching up and live, each get every event once
and in order, from shared pages, with database work that does not grow with their number."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from events.shared.actors import Actor, Role
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from events.store.notifications import Notifier
from events.store.reader import BLOCK, LogReader
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

META = Metadata.for_actor(Actor("u1", "U1", Role.STAFF), correlation_id="c")


@pytest.fixture
async def notifier(dsn: str) -> AsyncIterator[Notifier]:
    found = Notifier(dsn, poll_interval=0.2)
    await found.start()
    yield found
    await found.stop()


async def append(store: EventStore, stream: str, version: int, n: int) -> tuple[int, int]:
    done = await store.append(
        [StreamAppend(stream, "thing", version, [ThingHappened(i) for i in range(n)])], META)
    return done.first_position, done.last_position


async def collect(reader: LogReader, after: int, until: int,
                  types: list[str] | None = None, page_size: int = 300) -> list[int]:
    seen: list[int] = []
    async with asyncio.timeout(30):
        async for page in reader.follow(after, types, page_size):
            assert 0 < len(page) <= page_size
            seen += [e.position for e in page]
            if seen[-1] >= until:
                return seen
    return seen


async def test_followers_share_pages_and_see_every_event_once_in_order(
    store: EventStore, notifier: Notifier
) -> None:
    stream = random_id("thing-")
    first, _ = await append(store, stream, 0, 1)
    _, last = await append(store, stream, 1, 3 * BLOCK)
    reader = LogReader(store.pool, notifier)
    try:
        # Twenty catch-up followers from the same point, at once.
        results = await asyncio.gather(*(collect(reader, first - 1, last) for _ in range(20)))
        assert all(r == list(range(first, last + 1)) for r in results)
        blocks = (last - (first - 1)) // BLOCK + 2
        assert reader.queries <= blocks + 4  # not 20x: the blocks were read once

        # Live: followers wait at the head, then a write reaches every one of them.
        before = reader.queries
        waiting = [asyncio.create_task(collect(reader, last, last + 5)) for _ in range(50)]
        await asyncio.sleep(0)  # let them reach the head and wait
        _, newest = await append(store, stream, 1 + 3 * BLOCK, 5)
        for seen in await asyncio.gather(*waiting):
            assert seen == list(range(last + 1, newest + 1))
        assert reader.queries - before < 20  # a few head reads and tail reads, not 50
    finally:
        await reader.stop()


async def test_a_type_filter_skips_the_rest_and_still_moves_on(
    store: EventStore, notifier: Notifier
) -> None:
    stream = random_id("thing-")
    first, last = await append(store, stream, 0, BLOCK + 10)
    reader = LogReader(store.pool, notifier)
    try:
        seen = await collect(reader, first - 1, last, types=["ThingHappened"], page_size=7)
        assert seen == list(range(first, last + 1))
        nothing = asyncio.create_task(collect(reader, first - 1, last, types=["NoSuchType"]))
        await asyncio.sleep(0.3)
        assert not nothing.done()  # no empty pages: it waits for a matching event
        nothing.cancel()
    finally:
        await reader.stop()
