"""HTTP throughput of a typical query on one uvicorn worker, beside strawberry's own floor.

    python bench/api.py [--requests N] [--clients C] [--json PATH]

Kehu: a real server (tests/live.run_server: `server.py serve`, one uvicorn worker, projections
running) on a fresh database holding 1,000 customers' history (bench/workload.py), asked the
first page of `customers` (20 rows, with page info and total) as a manager with a JWT: token
check, query limits, a SQL page and its count, strawberry types, JSON.
Floor: bench/bare_app.py, a minimal strawberry schema on uvicorn in its own process, asked
`{ __typename }`. Load: C concurrent httpx clients on keep-alive connections to 127.0.0.1
share N requests (after a warm-up); each request's time is measured from send to parsed reply.
The load generator shares the machine's cores with the server, the same for both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import workload
from bench.common import fresh_database, print_report
from bench.latency import percentile
from events.shared.actors import Role
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.live import ROOT, free_port, run_server, token

TYPICAL = """{ customers(first: 20) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { id organisationName tier status visitCount lastVisitDate
                 credit { changes direction } } } } }"""
FLOOR = "{ __typename }"


@contextmanager
def bare_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # bounded: 20 s to start
            try:
                httpx.post(url + "/", json={"query": FLOOR}, timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url + "/"
    finally:
        process.terminate()
        process.wait(10)


async def hammer(url: str, query: str, headers: dict[str, str], total: int,
                 clients: int) -> tuple[float, list[float]]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits, headers=headers) as client:
        first = (await client.post(url, json={"query": query})).json()
        assert "errors" not in first and first.get("data"), first
        times: list[float] = []
        left = [total]

        async def one() -> None:
            while left[0] > 0:
                left[0] -= 1
                t0 = time.perf_counter()
                response = await client.post(url, json={"query": query})
                response.json()
                times.append(time.perf_counter() - t0)
                assert response.status_code == 200, f"{response.status_code} {response.text[:200]}"

        await asyncio.gather(*(one() for _ in range(clients)))  # warm-up
        times.clear()
        left[0] = total
        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(clients)))
        return total / (time.perf_counter() - start), times


async def measure(total: int, clients: int) -> dict[str, Any]:
    async with fresh_database() as dsn:
        pool = await create_pool(dsn, min_size=1, max_size=2)
        await workload.load(EventStore(pool), 15_000)
        await pool.close()
        # One manager's clients: the per-user budgets of issue 13 (100 req/s, 16 in flight)
        # would answer 429 and cap the figure at the budget; this measures the request path.
        budgets = {"KEHU_RATE_PER_USER": "1000000", "KEHU_RATE_BURST": "1000000",
                   "KEHU_MAX_CONCURRENT_PER_USER": str(clients * 2)}
        with tempfile.TemporaryDirectory() as tmp, \
                run_server(dsn, Path(tmp), **budgets) as server:
            auth = {"Authorization": f"Bearer {token('bench-mgr', Role.MANAGER)}"}
            kehu_rate, kehu_times = await hammer(server.url + "/graphql", TYPICAL, auth,
                                                 total, clients)
    with bare_server() as url:
        floor_rate, floor_times = await hammer(url, FLOOR, {}, total, clients)
    rows = [(name, f"{rate:,.0f}", f"{percentile(ts, 50) * 1000:.1f}",
             f"{percentile(ts, 99) * 1000:.1f}")
            for name, rate, ts in [("kehu: customers(first: 20)", kehu_rate, kehu_times),
                                   ("floor: strawberry { __typename }", floor_rate,
                                    floor_times)]]
    ratio = kehu_rate / floor_rate
    return {"title": "API", "tables": [{"header": ("query", "req/s", "p50 ms", "p99 ms"),
                                        "rows": rows}],
            "targets": [{"name": "typical query vs framework floor (no target; reported)",
                         "value": f"{ratio:.2f}", "ratio": f"{kehu_rate:,.0f} / "
                         f"{floor_rate:,.0f} req/s", "met": None}],
            "notes": [f"{total:,} requests from {clients} concurrent clients, after a warm-up"
                      " of the same size"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = asyncio.run(measure(args.requests, args.clients))
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
