"""A reader following the log by position never skips an event, even with 8+ concurrent
writers committing in any order and some transactions rolled back after taking the head lock."""

from __future__ import annotations

import asyncio
import random

import asyncpg

from events.shared.actors import Actor, Role
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

WRITERS = 8
APPENDS_PER_WRITER = 400  # batches of 1..11 events: about 19,000 events in all


async def test_reader_by_position_sees_every_committed_event_exactly_once(
    store: EventStore,
) -> None:
    run = random_id("order-")
    meta = Metadata.for_actor(Actor("u-order", "Order", Role.STAFF), correlation_id=run)
    start = await store.head_position()
    committed: set[tuple[str, int]] = set()
    rolled_back = 0
    writers_done = asyncio.Event()

    async def writer(w: int) -> None:
        nonlocal rolled_back
        rng = random.Random(w)
        versions: dict[str, int] = {}
        for i in range(APPENDS_PER_WRITER):
            sid = f"{run}-w{w}-s{rng.randrange(20)}"
            size = rng.randrange(1, 12)
            # Every 10th batch carries a NUL character, which JSONB rejects inside the insert:
            # the transaction rolls back after it took the head lock and numbered its events.
            note = "\x00" if i % 10 == 3 else ""
            batch = [ThingHappened(n, note) for n in range(size)]
            try:
                await store.append([StreamAppend(sid, "thing", versions.get(sid, 0), batch)],
                                   meta)
            except asyncpg.PostgresError:
                rolled_back += 1
                continue
            for _ in batch:
                versions[sid] = versions.get(sid, 0) + 1
                committed.add((sid, versions[sid]))

    seen: list[tuple[int, str, int]] = []

    async def reader() -> None:
        after = start
        while True:
            page = await store.read_all(after, limit=500)
            for e in page:
                seen.append((e.position, e.stream_id, e.version))
                after = e.position
            if not page:
                if writers_done.is_set() and after == await store.head_position():
                    return
                await asyncio.sleep(0.001)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(WRITERS)))
    writers_done.set()
    await asyncio.wait_for(reading, 60)

    positions = [p for p, _, _ in seen]
    assert positions == list(range(start + 1, start + 1 + len(positions))), "gap or reorder"
    mine = [(s, v) for _, s, v in seen if s.startswith(run)]
    assert len(mine) == len(set(mine)), "an event was delivered twice"
    assert set(mine) == committed, "the reader missed committed events"
    assert rolled_back >= WRITERS * APPENDS_PER_WRITER // 10
    assert len(committed) > 15_000
