"""Tamper evidence costs: verification rates, checkpoint sealing, proof size and latency.

    python bench/audit.py [--events 1000000] [--chain-events 20000] [--json PATH]

- Proofs and witness checks run on a log of N events (default 1M) written straight into the
  table (bench only, session_replication_role = replica: hashes are synthetic, the chain check
  is not what is measured there). The first seal hashes all N leaves; a second seal after
  1,000 more events is the steady-state cost; then 300 inclusion proofs at random positions
  and 50 consistency proofs, through the database, each verified offline.
- The chain walk (`verify_chain`) and the witness walk (`check_against_witness`) run side by
  side on a realistic log appended through the store (default 20,000 events), so their rates
  compare on the same rows.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, print_report
from events.shared.actors import Actor, Role
from events.store.auditor import check_document
from events.store.checkpoints import consistency_proof, event_proof, page, seal
from events.store.db import create_pool
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from events.store.signing import generate_key_pem, key_id, load_private_key
from events.store.verify import verify_chain
from events.store.witness import check_against_witness
from tests.store.events_for_tests import ThingHappened

KEY = load_private_key(generate_key_pem())
KEYS = {key_id(KEY.public_key()): KEY.public_key()}
META = Metadata.for_actor(Actor("bench", "Bench", Role.STAFF), correlation_id="bench")


async def _fill(pool: Any, first: int, last: int) -> None:
    now = datetime.now(UTC)
    step = 50_000
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for start in range(first, last + 1, step):
            positions = list(range(start, min(start + step, last + 1)))
            hashes = [hashlib.sha256(p.to_bytes(8, "big")).digest() for p in positions]
            await conn.execute(
                "INSERT INTO kehu_log.events (position, stream_id, stream_type, version,"
                " event_type, schema_version, payload, metadata, recorded_at, hash, prev_hash)"
                " SELECT p, 'bench-' || p, 'bench', 1, 'Bench', 1, '{}', '{}', $3, h, h"
                " FROM unnest($1::bigint[], $2::bytea[]) AS u(p, h)", positions, hashes, now)
        await conn.execute("UPDATE kehu_log.event_head SET position = $1, hash = $2", last,
                           hashlib.sha256(last.to_bytes(8, "big")).digest())


async def proofs(events: int) -> dict[str, Any]:
    async with fresh_database() as dsn:
        pool = await create_pool(dsn)
        try:
            await _fill(pool, 1, events // 2)
            t = time.perf_counter()
            await seal(pool, KEY)
            first_seal_s = time.perf_counter() - t
            await _fill(pool, events // 2 + 1, events)
            await seal(pool, KEY)
            await _fill(pool, events + 1, events + 1000)
            t = time.perf_counter()
            await seal(pool, KEY)
            steady_seal_ms = (time.perf_counter() - t) * 1000
            rng = random.Random(14)
            latencies, sizes = [], []
            async with pool.acquire() as conn:
                for _ in range(300):
                    t = time.perf_counter()
                    doc = await event_proof(conn, rng.randrange(1, events + 1))
                    latencies.append((time.perf_counter() - t) * 1000)
                    sizes.append(32 * len(doc["path"]))
                    assert check_document(doc, KEYS) is None
                marks = [c.position for c in await page(conn, 0, 10)]
                consistency = []
                for _ in range(50):
                    a, b = sorted(rng.sample(marks, 2))
                    t = time.perf_counter()
                    doc = await consistency_proof(conn, a, b)
                    consistency.append((time.perf_counter() - t) * 1000)
                    assert check_document(doc, KEYS) is None
                witnessed = await page(conn, 0, 10)
            t = time.perf_counter()
            report = await check_against_witness(pool, witnessed, KEYS)
            witness_s = time.perf_counter() - t
            assert report.ok
            offline = _offline_rate(doc=await _one_proof(pool, events))
        finally:
            await pool.close()
    return {
        "events": events,
        "first_seal_s": round(first_seal_s, 2),
        "first_seal_events_per_s": round(events // 2 / first_seal_s),
        "seal_1000_new_ms": round(steady_seal_ms, 1),
        "seal_share_of_a_core_at_1000_ev_s": round(steady_seal_ms / 1000, 4),
        "inclusion_ms_median": round(statistics.median(latencies), 2),
        "inclusion_ms_p99": round(sorted(latencies)[int(len(latencies) * 0.99) - 1], 2),
        "inclusion_path_bytes_max": max(sizes),
        "consistency_ms_median": round(statistics.median(consistency), 2),
        "witness_walk_events_per_s": round((events + 1000) / witness_s),
        "offline_verifications_per_s": offline,
    }


async def _one_proof(pool: Any, events: int) -> dict[str, Any]:
    async with pool.acquire() as conn:
        return await event_proof(conn, events // 3)


def _offline_rate(doc: dict[str, Any]) -> int:
    t = time.perf_counter()
    for _ in range(500):
        assert check_document(doc, KEYS) is None
    return round(500 / (time.perf_counter() - t))


async def chain(events: int) -> dict[str, Any]:
    async with fresh_database() as dsn:
        pool = await create_pool(dsn)
        try:
            store = EventStore(pool)
            for i in range(0, events, 100):
                await store.append([StreamAppend(f"thing-{i}", "thing", 0,
                                                 [ThingHappened(n, "note") for n in range(100)])],
                                   META)
            t = time.perf_counter()
            assert (await verify_chain(pool)).ok
            chain_s = time.perf_counter() - t
            witnessed = [c for c in [await seal(pool, KEY)] if c is not None]
            t = time.perf_counter()
            assert (await check_against_witness(pool, witnessed, KEYS)).ok
            witness_s = time.perf_counter() - t
        finally:
            await pool.close()
    return {"events": events, "chain_walk_events_per_s": round(events / chain_s),
            "witness_walk_events_per_s": round(events / witness_s)}


async def measure(events: int, chain_events: int) -> dict[str, Any]:
    return {"proofs": await proofs(events), "chain": await chain(chain_events)}


TARGET_PROOF_BYTES, TARGET_PROOF_MS = 2048, 10.0  # issue 14


def report(r: dict[str, Any]) -> dict[str, Any]:
    p, c = r["proofs"], r["chain"]
    n = f"{p['events']:,}"
    rows = [
        [f"inclusion proof at {n} events, through the database (median / p99)",
         f"{p['inclusion_ms_median']:.1f} ms / {p['inclusion_ms_p99']:.1f} ms"],
        [f"inclusion proof size at {n} events (max)",
         f"{p['inclusion_path_bytes_max']} bytes ({p['inclusion_path_bytes_max'] // 32} hashes)"],
        [f"consistency proof between checkpoints at {n} (median)",
         f"{p['consistency_ms_median']:.1f} ms"],
        ["seal a checkpoint after 1,000 new events",
         f"{p['seal_1000_new_ms']:.0f} ms (about {p['seal_share_of_a_core_at_1000_ev_s']:.0%}"
         " of one core at 1,000 events/s with a checkpoint every 1,000)"],
        [f"first seal of {p['events'] // 2:,} events",
         f"{p['first_seal_s']:.1f} s ({p['first_seal_events_per_s']:,} events/s)"],
        [f"witness walk (Merkle tree rebuilt from stored hashes), {n} log / {c['events']:,} log",
         f"{p['witness_walk_events_per_s']:,} / {c['witness_walk_events_per_s']:,} events/s"],
        [f"chain walk (`verify_chain`, recomputes every hash from content), {c['events']:,} log",
         f"{c['chain_walk_events_per_s']:,} events/s"],
        ["offline proof verification (`check_document`: Ed25519 + path)",
         f"{p['offline_verifications_per_s']:,} proofs/s"],
    ]
    size, median = p["inclusion_path_bytes_max"], p["inclusion_ms_median"]
    targets = [
        {"name": f"inclusion proof < 2 KB at {n} events", "value": f"{size} bytes",
         "ratio": f"{size / TARGET_PROOF_BYTES:.2f} of the limit",
         "met": size < TARGET_PROOF_BYTES},
        {"name": "inclusion proof < 10 ms through the database (median)",
         "value": f"{median:.1f} ms",
         "ratio": f"{median / TARGET_PROOF_MS:.2f} of the limit;"
                  f" p99 {p['inclusion_ms_p99']:.1f} ms",
         "met": median < TARGET_PROOF_MS},
    ]
    return {"title": "Tamper evidence and audit", "tables": [{"header": ("measure", "figure"),
                                                            "rows": rows}],
            "targets": targets, "figures": r,
            "notes": [f"proofs on a log of {n} synthetic events written straight into the table;"
                      f" chain and witness walks side by side on {c['events']:,} events appended"
                      " through the store"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--chain-events", type=int, default=20_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = report(asyncio.run(measure(args.events, args.chain_events)))
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
