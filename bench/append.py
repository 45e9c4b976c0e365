"""Append throughput: Kehu's checked, hash-chained append vs plain INSERT + COMMIT.

    python bench/append.py [--events N]

Both run on the same PostgreSQL in the same run (embedded, or DATABASE_URL). The baseline
inserts the same rows (same columns and JSONB payloads) into a bare table with no lock, no
hash, no version check: the limit of what the server can do for this shape of write.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, table
from events.actors import Actor, Role
from events.db import create_pool
from events.envelope import Event, Metadata
from events.store import EventStore, StreamAppend


@dataclass(frozen=True)
class BenchEventRecorded(Event):
    n: int
    customer: str
    amount_fen: int


META = Metadata.for_actor(Actor("bench", "Bench", Role.STAFF), correlation_id="bench")
BARE = """CREATE TABLE bare (position bigserial PRIMARY KEY, stream_id text, version int,
          event_type text, payload jsonb, metadata jsonb, recorded_at timestamptz)"""


async def run_writers(
    writers: int, appends: int, fn: Callable[[int, int], Awaitable[None]]
) -> float:
    per = appends // writers

    async def writer(w: int) -> None:
        for i in range(per):
            await fn(w, i)

    start = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return time.perf_counter() - start


async def scenario(dsn: str, writers: int, batch: int, total_events: int) -> tuple[float, float]:
    pool = await create_pool(dsn, min_size=writers, max_size=writers)
    store = EventStore(pool)
    await pool.execute("DROP TABLE IF EXISTS bare; " + BARE)
    appends = max(total_events // batch, writers)
    run_id = time.monotonic_ns()

    def events(i: int) -> list[BenchEventRecorded]:
        customer = "客户-" + str(i % 97)
        return [BenchEventRecorded(i * batch + k, customer, 12345) for k in range(batch)]

    versions: dict[str, int] = {}

    async def kehu(w: int, i: int) -> None:
        sid = f"bench-{run_id}-{w}-{i % 50}"
        v = versions.get(sid, 0)
        await store.append([StreamAppend(sid, "bench", v, events(i))], META)
        versions[sid] = v + batch

    meta = json.dumps({"actor_id": "bench", "actor_name": "Bench", "actor_role": "staff",
                       "correlation_id": "bench"})

    async def bare(w: int, i: int) -> None:
        rows = [(f"bench-{w}-{i % 50}", k, "BenchEventRecorded",
                 {"n": e.n, "customer": e.customer, "amount_fen": e.amount_fen}, json.loads(meta),
                 datetime.now(UTC)) for k, e in enumerate(events(i))]
        async with pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO bare (stream_id, version, event_type, payload, metadata, recorded_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)", rows)

    base_s = await run_writers(writers, appends, bare)
    kehu_s = await run_writers(writers, appends, kehu)
    await pool.close()
    n = (appends // writers) * writers * batch
    return n / base_s, n / kehu_s


async def main(total: int) -> None:
    async with fresh_database() as dsn:
        rows: list[tuple[str, ...]] = []
        for writers, batch in [(1, 1), (8, 1), (32, 1), (1, 100), (8, 100)]:
            base, kehu = await scenario(dsn, writers, batch, total * (10 if batch > 1 else 1))
            rows.append((f"{writers}", f"{batch}", f"{base:,.0f}", f"{kehu:,.0f}",
                         f"{kehu / base:.2f}"))
        print(table(rows, ("writers", "batch", "baseline ev/s", "kehu ev/s", "kehu/baseline")))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=4000)
    asyncio.run(main(parser.parse_args().events))
