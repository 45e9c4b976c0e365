"""Live dashboards: many subscribers on a few distinct live queries while events arrive.

    python bench/live.py [--subscribers 200] [--rate 100] [--seconds 8] [--json PATH]

A real Kehu server (uvicorn in its own process, projections running) on a fresh database with
about 3,000 events of bench/workload.py. Ten distinct live queries (five `expenseSummary`
orders, three `customerClassification` filters, two `salesAggregate` pages) are watched by
dashboards, one graphql-transport-ws socket and subscription each, spread over 20 managers.
Events arrive at --rate per second (whole customers from bench/workload.py: a registration, 3
visits, a meal with its cost, 5 sales, one append each), in three windows of --seconds:
no dashboard, one per distinct query, all --subscribers. Per window:
- database work: sequential and index scans per second of the read views' tables
  (pg_stat_user_tables; the projections' writes scan per event, each live computation at least
  once), and the server's own counters of live computations and checkpoint reads (/metrics):
  the dashboards' extra work should follow the ten distinct queries, not the subscribers;
- push delay: each customer appended makes every query's result move (a meal's cost, a
  customer, five sales), so a pushed result says which customers it includes; for every
  customer and subscriber, from the moment this process saw the query's projection include
  the customer (its checkpoint, by LISTEN and a 20 ms poll) to the first push that includes it.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import workload
from bench.common import fresh_database, print_report
from bench.latency import percentile
from events.shared.actors import Role
from events.store.db import connect, create_pool
from events.store.event_store import EventStore
from tests.live import LiveServer, Subscriber, connect_ws, run_server, token

USERS = 20
TARGET_P99_MS = 1000.0
QUIET_S = 2.0
EXPENSES = ("subscription($o: ExpenseOrder!) { expenseSummary(groupBy: [], from: \"2024-01-01\","
            " to: \"2025-12-31\", orderBy: $o) { count total } }")
T1 = ("subscription($f: ClassificationFilter) { customerClassification(filter: $f)"
      " { customers allCustomers } }")
SALES = ("subscription($n: Int) { salesAggregate(groupBy: [], first: $n)"
         " { nodes { count sum } } }")


@dataclass(frozen=True)
class LiveQuery:
    document: str
    variables: dict[str, Any]
    projection: str
    value: Callable[[dict[str, Any]], int]  # how many customers' worth the result shows
    step: int  # its change per customer appended


def _expenses(d: dict[str, Any]) -> int:
    return int(d["expenseSummary"][0]["count"]) if d["expenseSummary"] else 0


QUERIES = [
    *(LiveQuery(EXPENSES, {"o": o}, "expenses", _expenses, 1)
      for o in ("KEY", "TOTAL_DESC", "TOTAL_ASC", "COUNT_DESC", "COUNT_ASC")),
    *(LiveQuery(T1, {"f": f}, "classification",
                lambda d: int(d["customerClassification"]["allCustomers"]), 1)
      for f in (None, {"customerTiers": ["IMPORTANT"]}, {"customerTiers": ["GENERAL"]})),
    *(LiveQuery(SALES, {"n": n}, "sales",
                lambda d: int(d["salesAggregate"]["nodes"][0]["count"]), 5) for n in (1, 2)),
]
PROJECTIONS = sorted({q.projection for q in QUERIES})


@dataclass
class Timeline:
    """When this process first saw each projection's checkpoint at or past a position."""

    seen: dict[str, list[tuple[int, float]]] = field(
        default_factory=lambda: {p: [] for p in PROJECTIONS})

    def at(self, projection: str, position: int) -> float | None:
        points = self.seen[projection]
        i = bisect.bisect_left(points, position, key=lambda v: v[0])
        return points[i][1] if i < len(points) else None


async def watch_checkpoints(dsn: str, timeline: Timeline, stop: asyncio.Event) -> None:
    conn = await connect(dsn)
    woken = asyncio.Event()
    await conn.add_listener("kehu_projections", lambda *_: woken.set())
    try:
        while not stop.is_set():
            woken.clear()
            rows = await conn.fetch("SELECT name, position FROM projection_checkpoints"
                                    " WHERE name = ANY($1)", PROJECTIONS)
            now = time.perf_counter()
            for r in rows:
                points = timeline.seen[r["name"]]
                if not points or r["position"] > points[-1][0]:
                    points.append((int(r["position"]), now))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), 0.02)
    finally:
        await conn.close()


@dataclass
class Dashboard:
    query: LiveQuery
    first: int = -1  # the value of the first result
    pushes: list[tuple[int, float]] = field(default_factory=list)  # (value, received)


async def dashboard(server: LiveServer, user: int, board: Dashboard, ready: asyncio.Event,
                    count: list[int], stop: asyncio.Event) -> None:
    async with connect_ws(server) as ws:
        client = Subscriber(ws)
        await client.init(token(f"bench-mgr-{user}", Role.MANAGER))
        await client.subscribe("1", board.query.document, board.query.variables)
        while not stop.is_set():
            try:
                message = await client.next(timeout=0.5)
            except TimeoutError:
                continue
            assert message.get("type") == "next" and "errors" not in message["payload"], message
            value = board.query.value(message["payload"]["data"])
            if board.first < 0:
                board.first = value
                count[0] += 1
                if count[0] == count[1]:
                    ready.set()
            else:
                board.pushes.append((value, time.perf_counter()))


def scrape(server: LiveServer) -> dict[str, float]:
    text = httpx.get(server.url + "/metrics", timeout=10).text
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("kehu_live_"):
                out[s.name] = out.get(s.name, 0.0) + s.value
    return out


async def scans(admin: asyncpg.Connection) -> int:
    """Table scans (sequential and index) on the read views: every query of a live dashboard
    scans at least one; a projection's writes scan per event, whatever their batching (the
    transaction count, by contrast, falls as a busy runner writes bigger batches)."""
    await admin.execute("SELECT pg_stat_clear_snapshot()")
    return int(await admin.fetchval(
        "SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_user_tables"
        " WHERE schemaname = 'public' AND relname <> 'projection_checkpoints'"))


async def caught_up(store: EventStore, timeline: Timeline) -> None:
    head = await store.head_position()
    while any(timeline.at(p, head) is None for p in PROJECTIONS):
        await asyncio.sleep(0.05)


async def window(store: EventStore, server: LiveServer, admin: asyncpg.Connection,
                 timeline: Timeline, dashboards: int, rate: float, seconds: float,
                 run: str) -> dict[str, Any]:
    boards = [Dashboard(QUERIES[i % len(QUERIES)]) for i in range(dashboards)]
    ready, stop = asyncio.Event(), asyncio.Event()
    count = [0, dashboards]
    await caught_up(store, timeline)
    tasks = [asyncio.create_task(dashboard(server, i % USERS, b, ready, count, stop))
             for i, b in enumerate(boards)]
    if dashboards:
        await asyncio.wait_for(ready.wait(), 120)
    # Counted between two quiet moments (PostgreSQL flushes a backend's counts within about a
    # second of it going idle), so the figures hold all the work the window's events caused.
    await asyncio.sleep(QUIET_S)
    before_x, before_m, start = await scans(admin), scrape(server), time.perf_counter()
    customers = int(rate * seconds / workload.EVENTS_PER_CUSTOMER)
    every = workload.EVENTS_PER_CUSTOMER / rate
    positions: list[int] = []
    for k, appends in enumerate(workload.batches(run, customers, 1)):
        delay = start + k * every - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        positions.append((await store.append(appends, workload.META_STAFF)).last_position)
    elapsed = time.perf_counter() - start
    await caught_up(store, timeline)
    await asyncio.sleep(QUIET_S)  # the last interval's pushes arrive, the counts are flushed
    after_x, after_m = await scans(admin), scrape(server)
    stop.set()
    await asyncio.gather(*tasks)
    delays, missing = [], 0
    for b in boards:
        values = [v for v, _ in b.pushes]
        for k, position in enumerate(positions, start=1):
            seen = timeline.at(b.query.projection, position)
            i = bisect.bisect_left(values, b.first + k * b.query.step)
            if seen is None or i == len(values):
                missing += 1
                continue
            delays.append(max(0.0, b.pushes[i][1] - seen) * 1000)

    def rate_of(name: str) -> float:
        return (after_m.get(name, 0.0) - before_m.get(name, 0.0)) / elapsed

    return {"dashboards": dashboards, "events per s": len(positions) *
            workload.EVENTS_PER_CUSTOMER / elapsed,
            "scans per s": (after_x - before_x) / elapsed,
            "computations per s": rate_of("kehu_live_computations_total"),
            "checkpoint reads per s": rate_of("kehu_live_checkpoint_reads_total"),
            "pushes": sum(len(b.pushes) for b in boards),
            "delays": delays, "missing": missing}


async def measure(subscribers: int, rate: float, seconds: float,
                  env: dict[str, str]) -> list[dict[str, Any]]:
    async with fresh_database() as dsn:
        pool = await create_pool(dsn, min_size=2, max_size=4)
        store = EventStore(pool)
        await workload.load(store, 3000, run="base")
        admin = await connect(dsn)
        timeline, stop = Timeline(), asyncio.Event()
        watcher = asyncio.create_task(watch_checkpoints(dsn, timeline, stop))
        out = []
        with tempfile.TemporaryDirectory() as tmp, run_server(dsn, Path(tmp), **env) as server:
            for n, name in ((0, "w0"), (len(QUERIES), "w1"), (subscribers, "w2")):
                out.append(await window(store, server, admin, timeline, n, rate, seconds,
                                        name))
        stop.set()
        await watcher
        await admin.close()
        await pool.close()
    return out


def report(windows: list[dict[str, Any]], seconds: float, interval: str) -> dict[str, Any]:
    base = windows[0]["scans per s"]
    rows = []
    for w in windows:
        d = w["delays"]
        rows.append((f"{w['dashboards']}", f"{w['events per s']:.0f}", f"{w['scans per s']:.0f}",
                     f"{w['scans per s'] - base:+.0f}", f"{w['computations per s']:.1f}",
                     f"{w['checkpoint reads per s']:.1f}", f"{w['pushes']:,}",
                     f"{percentile(d, 50):.0f} / {percentile(d, 99):.0f}" if d else "-"))
    few, many = windows[1], windows[2]
    extra_few, extra_many = few["scans per s"] - base, many["scans per s"] - base
    p99 = percentile(many["delays"], 99)
    ratio = extra_many / extra_few if extra_few > 0 else float("nan")
    targets = [
        {"name": f"{many['dashboards']} dashboards cost what {few['dashboards']} do "
                 "(extra view scans/s within 1.5x)",
         "value": f"{extra_many:+.0f} vs {extra_few:+.0f} scans/s",
         "ratio": f"{ratio:.2f}x for {many['dashboards'] / max(1, few['dashboards']):.0f}x the"
                  " subscribers", "met": ratio <= 1.5 or extra_many <= 5},
        {"name": "push p99 after the projection advances < 1 s", "value": f"{p99:.0f} ms",
         "ratio": f"{p99 / TARGET_P99_MS:.2f} of the limit ({many['missing']} missing)",
         "met": p99 < TARGET_P99_MS and many["missing"] == 0},
    ]
    return {"title": "Live dashboards",
            "tables": [{"header": ("dashboards", "events/s", "view scans/s", "vs none",
                                   "computations/s", "checkpoint reads/s", "pushes",
                                   "push delay p50 / p99 ms"), "rows": rows}],
            "targets": targets,
            "notes": [f"{len(QUERIES)} distinct live queries, {seconds:g} s per window,"
                      f" KEHU_LIVE_INTERVAL_MS {interval}; view scans/s: sequential and index"
                      " scans of the read views' tables (pg_stat_user_tables), from the"
                      " projections' writes and the live queries' reads"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--interval-ms", type=int, help="KEHU_LIVE_INTERVAL_MS (default: the "
                        "server's default)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    env = {"KEHU_LIVE_INTERVAL_MS": str(args.interval_ms)} if args.interval_ms else {}
    interval = f"{args.interval_ms} ms" if args.interval_ms else "at its default"
    out = report(asyncio.run(measure(args.subscribers, args.rate, args.seconds, env)),
                 args.seconds, interval)
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
