"""Replay and rebuild: read the whole log, and rebuild every projection from it.

    python bench/replay.py [--events N] [--json PATH]

The log is N realistic domain events (bench/workload.py: customers, visits, meals, sales, made
by the aggregates' decide functions). Each phase runs twice, at N/4 and at N events, with the
process's peak resident memory reset before each phase: if a phase's peak grew with the log,
it would hold the log in memory. Beside Kehu's `EventStore.read_all` the plain floor is
`SELECT * FROM kehu_log.events ORDER BY position` through an asyncpg cursor, JSONB left as
text.
Rebuild is projections.runner.rebuild_all of every projection in projections.registry.ALL,
as `kehu rebuild` does (one shared log reader, each projection writing on its own connection);
its rate is log events / total rebuild time. Per projection, the seconds are until each one was
swapped in: with the shared reader they end together.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from bench import workload
from bench.common import fresh_database, print_report
from bench.machine import peak_mib, reset_peak, rss_mib
from events.store.db import create_pool
from events.store.event_store import EventStore
from projections import registry, runner

READ_BATCH = 1000  # EventStore.read_all's default page, and the runner's batch
TARGET_EVENTS = 1_000_000  # the workload the rebuild target is set on
TARGET_OF_SCAN = 0.6
TARGET_REBUILD = 30_000


class Phase:
    """Wall time and peak memory of one phase."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.peak = self.start = 0.0

    def __enter__(self) -> Phase:
        reset_peak()
        self.start = rss_mib()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.t0
        self.peak = peak_mib()

    @property
    def growth(self) -> float:
        return self.peak - self.start


async def read_all(store: EventStore, decode: bool) -> int:
    position, count = 0, 0
    while True:
        batch = await store.read_all(position, READ_BATCH)
        if not batch:
            return count
        if decode:
            for e in batch:
                _ = e.event
        count += len(batch)
        position = batch[-1].position


async def plain_scan(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)  # no JSON codec: the server's and driver's floor
    count = 0
    try:
        async with conn.transaction():
            async for _row in conn.cursor("SELECT * FROM kehu_log.events ORDER BY position",
                                          prefetch=READ_BATCH):
                count += 1
    finally:
        await conn.close()
    return count


async def rebuild_all(dsn: str) -> dict[str, float]:
    # All projections together, as `kehu rebuild` does.
    return await runner.rebuild_all(dsn, list(registry.ALL))


async def handled_counts(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch("SELECT event_type, count(*) AS n FROM kehu_log.events"
                            " GROUP BY event_type")
    by_type = {r["event_type"]: int(r["n"]) for r in rows}
    return {p.name: sum(n for t, n in by_type.items()
                        if p.event_types is None or t in p.event_types)
            for p in registry.ALL}


async def measure_at(dsn: str, store: EventStore) -> dict[str, Any]:
    events = await store.head_position()
    out: dict[str, Any] = {"events": events}
    runs: list[tuple[str, Callable[[], Awaitable[int]]]] = [
        ("plain scan", lambda: plain_scan(dsn)),
        ("read_all", lambda: read_all(store, decode=False)),
        ("read_all + decode", lambda: read_all(store, decode=True))]
    for name, run in runs:
        with Phase() as phase:
            count = await run()
        assert count == events, (name, count, events)
        out[name] = (events / phase.seconds, phase.peak, phase.growth)
    with Phase() as phase:
        times = await rebuild_all(dsn)
    out["rebuild"] = (events / phase.seconds, phase.peak, phase.growth)
    out["per projection"] = times
    out["handled"] = await handled_counts(store.pool)
    return out


async def measure(total: int) -> dict[str, Any]:
    async with fresh_database() as dsn:
        pool = await create_pool(dsn, min_size=1, max_size=2)
        store = EventStore(pool)
        t0 = time.perf_counter()
        await workload.load(store, total // 4, run="a")
        quarter = await measure_at(dsn, store)
        await workload.load_more(store, total - quarter["events"], run="b")
        load_rate = (await store.head_position()) / (time.perf_counter() - t0)
        full = await measure_at(dsn, store)
        await pool.close()
    return {"load ev/s": load_rate, "quarter": quarter, "full": full}


def report(result: dict[str, Any]) -> dict[str, Any]:
    q, f = result["quarter"], result["full"]
    header = ("phase", f"ev/s at {q['events']:,}", f"ev/s at {f['events']:,}",
              "peak MiB (N/4 -> N)", "growth in phase MiB (N/4 -> N)")
    rows = [(name, f"{q[name][0]:,.0f}", f"{f[name][0]:,.0f}",
             f"{q[name][1]:.0f} -> {f[name][1]:.0f}", f"{q[name][2]:+.0f} -> {f[name][2]:+.0f}")
            for name in ("plain scan", "read_all", "read_all + decode", "rebuild")]
    per = [(name, f"{f['handled'][name]:,}", f"{secs:.1f}",
            f"{f['handled'][name] / secs:,.0f}" if secs else "-")
           for name, secs in f["per projection"].items()]
    read, rebuilt = f["read_all"][0], f["rebuild"][0]
    flat = f["rebuild"][2] <= max(2 * q["rebuild"][2], q["rebuild"][2] + 20)
    scan = f["plain scan"][0]
    # Names as issue 17 words its targets. The rebuild rate is the 1M-event workload's: on a
    # smaller log (run_all's short sizes) it is reported, not judged.
    # The workload loads whole customers, so asking for 1,000,000 events gives 999,994.
    full_size = f["events"] >= TARGET_EVENTS - workload.EVENTS_PER_CUSTOMER
    size = "" if full_size else f"; measured at {f['events']:,} events, not judged"
    targets = [
        {"name": "read the whole log ≥ 0.6 of a plain SELECT scan", "value": f"{read / scan:.2f}",
         "ratio": f"{read:,.0f} / {scan:,.0f} ev/s", "met": read >= TARGET_OF_SCAN * scan},
        {"name": "rebuild ≥ 30,000 ev/s on the 1M-event workload",
         "value": f"{rebuilt:,.0f} ev/s",
         "ratio": f"{rebuilt / TARGET_REBUILD:.2f}x target{size}",
         "met": rebuilt >= TARGET_REBUILD if full_size else None},
        {"name": "rebuild memory flat",
         "value": f"{q['rebuild'][2]:+.0f} MiB at N/4, {f['rebuild'][2]:+.0f} MiB at N",
         "ratio": "growth in the phase", "met": flat},
    ]
    notes = [f"read_all / plain scan at N: {read / f['plain scan'][0]:.2f}",
             f"bulk load (decide + append, 300 customers per append): "
             f"{result['load ev/s']:,.0f} ev/s"]
    return {"title": "Replay and rebuild", "tables": [
        {"header": header, "rows": rows},
        {"header": ("projection", "events handled", "seconds", "handled ev/s"), "rows": per}],
        "targets": targets, "notes": notes}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = report(asyncio.run(measure(args.events)))
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
