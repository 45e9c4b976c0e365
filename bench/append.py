"""Append throughput: Kehu's checked, hash-chained append vs (a) plain INSERT + COMMIT and
(b) the Python `eventsourcing` library's PostgreSQL recorder.

    python bench/append.py [--events N] [--json PATH]

All three run on the same PostgreSQL in the same run (embedded, or DATABASE_URL), one after the
other, writing the same number of events. (a) inserts the same rows (same columns and JSONB
payloads) into a bare table with no lock, no hash, no version check: the limit of what the
server can do for this shape of write. (b) is bench/peer.py.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import peer
from bench.common import fresh_database, print_report
from events.shared.actors import Actor, Role
from events.store.db import create_pool
from events.store.envelope import Event, Metadata
from events.store.event_store import EventStore, StreamAppend


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


async def scenario(dsn: str, writers: int, batch: int,
                   total_events: int) -> tuple[float, float, float]:
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
    peer_s = await asyncio.to_thread(peer.run, dsn, writers, appends // writers, batch)
    kehu_s = await run_writers(writers, appends, kehu)
    await pool.close()
    n = (appends // writers) * writers * batch
    return n / base_s, n / peer_s, n / kehu_s


SCENARIOS = [(1, 1), (8, 1), (32, 1), (1, 100), (8, 100), (32, 100)]
TARGET_OF_BARE, TARGET_OF_PEER = 0.60, 3.0


async def measure(total: int) -> dict[str, Any]:
    rows: list[tuple[str, ...]] = []
    at8: tuple[float, float, float] = (0, 0, 0)
    batches8: tuple[float, float, float] = (0, 0, 0)
    async with fresh_database() as dsn:
        for writers, batch in SCENARIOS:
            base, es, kehu = await scenario(dsn, writers, batch,
                                            total * (10 if batch > 1 else 1))
            if (writers, batch) == (8, 1):
                at8 = (base, es, kehu)
            if (writers, batch) == (8, 100):
                batches8 = (base, es, kehu)
            rows.append((f"{writers}", f"{batch}", f"{base:,.0f}", f"{es:,.0f}",
                         f"{kehu:,.0f}", f"{kehu / base:.2f}", f"{kehu / es:.2f}"))
    base, es, kehu = at8
    targets = [
        # Names as issue 17 words its targets.
        {"name": "100-event appends ≥ 0.6 of bare INSERT",
         "value": f"{batches8[2] / batches8[0]:.2f}",
         "ratio": f"{batches8[2]:,.0f} / {batches8[0]:,.0f} ev/s (8 writers)",
         "met": batches8[2] >= TARGET_OF_BARE * batches8[0]},
        {"name": "8-writer single appends ≥ 0.6 of bare", "value": f"{kehu / base:.2f}",
         "ratio": f"{kehu:,.0f} / {base:,.0f} ev/s", "met": kehu >= TARGET_OF_BARE * base},
        {"name": "8-writer single appends ≥ 3× `eventsourcing`", "value": f"{kehu / es:.2f}x",
         "ratio": f"{kehu:,.0f} / {es:,.0f} ev/s", "met": kehu >= TARGET_OF_PEER * es},
    ]
    header = ("writers", "events/append", "(a) bare INSERT ev/s", "(b) eventsourcing ev/s",
              "kehu ev/s", "kehu/(a)", "kehu/(b)")
    return {"title": "Append", "tables": [{"header": header, "rows": rows}],
            "targets": targets, "notes": [
                f"{total:,} single-event appends per scenario, {total * 10:,} events in"
                " 100-event batches",
                "(a) and (b) commit every append on its own; Kehu's group commit lets concurrent"
                " appends share one transaction, which is how it can pass (a) with many writers."
                " The 100-event rows, one transaction per append for all three, show the"
                " per-event cost of the checks, hashing and encoding."]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = asyncio.run(measure(args.events))
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
