"""A bounded load test on loopback: mixed queries, mutations and subscribers against a Kehu of its
own, for a fixed time; then it stops by itself and reports throughput, p50/p99 latency, errors,
and whether every subscriber received every event exactly once, in order.

    python -m conformance.load               # 60 s
    python -m conformance.load --seconds 10  # the short mode CI runs

Traffic goes to 127.0.0.1 only: the server is started here, on a free loopback port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.probe import append_probes
from conformance.serving import kehu_server
from events.shared.actors import Role
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.conformance.mutations import ChosenMutation, choose
from tests.live import LiveServer, Subscriber, connect_ws, token

READ = "query($after: Int!) { events(after: $after, first: 20) { position streamId type } }"
FOLLOW = "subscription($after: Int) { events(after: $after) { position } }"


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)

    def record(self, kind: str, started: float, problem: str | None) -> None:
        self.latencies[kind].append(time.perf_counter() - started)
        if problem is not None and len(self.errors) < 1000:
            self.errors.append(f"{kind}: {problem}")


def _problem(response: httpx.Response, field_name: str | None = None) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    body = response.json()
    if body.get("errors"):
        return json.dumps(body["errors"])[:200]
    if field_name and not body["data"][field_name].get("position"):
        return f"not written: {json.dumps(body['data'][field_name])[:200]}"
    return None


async def writer(server: LiveServer, chosen: ChosenMutation | None, dsn: str, until: float,
                 tally: Tally) -> None:
    if chosen is None:  # no known mutation yet: write probe events straight to the store
        pool = await create_pool(dsn, min_size=1, max_size=1)
        try:
            while time.monotonic() < until:
                started = time.perf_counter()
                await append_probes(EventStore(pool), 1)
                tally.record("append", started, None)
        finally:
            await pool.close()
        return
    headers = {"Authorization": f"Bearer {chosen.auth('load-writer')}"}
    async with httpx.AsyncClient(timeout=30) as client:
        while time.monotonic() < until:
            started = time.perf_counter()
            response = await client.post(server.url + "/graphql", headers=headers, json={
                "query": chosen.document, "variables": {"input": chosen.known.make_input()}})
            tally.record("mutation", started, _problem(response, chosen.known.name))


async def reader(server: LiveServer, until: float, tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {token('load-reader', Role.AUDITOR)}"}
    after = 0
    async with httpx.AsyncClient(timeout=30) as client:
        while time.monotonic() < until:
            started = time.perf_counter()
            response = await client.post(server.url + "/graphql", headers=headers,
                                         json={"query": READ, "variables": {"after": after}})
            tally.record("query", started, _problem(response))
            page = response.json().get("data", {}).get("events") or []
            after = page[-1]["position"] if len(page) == 20 else 0


async def subscriber(server: LiveServer, after: int, received: list[int],
                     ready: asyncio.Event) -> None:
    async with connect_ws(server) as ws:
        client = Subscriber(ws)
        assert (await client.init(token("load-sub", Role.INTEGRATION)))["type"] == "connection_ack"
        await client.subscribe("all", FOLLOW, {"after": after})
        ready.set()
        while True:
            message = await client.next(timeout=60)
            if message["type"] != "next" or message["payload"].get("errors"):
                raise RuntimeError(f"subscription ended: {message}")
            received.append(message["payload"]["data"]["events"]["position"])


def _ms(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


async def run(server: LiveServer, dsn: str, seconds: float, writers: int, readers: int,
              subscribers: int) -> bool:
    chosen = await choose(server)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    store = EventStore(pool)
    start = await store.head_position()
    streams: list[list[int]] = [[] for _ in range(subscribers)]
    ready = [asyncio.Event() for _ in range(subscribers)]
    followers = [asyncio.create_task(subscriber(server, start, streams[i], ready[i]))
                 for i in range(subscribers)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 30)
    tally = Tally()
    began = time.monotonic()
    until = began + seconds
    await asyncio.gather(*(writer(server, chosen, dsn, until, tally) for _ in range(writers)),
                         *(reader(server, until, tally) for _ in range(readers)))
    elapsed = time.monotonic() - began
    end = await store.head_position()
    expected = [r["position"] for r in await pool.fetch(
        "SELECT position FROM events WHERE position > $1 AND position <= $2 ORDER BY position",
        start, end)]
    await pool.close()
    drain_deadline = time.monotonic() + 30
    while time.monotonic() < drain_deadline and end > start:
        if any(f.done() for f in followers) or all(s and s[-1] >= end for s in streams):
            break
        await asyncio.sleep(0.1)
    for task in followers:
        task.cancel()
    failed_followers = [t for t in followers if t.done() and not t.cancelled()
                        and t.exception() is not None]
    return report(tally, elapsed, streams, expected, chosen, failed_followers)


def report(tally: Tally, elapsed: float, streams: list[list[int]], expected: list[int],
           chosen: ChosenMutation | None, failed: list[Any]) -> bool:
    everything = [v for values in tally.latencies.values() for v in values]
    lines = [f"load: {elapsed:.1f}s on 127.0.0.1, {len(everything)} requests, "
             f"{len(everything) / elapsed:.1f}/s; p50 {_ms(everything, 50):.1f} ms, "
             f"p99 {_ms(everything, 99):.1f} ms"]
    for kind, values in sorted(tally.latencies.items()):
        lines.append(f"  {kind}: {len(values)} ({len(values) / elapsed:.1f}/s), "
                     f"p50 {_ms(values, 50):.1f} ms, p99 {_ms(values, 99):.1f} ms")
    if chosen is None:
        lines.append("  (no known mutation in the schema: writes were direct appends)")
    lost = duplicated = 0
    for stream in streams:
        got = set(stream)
        lost += len(set(expected) - got)
        duplicated += len(stream) - len(got)
        if stream != sorted(stream):
            duplicated += 1  # out of order counts as a delivery fault too
    lines.append(f"  subscribers: {len(streams)} x {len(expected)} events expected; "
                 f"{lost} lost, {duplicated} duplicated or out of order")
    lines.append(f"  errors: {len(tally.errors)}")
    lines.extend(f"    {e}" for e in tally.errors[:10])
    for task in failed:
        lines.append(f"  subscriber failed: {task.exception()!r}")
    print("\n".join(lines), flush=True)
    return not tally.errors and lost == 0 and duplicated == 0 and not failed and bool(expected)


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--seconds", type=float, default=60.0)
    args.add_argument("--writers", type=int, default=4)
    args.add_argument("--readers", type=int, default=4)
    args.add_argument("--subscribers", type=int, default=3)
    parsed = args.parse_args()
    if not 1 <= parsed.seconds <= 600:
        args.error("--seconds must be between 1 and 600 (the test is bounded)")
    with kehu_server() as (server, dsn):
        ok = asyncio.run(run(server, dsn, parsed.seconds, parsed.writers, parsed.readers,
                             parsed.subscribers))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
