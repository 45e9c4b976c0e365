"""A hostile neighbour on loopback: a normal user's latency alone, then beside one attacker
running each attack of issue 13 in turn; it stops by itself.

    python -m conformance.hostile --seconds 3     # the short mode CI runs (about a minute)
    python -m conformance.hostile --seconds 15 --markdown   # figures for docs/benchmarks.md

Targets: the normal user's p99 beside each attack within 3x its p99 alone, and the server's
resident memory within 2x its idle figure. The run fails (exit 1) when the normal user gets an
error or the server dies; with --strict, also when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from conformance.probe import append_probes
from conformance.serving import kehu_server
from events.shared.actors import Role
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.live import LiveServer, connect_ws, token

NORMAL = "{ events(first: 20) { position streamId type } }"
FOLLOW = "subscription { events(after: 0) { position } }"
Attack = Callable[[Any, float], Awaitable[None]]


def rss_kb(server: LiveServer) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def normal_user(server: LiveServer, until: float, errors: list[str]) -> list[float]:
    auth = {"authorization": "Bearer " + token("normal-user", Role.AUDITOR)}
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30) as client:
        while time.monotonic() < until:
            started = time.perf_counter()
            try:
                response = await client.post(server.url + "/graphql", headers=auth,
                                             json={"query": NORMAL})
                if response.status_code != 200 or "errors" in response.json():
                    errors.append(f"{response.status_code} {response.text[:200]}")
            except httpx.HTTPError as exc:
                errors.append(repr(exc))
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)  # a person's client, not a loop at full speed
    return latencies


async def _post_loop(server: Any, until: float, query: str, user: str,
                     role: Role = Role.MANAGER) -> None:
    auth = {"authorization": "Bearer " + token(user, role)}
    async with httpx.AsyncClient(timeout=30) as client:
        n = 0
        while time.monotonic() < until:
            n += 1
            with contextlib.suppress(httpx.HTTPError):
                await client.post(server.url + "/graphql", headers=auth,
                                  json={"query": query.replace("OPNAME", f"Op{n}")})


def _fan_out() -> str:
    body = "".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} __typename }}\n"
                   for i in range(25))
    return "query OPNAME { ...F0 }\n" + body + "fragment F25 on Query { __typename }\n"


async def fan_out(server: Any, until: float) -> None:
    await asyncio.gather(*(_post_loop(server, until, _fan_out(), "attacker") for _ in range(4)))


async def at_least_flood(server: Any, until: float) -> None:
    fields = " ".join(f"a{i}: products(atLeast: 2147483647) {{ code }}" for i in range(30))
    await asyncio.gather(*(_post_loop(server, until, f"query OPNAME {{ {fields} }}",
                                      "attacker") for _ in range(4)))


async def history_pages(server: Any, until: float) -> None:
    page = "mealRequests(first: 100) { edges { node { id history { type } } } }"
    fields = " ".join(f"a{i}: {page}" for i in range(30))
    await asyncio.gather(*(_post_loop(server, until, f"query OPNAME {{ {fields} }}",
                                      "attacker") for _ in range(4)))


async def verification_loop(server: Any, until: float) -> None:
    fields = " ".join(f"v{i}: verifyAuditLog {{ ok }}" for i in range(10))
    await asyncio.gather(*(_post_loop(server, until, f"query OPNAME {{ {fields} }}",
                                      "attacker", Role.AUDITOR) for _ in range(4)))


async def _sockets(server: Any, until: float, sockets: int, per_socket: int,
                   read: bool) -> None:
    auth = "Bearer " + token("integration-attacker", Role.INTEGRATION)

    async def one() -> None:
        with contextlib.suppress(Exception):
            async with connect_ws(server) as ws:
                await ws.send(json.dumps({"type": "connection_init",
                                          "payload": {"Authorization": auth}}))
                for n in range(per_socket):
                    await ws.send(json.dumps({"id": str(n), "type": "subscribe",
                                              "payload": {"query": FOLLOW}}))
                while time.monotonic() < until:
                    if read:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(ws.recv(), until - time.monotonic())
                    else:
                        await asyncio.sleep(until - time.monotonic())

    await asyncio.gather(*(one() for _ in range(sockets)))


async def subscriptions_500(server: Any, until: float) -> None:
    await _sockets(server, until, sockets=25, per_socket=20, read=True)


async def non_reading_sockets(server: Any, until: float) -> None:
    await _sockets(server, until, sockets=20, per_socket=5, read=False)


async def _raw(server: Any, until: float, payload: bytes, slow: bool) -> None:
    url = urlparse(server.url)
    while time.monotonic() < until:
        with contextlib.suppress(OSError, TimeoutError):
            reader, writer = await asyncio.open_connection(url.hostname, url.port)
            try:
                writer.write(payload)
                await writer.drain()
                if slow:
                    await asyncio.wait_for(reader.read(), max(0.1, until - time.monotonic()))
                else:
                    await asyncio.wait_for(reader.read(1024), 5)
            finally:
                writer.close()


async def huge_headers(server: Any, until: float) -> None:
    payload = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2_000_000 + b"\r\n\r\n"
    await asyncio.gather(*(_raw(server, until, payload, slow=False) for _ in range(4)))


async def slow_headers(server: Any, until: float) -> None:
    payload = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    await asyncio.gather(*(_raw(server, until, payload, slow=True) for _ in range(300)))


ATTACKS: dict[str, Attack] = {
    "fragment fan-out (25 fragments, renamed)": fan_out,
    "atLeast flood (30 aliases)": at_least_flood,
    "30-alias history pages": history_pages,
    "verification loop (10 aliases)": verification_loop,
    "500 subscriptions from 0": subscriptions_500,
    "non-reading sockets (20 x 5)": non_reading_sockets,
    "huge headers (2 MB)": huge_headers,
    "slow headers (300 connections)": slow_headers,
}


def _p(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def _attacker_process(server: LiveServer, name: str, seconds: float) -> None:
    """The attacker runs in a process of its own, so its client work does not slow the normal
    user's client (both share the machine with the server, as on a real 2-core host)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "conformance.hostile", "--attack", name, "--url", server.url,
        "--seconds", str(seconds), stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    try:
        await asyncio.wait_for(process.wait(), seconds + 20)
    except TimeoutError:
        process.kill()
        await process.wait()


@dataclass
class Remote:
    """Where the attacker sends: the server's address only."""

    url: str

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"


def attack_main(name: str, url: str, seconds: float) -> None:
    until = time.monotonic() + seconds
    with contextlib.suppress(Exception):
        asyncio.run(asyncio.wait_for(ATTACKS[name](Remote(url), until), seconds + 15))


async def _round(server: LiveServer, seconds: float, attack: str | None
                 ) -> tuple[list[float], list[str], int]:
    errors: list[str] = []
    until = time.monotonic() + seconds
    peak = rss_kb(server)

    async def sample() -> None:
        nonlocal peak
        while time.monotonic() < until:
            peak = max(peak, rss_kb(server))
            await asyncio.sleep(0.2)

    jobs: list[Awaitable[Any]] = [sample()]
    if attack is not None:
        jobs.append(_attacker_process(server, attack, seconds))
    results = await asyncio.gather(normal_user(server, until, errors), *jobs,
                                   return_exceptions=True)
    latencies = results[0] if isinstance(results[0], list) else []
    return latencies, errors, peak


async def _caught_up(server: LiveServer, position: int) -> None:
    """Measure nothing while the projections still work through the seeded events."""
    auth = {"authorization": "Bearer " + token("normal-user", Role.MANAGER)}
    query = {"query": f"{{ policies(atLeast: {position}) {{ version }} }}"}
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(30):
            response = await client.post(server.url + "/graphql", headers=auth, json=query)
            if "errors" not in response.json():
                return


async def run(server: LiveServer, dsn: str, seconds: float) -> list[dict[str, Any]]:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        written = await append_probes(EventStore(pool), 2000)  # to catch up on and verify
    finally:
        await pool.close()
    await _caught_up(server, written.last_position)
    await _round(server, 1, None)  # warm-up, not counted
    idle = rss_kb(server)
    alone, errors, peak = await _round(server, seconds, None)
    rows: list[dict[str, Any]] = [{
        "attack": "none (alone)", "p50": _p(alone, 0.5), "p99": _p(alone, 0.99),
        "requests": len(alone), "errors": len(errors), "rss_ratio": peak / idle}]
    for name in ATTACKS:
        latencies, errors, peak = await _round(server, seconds, name)
        rows.append({"attack": name, "p50": _p(latencies, 0.5), "p99": _p(latencies, 0.99),
                     "requests": len(latencies), "errors": len(errors),
                     "rss_ratio": peak / idle, "first_error": errors[0] if errors else ""})
        if server.process.poll() is not None:
            break
        await asyncio.sleep(1)  # let closed sockets and refused work drain
    base = max(rows[0]["p99"], 1.0)
    for row in rows:
        row["p99_ratio"] = row["p99"] / base
        row["met"] = row["p99_ratio"] <= 3 and row["rss_ratio"] <= 2
    return rows


def markdown(rows: list[dict[str, Any]], seconds: float) -> str:
    lines = [f"Normal user beside each attack, {seconds:g} s each, loopback, 2 cores "
             "(`python -m conformance.hostile`):", "",
             "| attack | p50 ms | p99 ms | p99 / alone | requests | errors | RSS / idle | "
             "target met |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['attack']} | {r['p50']:.1f} | {r['p99']:.1f} | "
                     f"{r['p99_ratio']:.2f} | {r['requests']} | {r['errors']} | "
                     f"{r['rss_ratio']:.2f} | {'yes' if r['met'] else 'no'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--attack", choices=list(ATTACKS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:  # the attacker's own process (see _attacker_process)
        attack_main(args.attack, args.url, args.seconds)
        return 0
    with kehu_server() as (server, dsn):
        rows = asyncio.run(run(server, dsn, args.seconds))
        alive = server.process.poll() is None
    print(markdown(rows, args.seconds) if args.markdown else
          "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    failed = not alive or any(r["errors"] for r in rows)
    if args.strict:
        failed = failed or not all(r["met"] for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
