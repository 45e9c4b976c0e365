"""Profile one benchmark phase with pyinstrument (wall clock, so time waiting on PostgreSQL shows).

    python bench/profile.py read|decode|rebuild|append100|append8 [--events N] [--html PATH]

Loads the domain workload into a fresh database (bench/workload.py), then profiles only the
named phase; prints pyinstrument's call tree. For a sampling view of a running server or
benchmark from outside, use `py-spy record --idle -f raw -o out.txt -- python bench/...`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyinstrument import Profiler

from bench import workload
from bench.append import META, BenchEventRecorded
from bench.common import fresh_database
from bench.replay import read_all, rebuild_all
from events.store.db import create_pool
from events.store.event_store import EventStore, StreamAppend


async def append(store: EventStore, writers: int, batch: int, appends: int) -> None:
    async def writer(w: int) -> None:
        for i in range(appends // writers):
            events = [BenchEventRecorded(k, "客户-1", 12345) for k in range(batch)]
            await store.append([StreamAppend(f"p-{w}-{i}", "bench", 0, events)], META)

    await asyncio.gather(*(writer(w) for w in range(writers)))


async def main(phase: str, events: int) -> Profiler:
    async with fresh_database() as dsn:
        pool = await create_pool(dsn, min_size=1, max_size=10)
        store = EventStore(pool)
        if phase in {"read", "decode", "rebuild"}:
            await workload.load(store, events)
        profiler = Profiler(async_mode="enabled", interval=0.0005)
        t0 = time.perf_counter()
        profiler.start()
        if phase == "rebuild":
            await rebuild_all(dsn)
        elif phase in {"read", "decode"}:
            await read_all(store, decode=phase == "decode")
        elif phase == "append100":
            await append(store, 1, 100, 300)
        else:
            await append(store, 8, 1, 4000)
        profiler.stop()
        print(f"{phase}: {time.perf_counter() - t0:.2f} s")
        print(profiler.output_text(unicode=False, show_all=False))
        await pool.close()
    return profiler


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["read", "decode", "rebuild", "append100", "append8"])
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--html", type=Path)
    args = parser.parse_args()
    profile = asyncio.run(main(args.phase, args.events))
    if args.html:
        args.html.write_text(profile.output_html())
