"""Latency at a steady write rate: commit -> subscriber delivery, commit -> projection visible.

    python bench/latency.py [--rate 1000] [--seconds 20] [--json PATH]

A real Kehu server (uvicorn in its own process, started as tests/live.run_server starts it,
projections running) on a fresh database. This process appends realistic single-event commands
(bench/workload.py's mix, one event per append) at a steady rate from several lanes, and times
each against:
- delivery: the `events` GraphQL subscription over a graphql-transport-ws WebSocket;
- visible: every projection's checkpoint (projection_checkpoints) at or past the event, seen by
  LISTEN on the runners' kehu_projections channel plus a 20 ms poll.
Commit time is taken when store.append returns, so the figures slightly under-state latency
(by the time the append's result takes to come back). All clocks are this process's.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import workload
from bench.common import fresh_database, print_report
from events.shared.actors import Role
from events.store.db import connect, create_pool
from events.store.event_store import EventStore, StreamAppend
from projections import registry
from tests.live import ROOT, Subscriber, connect_ws, run_server, token

LANES = 50
TARGET_DELIVERY_MS, TARGET_VISIBLE_MS = 50.0, 100.0
SUBSCRIBE = "subscription($after: Int) { events(after: $after) { position } }"


def single_event_appends(run: str, count: int) -> list[list[StreamAppend]]:
    """`count` single-event appends per lane, each lane its own customers in stream order."""
    lanes: list[list[StreamAppend]] = []
    for lane in range(LANES):
        out: list[StreamAppend] = []
        for customer in workload.batches(f"{run}-{lane}", count // 10 + 1, 1):
            for a in customer:
                out.extend(StreamAppend(a.stream_id, a.stream_type, a.expected_version + k, [e])
                           for k, e in enumerate(a.events))
        lanes.append(out[:count])
    return lanes


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


class Clock:
    """First time each position was committed, delivered and visible."""

    def __init__(self) -> None:
        self.committed: dict[int, float] = {}
        self.delivered: dict[int, float] = {}
        self.visible_upto: list[tuple[int, float]] = []  # (checkpoint, when), increasing

    def visible_at(self, position: int) -> float | None:
        i = bisect.bisect_left(self.visible_upto, position, key=lambda v: v[0])
        return self.visible_upto[i][1] if i < len(self.visible_upto) else None


async def subscribe(server: Any, after: int, clock: Clock, ready: asyncio.Event,
                    expected: int) -> None:
    async with connect_ws(server) as ws:
        client = Subscriber(ws)
        await client.init(token("bench-integration", Role.INTEGRATION))
        await client.subscribe("1", SUBSCRIBE, {"after": after})
        ready.set()
        while len(clock.delivered) < expected:
            message = await client.next(timeout=30)
            if message.get("type") == "next":
                now = time.perf_counter()
                clock.delivered.setdefault(message["payload"]["data"]["events"]["position"], now)


async def watch_checkpoints(dsn: str, clock: Clock, stop: asyncio.Event) -> None:
    conn = await connect(dsn)
    names = [p.name for p in registry.ALL]
    woken = asyncio.Event()
    await conn.add_listener("kehu_projections", lambda *_: woken.set())
    try:
        while not stop.is_set():
            woken.clear()
            lowest = await conn.fetchval(
                "SELECT CASE WHEN count(*) = $2 THEN min(position) ELSE 0 END"
                " FROM projection_checkpoints WHERE name = ANY($1)", names, len(names))
            now = time.perf_counter()
            if not clock.visible_upto or lowest > clock.visible_upto[-1][0]:
                clock.visible_upto.append((int(lowest), now))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), 0.02)
    finally:
        await conn.close()


async def write(store: EventStore, lanes: list[list[StreamAppend]], rate: float,
                clock: Clock) -> float:
    interval = LANES / rate

    async def lane(appends: list[StreamAppend], offset: float, start: float) -> None:
        for k, append in enumerate(appends):
            delay = start + offset + k * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            result = await store.append([append], workload.META_STAFF)
            clock.committed[result.last_position] = time.perf_counter()

    start = time.perf_counter()
    await asyncio.gather(*(lane(a, i * interval / LANES, start) for i, a in enumerate(lanes)))
    return time.perf_counter() - start


@contextlib.contextmanager
def projection_process(dsn: str, tmp: Path, separate: bool) -> Iterator[dict[str, str]]:
    """With `separate`, the runners live in `kehu projections` and the API server does not
    run them (KEHU_RUN_PROJECTIONS=false): the deployment README suggests for busy servers."""
    if not separate:
        yield {}
        return
    env = {**os.environ, "DATABASE_URL": dsn, "KEHU_DATA_DIR": str(tmp / "proj"),
           "KEHU_POLL_INTERVAL": "0.5"}
    process = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "projections"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield {"KEHU_RUN_PROJECTIONS": "false"}
    finally:
        process.terminate()
        process.wait(20)


async def measure(rate: float, seconds: float, separate: bool = False) -> dict[str, Any]:
    count = int(rate * seconds) // LANES
    lanes = single_event_appends("lat", count)
    clock = Clock()
    async with fresh_database() as dsn:
        pool = await create_pool(dsn, min_size=4, max_size=LANES)
        store = EventStore(pool)
        await store.append([workload.catalogue()], workload.META_STAFF)
        with tempfile.TemporaryDirectory() as tmp, \
                projection_process(dsn, Path(tmp), separate) as extra, \
                run_server(dsn, Path(tmp), **extra) as server:
            head = await store.head_position()
            ready, stop = asyncio.Event(), asyncio.Event()
            total = count * LANES
            reader = asyncio.create_task(subscribe(server, head, clock, ready, total))
            watcher = asyncio.create_task(watch_checkpoints(dsn, clock, stop))
            await asyncio.wait_for(ready.wait(), 30)
            await asyncio.sleep(0.5)  # the subscription is live before the first write
            elapsed = await write(store, lanes, rate, clock)
            last = max(clock.committed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader, 15)
            for _ in range(150):  # bounded: 15 s for projections to catch up
                if clock.visible_upto and clock.visible_upto[-1][0] >= last:
                    break
                await asyncio.sleep(0.1)
            stop.set()
            await watcher
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        await pool.close()
    return summarise(clock, rate, elapsed)


def summarise(clock: Clock, rate: float, elapsed: float) -> dict[str, Any]:
    delivery = [(clock.delivered[p] - t) * 1000 for p, t in clock.committed.items()
                if p in clock.delivered]
    visible = [(v - t) * 1000 for p, t in clock.committed.items()
               if (v := clock.visible_at(p)) is not None]
    n = len(clock.committed)
    rows = [(name, f"{len(xs):,}/{n:,}", f"{percentile(xs, 50):.1f}", f"{percentile(xs, 99):.1f}",
             f"{max(xs, default=float('nan')):.1f}") for name, xs in
            [("commit -> subscriber delivery", delivery), ("commit -> projection visible",
                                                          visible)]]
    p99d, p99v = percentile(delivery, 99), percentile(visible, 99)
    at = f"at {rate:,.0f} ev/s"  # issue 17's wording
    targets = [
        {"name": f"commit → subscriber p99 < 50 ms {at}", "value": f"{p99d:.1f} ms",
         "ratio": f"{p99d / TARGET_DELIVERY_MS:.2f} of the limit",
         "met": len(delivery) == n and p99d < TARGET_DELIVERY_MS},
        {"name": f"commit → projection visible p99 < 100 ms {at}", "value": f"{p99v:.1f} ms",
         "ratio": f"{p99v / TARGET_VISIBLE_MS:.2f} of the limit",
         "met": len(visible) == n and p99v < TARGET_VISIBLE_MS},
    ]
    return {"title": "Latency", "tables": [{"header": (
        "path", "events seen", "p50 ms", "p99 ms", "max ms"), "rows": rows}],
        "targets": targets,
        "notes": [f"asked {rate:,.0f} ev/s, achieved {n / elapsed:,.0f} ev/s over {elapsed:.1f} s"
                  f" ({LANES} lanes of single-event appends)"]}


def combine(separate: dict[str, Any], inside: dict[str, Any]) -> dict[str, Any]:
    """One report of both deployments: the targets are judged on the first (runners in
    `kehu projections`, as the issue allows); the second (runners in the API server, the
    default of `kehu serve`) is reported beside it."""
    table = separate["tables"][0]
    rows = [[f"{r[0]} (runners in kehu projections)", *r[1:]] for r in table["rows"]]
    rows += [[f"{r[0]} (runners in the API server)", *r[1:]] for r in inside["tables"][0]["rows"]]
    reported = [{**t, "name": t["name"] + " (runners in the API server; reported)", "met": None}
                for t in inside["targets"]]
    return {**separate, "tables": [{"header": table["header"], "rows": rows}],
            "targets": [*separate["targets"], *reported],
            "notes": [*separate["notes"], *(f"runners in the API server: {n}"
                                            for n in inside["notes"])]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--separate-projections", action="store_true",
                        help="run the projection runners in their own process")
    parser.add_argument("--both", action="store_true",
                        help="the targets with the runners in `kehu projections` (the issue's "
                             "way), then the same run with them inside the API server, reported")
    args = parser.parse_args()
    out = asyncio.run(measure(args.rate, args.seconds, args.separate_projections or args.both))
    if args.both:
        inside = asyncio.run(measure(args.rate, args.seconds, False))
        out = combine(out, inside)
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
