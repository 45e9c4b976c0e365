"""Witnesses: signed checkpoints kept outside the database, and the log checked against them.

Each sealed checkpoint is appended as one JSON line to a witness file that an auditor copies
elsewhere (or tails). Whoever later rewrites the database, even as superuser with every trigger
off, cannot change those copies nor sign new ones without the key, so `check_against_witness`
names the first witnessed checkpoint the log no longer matches.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events.store.merkle import CompactRange, leaf_hash
from events.store.signing import Checkpoint, signature_problem

BATCH = 20_000
FILE_NAME = "checkpoints.jsonl"


def append_witness(directory: Path, checkpoint: Checkpoint) -> Path:
    """One JSON line, flushed to disk before the seal is reported done."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(checkpoint.to_json(), sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


def parse_witness(text: str) -> list[Checkpoint]:
    return [Checkpoint.from_json(json.loads(line)) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class WitnessReport:
    ok: bool
    checkpoints: int  # witnessed checkpoints the log still matches
    checkpoint: int | None = None  # the checkpoint contradicted
    first_position: int | None = None  # the first event that differs lies in this range
    last_position: int | None = None
    reason: str | None = None


async def check_against_witness(pool: asyncpg.Pool, witnessed: Iterable[Checkpoint],
                                keys: dict[str, Ed25519PublicKey]) -> WitnessReport:
    """Rebuild the Merkle tree from the events' hashes and compare it, at every witnessed
    position, with what was signed there. The chain itself is checked by verify_chain."""
    ordered = sorted({c.position: c for c in witnessed}.values(), key=lambda c: c.position)
    for checkpoint in ordered:
        bad = signature_problem(checkpoint, keys)
        if bad is not None:
            return WitnessReport(False, 0, checkpoint.position, reason=bad)
    tree, good, matched, last_hash = CompactRange(), 0, 0, b""
    async with pool.acquire() as conn:
        for checkpoint in ordered:
            while tree.size < checkpoint.position:
                rows = await conn.fetch(
                    "SELECT position, hash FROM kehu_log.events WHERE position > $1"
                    " AND position <= $2 ORDER BY position LIMIT $3",
                    tree.size, checkpoint.position, BATCH)
                if not rows or rows[0]["position"] != tree.size + 1:
                    return _contradicted(checkpoint, good, matched,
                                         f"the log has no event {tree.size + 1}")
                for row in rows:
                    if row["position"] != tree.size + 1:
                        return _contradicted(checkpoint, good, matched,
                                             f"the log has no event {tree.size + 1}")
                    last_hash = bytes(row["hash"])
                    tree.append(leaf_hash(last_hash))
            if last_hash != checkpoint.head or tree.root() != checkpoint.root:
                return _contradicted(checkpoint, good, matched,
                                     "the events up to it no longer have the hashes it signed")
            good, matched = checkpoint.position, matched + 1
    return WitnessReport(True, matched)


def _contradicted(checkpoint: Checkpoint, good: int, matched: int, why: str) -> WitnessReport:
    when = checkpoint.time.strftime("%Y-%m-%d %H:%M:%SZ")
    return WitnessReport(
        False, matched, checkpoint.position, good + 1, checkpoint.position,
        f"checkpoint {checkpoint.position} (signed {when}) is contradicted: {why}; the first"
        f" event that differs is among {good + 1}..{checkpoint.position}"
        + (f" (checkpoint {good} still holds)" if good else ""))
