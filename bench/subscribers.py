"""Subscribers: many live subscriptions must not slow the writers, and catch-up runs at the
speed of the log.

    python bench/subscribers.py [--subscribers 500] [--seconds 10] [--catch-up 50000] [--json P]

A real Kehu server (uvicorn in its own process, with its projection runners, as deployed) on
a fresh database. Three parts, side by side in one run:
- writes: 8 writers append single events as fast as they can for --seconds, first with no
  subscriber, then with --subscribers live `events(types: ["BenchPing"])` subscriptions over
  graphql-transport-ws (integrations waiting for one kind of event: they are woken by every
  write but receive only pings); write throughput with them / without them;
- delivery: during the second window a ping is appended every 200 ms; commit (append
  returned) -> received, over every subscriber and ping. Each subscriber is an integration
  user of its own: the server admits KEHU_MAX_WEBSOCKETS_PER_USER (20) sockets per user, and
  500 sockets of one user left 480 of them closed with 4429 (counted below, never silently);
- catch-up: --catch-up events appended beforehand, read from the start through
  `eventPages(pageSize: 1000)` (one message per page) and `events` (one per event), beside
  `EventStore.read_all` in this process over the same range.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
import websockets
from websockets.typing import Subprotocol

from bench import workload
from bench.common import fresh_database, print_report
from bench.latency import percentile, projection_process
from events.shared.actors import Role
from events.store.db import create_pool
from events.store.envelope import Event
from events.store.event_store import EventStore, StreamAppend
from projections import registry
from tests.live import LiveServer, Subscriber, run_server, token

WRITERS = 8
PER_LANE = 5000  # more than a lane writes in the window on this hardware
PING_EVERY_S = 0.2
TARGET_WRITE_RATIO, TARGET_DELIVERY_MS = 0.8, 100.0
TARGET_PAGES_RATIO, TARGET_ONE_BY_ONE = 0.5, 20_000
PINGS = 'subscription { events(types: ["BenchPing"]) { position } }'
PAGES = ("subscription($after: Int) { eventPages(after: $after, pageSize: 1000)"
         " { last count events } }")
ONE_BY_ONE = "subscription($after: Int) { events(after: $after) { position type payload } }"
TOKEN = token("bench-integration", Role.INTEGRATION)
DELIVERY_GRACE_S = 10.0  # after the last ping, the longest wait for its deliveries


@dataclass(frozen=True)
class BenchPing(Event):
    n: int


def connect(server: LiveServer) -> Any:
    return websockets.connect(server.ws_url, max_size=2**26,
                              subprotocols=[Subprotocol("graphql-transport-ws")])


def writer_lanes(run: str, per_lane: int) -> list[list[StreamAppend]]:
    """WRITERS lanes of single-event appends, each lane its own customers in stream order."""
    lanes: list[list[StreamAppend]] = []
    for lane in range(WRITERS):
        out: list[StreamAppend] = []
        for customer in workload.batches(f"{run}-{lane}", per_lane // 10 + 1, 1):
            for a in customer:
                out.extend(StreamAppend(a.stream_id, a.stream_type, a.expected_version + k, [e])
                           for k, e in enumerate(a.events))
        lanes.append(out[:per_lane])
    return lanes


async def write_for(store: EventStore, seconds: float, run: str) -> float:
    """Single-event appends from WRITERS writers for `seconds`; events per second."""
    lanes = writer_lanes(run, PER_LANE)
    done = 0
    deadline = time.perf_counter() + seconds

    async def lane(appends: list[StreamAppend]) -> None:
        nonlocal done
        for append in appends:
            if time.perf_counter() >= deadline:
                return
            await store.append([append], workload.META_STAFF)
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(lane(a) for a in lanes))
    return done / (time.perf_counter() - start)


@dataclass
class Listeners:
    """What the live subscribers saw, shared by all of them."""

    expected: int  # subscribers
    ready: asyncio.Event
    stop: asyncio.Event
    subscribed: int = 0
    closed: int = 0  # sockets the server closed (e.g. 4429: too many for one user)
    first_close: str = ""

    def __post_init__(self) -> None:
        self.arrived: list[tuple[int, float]] = []

    def count_subscribed(self) -> None:
        self.subscribed += 1
        if self.subscribed + self.closed >= self.expected:
            self.ready.set()


async def listen(server: LiveServer, n: int, seen: Listeners) -> None:
    subscribed = False
    try:
        async with connect(server) as ws:
            client = Subscriber(ws)
            # One integration user per subscriber, as 500 separate integrations would be.
            await client.init(token(f"bench-integration-{n}", Role.INTEGRATION))
            await client.subscribe("1", PINGS, {})
            subscribed = True
            seen.count_subscribed()
            while not seen.stop.is_set():
                try:
                    message = await client.next(timeout=1)
                except TimeoutError:
                    continue
                if message.get("type") == "next":
                    seen.arrived.append((message["payload"]["data"]["events"]["position"],
                                         time.perf_counter()))
    except websockets.ConnectionClosed as closed:
        # Counted and reported: a closed subscriber's pings would otherwise just be "missing".
        seen.subscribed -= subscribed
        seen.closed += 1
        if not seen.first_close and closed.rcvd is not None:
            seen.first_close = f"{closed.rcvd.code} {closed.rcvd.reason}"
        if seen.subscribed + seen.closed >= seen.expected:
            seen.ready.set()


async def ping(store: EventStore, stop: asyncio.Event, committed: dict[int, float]) -> None:
    n = 0
    while not stop.is_set():
        await asyncio.sleep(PING_EVERY_S)
        n += 1
        done = await store.append([StreamAppend(f"bench-ping-{n}", "bench", 0, [BenchPing(n)])],
                                  workload.META_STAFF)
        committed[done.last_position] = time.perf_counter()


async def wait_deliveries(seen: Listeners, committed: dict[int, float], grace: float) -> float:
    """After the last ping: until every open subscriber has every ping, at most `grace` s.
    Returns how long it took (the listeners stop only then, so a late ping is counted late,
    not lost)."""
    start = time.perf_counter()
    while time.perf_counter() - start < grace:
        pings = set(committed)
        if sum(1 for p, _ in seen.arrived if p in pings) >= len(pings) * seen.subscribed:
            break
        await asyncio.sleep(0.1)
    return time.perf_counter() - start


_decode = msgspec.json.Decoder().decode


async def catch_up(server: LiveServer, query: str, after: int, last: int) -> float:
    """Events per second received from `after` to `last` through one subscription."""
    async with connect(server) as ws:
        client = Subscriber(ws)
        await client.init(TOKEN)
        start = time.perf_counter()
        await client.subscribe("1", query, {"after": after})
        received = 0
        while True:
            # Decoded with msgspec, as an integration replaying millions of events would: the
            # standard library's json.loads took most of this client's time, which would
            # measure the client rather than the server.
            message = _decode(await asyncio.wait_for(ws.recv(), 60))
            assert message.get("type") == "next", message
            data = message["payload"]["data"]
            if "eventPages" in data:
                received += data["eventPages"]["count"]
                at = data["eventPages"]["last"]
            else:
                received += 1
                at = data["events"]["position"]
            if at >= last:
                return received / (time.perf_counter() - start)


async def projections_at(store: EventStore, position: int, timeout: float = 300) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        lowest = await store.pool.fetchval(
            "SELECT CASE WHEN count(*) = $2 THEN min(position) ELSE 0 END"
            " FROM projection_checkpoints WHERE name = ANY($1)",
            [p.name for p in registry.ALL], len(registry.ALL))
        if lowest >= position:
            return
        await asyncio.sleep(0.5)


async def read_all_rate(store: EventStore, after: int, last: int) -> float:
    start, position = time.perf_counter(), after
    while position < last:
        position = (await store.read_all(position, 1000))[-1].position
    return (last - after) / (time.perf_counter() - start)


async def measure(subscribers: int, seconds: float, catch_up_events: int,
                  separate: bool = False) -> dict[str, Any]:
    async with fresh_database() as dsn:
        pool = await create_pool(dsn, min_size=4, max_size=WRITERS + 4)
        store = EventStore(pool)
        start = await store.head_position()  # 0: load() writes the catalogue first
        await workload.load(store, catch_up_events, run="cu")
        last = await store.head_position()
        with tempfile.TemporaryDirectory() as tmp, \
                projection_process(dsn, Path(tmp), separate) as extra, \
                run_server(dsn, Path(tmp), **extra) as server:
            out: dict[str, Any] = {"events": last - start, "separate": separate}
            await projections_at(store, last)  # not competing with a starting server's catch-up
            out["read_all"] = await read_all_rate(store, start, last)
            out["eventPages"] = await catch_up(server, PAGES, start, last)
            small = min(last, start + 20_000)
            out["events one by one"] = await catch_up(server, ONE_BY_ONE, start, small)
            out["write alone"] = await write_for(store, seconds, "w0")
            seen = Listeners(subscribers, asyncio.Event(), asyncio.Event())
            committed: dict[int, float] = {}
            listeners = [asyncio.create_task(listen(server, n, seen))
                         for n in range(subscribers)]
            await asyncio.wait_for(seen.ready.wait(), 120)
            pinging = asyncio.Event()
            pinger = asyncio.create_task(ping(store, pinging, committed))
            out["write with subscribers"] = await write_for(store, seconds, "w1")
            pinging.set()  # no ping after the window, so none is cut off by its end
            await pinger
            out["drain s"] = await wait_deliveries(seen, committed, DELIVERY_GRACE_S)
            seen.stop.set()
            await asyncio.gather(*listeners, return_exceptions=True)
            out["delivery"] = [(at - committed[p]) * 1000 for p, at in seen.arrived
                               if p in committed]
            out["expected deliveries"] = len(committed) * subscribers
            out["subscribed"], out["closed"] = seen.subscribed, seen.closed
            out["first close"] = seen.first_close
        await pool.close()
    return out


def report(r: dict[str, Any], subscribers: int) -> dict[str, Any]:
    ratio = r["write with subscribers"] / r["write alone"]
    p50, p99 = percentile(r["delivery"], 50), percentile(r["delivery"], 99)
    pages = r["eventPages"] / r["read_all"]
    complete = len(r["delivery"]) >= r["expected deliveries"] * 0.99
    closed = (f"; {r['closed']} of {subscribers} sockets closed by the server"
              f" ({r['first close']})" if r["closed"] else "")
    rows = [("writes, no subscriber", f"{r['write alone']:,.0f} ev/s"),
            (f"writes, {subscribers} live subscribers", f"{r['write with subscribers']:,.0f} ev/s"),
            ("ping delivery p50 / p99",
             f"{p50:.1f} / {p99:.1f} ms ({len(r['delivery']):,} of"
             f" {r['expected deliveries']:,} deliveries{closed})"),
            ("last pings delivered after the window", f"{r['drain s']:.1f} s"),
            (f"read_all, {r['events']:,} events", f"{r['read_all']:,.0f} ev/s"),
            ("eventPages catch-up (1,000 per message)", f"{r['eventPages']:,.0f} ev/s"),
            ("events catch-up (one per message)", f"{r['events one by one']:,.0f} ev/s")]
    # Names as issue 17 words its targets; delivery counts only when (nearly) every ping
    # reached every subscriber: a p99 over the few that arrived would flatter.
    missing = "" if complete else (f"; only {len(r['delivery']):,} of"
                                   f" {r['expected deliveries']:,} deliveries{closed}")
    targets = [
        {"name": f"{subscribers} live subscribers: write throughput ≥ 0.8 of none",
         "value": f"{ratio:.2f}",
         "ratio": f"{r['write with subscribers']:,.0f} / {r['write alone']:,.0f} ev/s",
         "met": ratio >= TARGET_WRITE_RATIO},
        {"name": f"{subscribers} live subscribers: delivery p99 < 100 ms",
         "value": f"{p99:.1f} ms",
         "ratio": f"{p99 / TARGET_DELIVERY_MS:.2f} of the limit{missing}",
         "met": complete and p99 < TARGET_DELIVERY_MS},
        {"name": "catch-up through `eventPages` ≥ 0.5 of `read_all`", "value": f"{pages:.2f}",
         "ratio": f"{r['eventPages']:,.0f} / {r['read_all']:,.0f} ev/s",
         "met": pages >= TARGET_PAGES_RATIO},
        {"name": "one-event-per-message ≥ 20,000 ev/s",
         "value": f"{r['events one by one']:,.0f} ev/s",
         "ratio": f"{r['events one by one'] / TARGET_ONE_BY_ONE:.2f}x target",
         "met": r["events one by one"] >= TARGET_ONE_BY_ONE},
    ]
    return {"title": "Subscribers", "tables": [{"header": ("measure", "figure"), "rows": rows}],
            "targets": targets,
            "notes": [f"{WRITERS} writers of single-event appends, {PING_EVERY_S * 1000:.0f} ms"
                      " between pings (pinging stops with the window; the subscribers wait"
                      f" up to {DELIVERY_GRACE_S:.0f} s for the last ones); each subscriber"
                      " is an integration user of its own; the projection runners run in both"
                      " windows, " + ("in a `kehu projections` process of their own (the API"
                                      " server with KEHU_RUN_PROJECTIONS=false)"
                                      if r.get("separate") else "inside the API server")]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--catch-up", type=int, default=50_000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--separate-projections", action="store_true",
                        help="run the projection runners in a `kehu projections` process")
    args = parser.parse_args()
    out = report(asyncio.run(measure(args.subscribers, args.seconds, args.catch_up,
                                     args.separate_projections)), args.subscribers)
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
