"""Probe events: appended straight to the store so a check has live events to receive whatever
mutations the schema has at the time. They belong to their own stream type, which no
projection reads.

    python -m conformance.probe --dsn postgresql://... --count 3   # prints {"first":..,"last":..}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from dataclasses import dataclass

from events.shared.actors import Actor, Role
from events.store.db import create_pool
from events.store.envelope import Event, Metadata
from events.store.event_store import AppendResult, EventStore, StreamAppend

STREAM_TYPE = "conformance"
PROBE_ACTOR = Actor("conformance", "conformance probe", Role.INTEGRATION)


@dataclass(frozen=True)
class ConformanceProbe(Event):
    n: int
    run: str = ""


async def append_probes(store: EventStore, count: int, run: str = "") -> AppendResult:
    """`count` events on a new stream, in one transaction (consecutive positions)."""
    stream = f"probe-{uuid.uuid4().hex[:12]}"
    events: list[Event] = [ConformanceProbe(n, run) for n in range(1, count + 1)]
    meta = Metadata.for_actor(PROBE_ACTOR, correlation_id=f"probe-{run or stream}")
    return await store.append([StreamAppend(stream, STREAM_TYPE, 0, events)], meta)


async def _main(dsn: str, count: int) -> None:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        result = await append_probes(EventStore(pool), count)
    finally:
        await pool.close()
    print(json.dumps({"first": result.first_position, "last": result.last_position}))


if __name__ == "__main__":
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--dsn", required=True)
    args.add_argument("--count", type=int, default=3)
    parsed = args.parse_args()
    asyncio.run(_main(parsed.dsn, parsed.count))
