"""Documents: upload, repeated upload and download rates of receipts on the real server.

    python bench/documents.py [--documents N] [--size BYTES] [--clients C] [--json PATH]

A real server (tests/live.run_server) on a fresh database; C concurrent httpx clients upload N
distinct JPEG-like files of SIZE bytes (JPEG magic, random rest: sniffing reads the first
bytes, hashing and storing read them all) as a staff member, upload them all again (already
stored: hashed, looked up, nothing written), attach them to the staff member's meal, and
download each once. Reported: files/s, MB/s, p50 and p99 per request. No target: reported so
a regression shows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, print_report
from bench.latency import percentile
from events.shared.actors import Role
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.live import gql, run_server
from tests.meals.flows import seeded, signed_meal
from tests.meals.helpers import User, register_customer

ATTACH = """mutation($i: AttachMealDocumentInput!) { attachMealDocument(input: $i) {
  __typename ... on MutationOk { position } } }"""


async def timed(total: int, clients: int, one: Callable[[int], Awaitable[None]]
                ) -> tuple[float, list[float]]:
    times: list[float] = []
    queue = list(range(total))

    async def worker() -> None:
        while queue:
            index = queue.pop()
            t0 = time.perf_counter()
            await one(index)
            times.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return total / (time.perf_counter() - start), times


async def measure(total: int, size: int, clients: int) -> dict[str, Any]:
    files = [b"\xff\xd8\xff\xe0" + os.urandom(size - 4) for _ in range(total)]
    async with fresh_database() as dsn:
        pool = await create_pool(dsn, min_size=1, max_size=2)
        store = EventStore(pool)
        # One staff member's uploads: the per-user request budgets of issue 13 would answer
        # 429 and cap the figure at the budget; this measures the document path.
        budgets = {"KEHU_RATE_PER_USER": "1000000", "KEHU_RATE_BURST": "1000000",
                   "KEHU_MAX_CONCURRENT_PER_USER": str(clients * 2)}
        with tempfile.TemporaryDirectory() as tmp, \
                run_server(dsn, Path(tmp), **budgets) as server:
            staff, boss = User(server, Role.STAFF), User(server, Role.MANAGER)
            meal_at = datetime.now(UTC) - timedelta(days=2)
            await seeded(store, meal_at)
            meal_id = await signed_meal(store, await register_customer(store), "Bench House",
                                        meal_at, 50_000, staff.actor, boss.actor)
            limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
            headers = {"Authorization": f"Bearer {staff.token}"}
            hashes: dict[int, str] = {}
            async with httpx.AsyncClient(timeout=60, limits=limits, headers=headers) as client:
                async def up(i: int) -> None:
                    response = await client.post(server.url + "/documents", content=files[i])
                    assert response.status_code in (200, 201), response.text
                    hashes[i] = response.json()["sha256"]

                async def down(i: int) -> None:
                    response = await client.get(f"{server.url}/documents/{hashes[i]}")
                    assert response.status_code == 200 and len(response.content) == size

                new_rate, new_times = await timed(total, clients, up)
                again_rate, again_times = await timed(total, clients, up)
                last = 0
                for i in range(total):
                    answer = await gql(server, ATTACH, {"i": {
                        "mealId": meal_id, "sha256": hashes[i], "kind": "RECEIPT"}},
                        auth=staff.token)
                    last = answer["data"]["attachMealDocument"]["position"]
                await staff.query("query($at: Int) { mealRequest(id: \"x\", atLeast: $at)"
                                  " { id } }", at=last)
                down_rate, down_times = await timed(total, clients, down)
        await pool.close()
    megabytes = size / 1_000_000
    rows = [(name, f"{rate:,.0f}", f"{rate * megabytes:,.1f}",
             f"{percentile(ts, 50) * 1000:.1f}", f"{percentile(ts, 99) * 1000:.1f}")
            for name, rate, ts in [("POST /documents (new)", new_rate, new_times),
                                   ("POST /documents (already stored)", again_rate,
                                    again_times),
                                   ("GET /documents/{sha256}", down_rate, down_times)]]
    return {"title": "Documents", "tables": [{"header": ("request", "files/s", "MB/s",
                                                         "p50 ms", "p99 ms"), "rows": rows}],
            "targets": [], "notes": [f"{total} files of {size:,} bytes from {clients} "
                                     "concurrent clients, one uvicorn worker"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--size", type=int, default=500_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = asyncio.run(measure(args.documents, args.size, args.clients))
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
