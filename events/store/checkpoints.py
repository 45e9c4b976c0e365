"""Sealing signed checkpoints, and the proofs served against them.

A seal extends the Merkle tree from the last checkpoint to the current head: the compact range
of the last checkpoint is rebuilt from stored subtrees, only the new events are hashed, and the
perfect subtrees they complete (level >= STORED_LEVEL) are stored for later proofs. One sealer
at a time (an advisory lock), so two processes never race for the same position.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.store.merkle import (
    CompactRange,
    Node,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    mth,
    perfect_ranges,
    range_hash,
)
from events.store.signing import Checkpoint, sign

STORED_LEVEL = 6
SEAL_LOCK = 0x6B6568755345414C  # "kehuSEAL": one sealer across processes
READ_BATCH = 20_000

CHECKPOINT_COLUMNS = "position, tree_size, head, root, signed_at, key_id, signature"


def row_to_checkpoint(row: asyncpg.Record) -> Checkpoint:
    return Checkpoint(row["position"], row["tree_size"], bytes(row["head"]), bytes(row["root"]),
                      row["signed_at"], row["key_id"], bytes(row["signature"]))


async def perfect_hashes(conn: asyncpg.Connection, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """Hashes of perfect subtrees: stored ones read, small ones hashed from the events."""
    wanted = set(nodes)
    stored = [n for n in wanted if n[0] >= STORED_LEVEL]
    found: dict[Node, bytes] = {}
    if stored:
        rows = await conn.fetch(
            "SELECT m.level, m.index, m.hash FROM kehu_log.merkle_nodes m"
            " JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, index)"
            " ON m.level = w.level AND m.index = w.index",
            [n[0] for n in stored], [n[1] for n in stored])
        found = {(r["level"], r["index"]): bytes(r["hash"]) for r in rows}
        if len(found) != len(stored):
            raise LookupError("the Merkle tree has not been sealed that far")
    small = sorted(wanted - set(stored))
    if small:
        # One query for every small subtree's leaves (at most 64 events each).
        positions = [p for level, index in small
                     for p in range((index << level) + 1, ((index + 1) << level) + 1)]
        rows = await conn.fetch("SELECT position, hash FROM kehu_log.events"
                                " WHERE position = ANY($1::bigint[])", positions)
        hashes = {r["position"]: bytes(r["hash"]) for r in rows}
        if len(hashes) != len(set(positions)):
            raise LookupError("events the proof needs are missing from the log")
        for level, index in small:
            first = (index << level) + 1
            found[(level, index)] = mth([leaf_hash(hashes[p])
                                         for p in range(first, first + (1 << level))])
    return found


async def latest(conn: asyncpg.Connection) -> Checkpoint | None:
    row = await conn.fetchrow(f"SELECT {CHECKPOINT_COLUMNS} FROM kehu_log.checkpoints"
                              " ORDER BY position DESC LIMIT 1")
    return None if row is None else row_to_checkpoint(row)


async def checkpoint_at(conn: asyncpg.Connection, position: int) -> Checkpoint | None:
    row = await conn.fetchrow(f"SELECT {CHECKPOINT_COLUMNS} FROM kehu_log.checkpoints"
                              " WHERE position = $1", position)
    return None if row is None else row_to_checkpoint(row)


async def page(conn: asyncpg.Connection, after: int, first: int) -> list[Checkpoint]:
    rows = await conn.fetch(f"SELECT {CHECKPOINT_COLUMNS} FROM kehu_log.checkpoints"
                            " WHERE position > $1 ORDER BY position LIMIT $2", after, first)
    return [row_to_checkpoint(r) for r in rows]


async def seal(pool: asyncpg.Pool, key: Ed25519PrivateKey) -> Checkpoint | None:
    """Sign a checkpoint at the current head; None when there is nothing new (or another
    process is sealing right now)."""
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", SEAL_LOCK):
            return None
        last = await latest(conn)
        size = 0 if last is None else last.tree_size
        head = await conn.fetchrow("SELECT position, hash FROM kehu_log.event_head")
        assert head is not None
        if head["position"] <= size:
            return None
        tree = CompactRange.restore(size, await perfect_hashes(conn, perfect_ranges(0, size)))
        new_nodes: list[tuple[Node, bytes]] = []
        last_hash = b""
        while tree.size < head["position"]:
            rows = await conn.fetch(
                "SELECT position, hash FROM kehu_log.events WHERE position > $1"
                " AND position <= $2 ORDER BY position LIMIT $3",
                tree.size, head["position"], READ_BATCH)
            for row in rows:
                if row["position"] != tree.size + 1:
                    raise LookupError(f"event {tree.size + 1} is missing from the log")
                last_hash = bytes(row["hash"])
                new_nodes.extend(n for n in tree.append(leaf_hash(last_hash))
                                 if n[0][0] >= STORED_LEVEL)
        if last_hash != bytes(head["hash"]):
            raise LookupError("the log head does not match its last event")
        if new_nodes:
            await conn.execute(
                "INSERT INTO kehu_log.merkle_nodes (level, index, hash)"
                " SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])",
                [n[0][0] for n in new_nodes], [n[0][1] for n in new_nodes],
                [h for _, h in new_nodes])
        checkpoint = sign(Checkpoint(tree.size, tree.size, last_hash, tree.root(),
                                     datetime.now(UTC), ""), key)
        await conn.execute(
            f"INSERT INTO kehu_log.checkpoints ({CHECKPOINT_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            checkpoint.position, checkpoint.tree_size, checkpoint.head, checkpoint.root,
            checkpoint.time, checkpoint.key_id, checkpoint.signature)
        return checkpoint


async def _path(conn: asyncpg.Connection, ranges: list[tuple[int, int]]) -> list[bytes]:
    nodes = await perfect_hashes(conn, (n for a, b in ranges for n in perfect_ranges(a, b)))
    return [range_hash(a, b, nodes) for a, b in ranges]


async def event_proof(conn: asyncpg.Connection, position: int,
                      at: int | None = None) -> dict[str, Any]:
    """An inclusion proof of event `position` in checkpoint `at` (default: the latest that
    covers it), as the document the auditor's verifier checks."""
    checkpoint = await (checkpoint_at(conn, at) if at is not None else latest(conn))
    if checkpoint is None or not 1 <= position <= checkpoint.tree_size:
        raise LookupError(f"no checkpoint covers event {position}")
    event_hash = await conn.fetchval("SELECT hash FROM kehu_log.events WHERE position = $1",
                                     position)
    path = await _path(conn, inclusion_ranges(position - 1, checkpoint.tree_size))
    return {"kind": "inclusion", "checkpoint": checkpoint.to_json(), "position": position,
            "event_hash": bytes(event_hash).hex(), "path": [h.hex() for h in path]}


async def consistency_proof(conn: asyncpg.Connection, first: int, second: int) -> dict[str, Any]:
    """A proof that checkpoint `second` extends checkpoint `first`."""
    older, newer = await checkpoint_at(conn, first), await checkpoint_at(conn, second)
    if older is None or newer is None or first > second:
        raise LookupError(f"no checkpoints {first} and {second} to compare")
    path = await _path(conn, consistency_ranges(first, second))
    return {"kind": "consistency", "from": older.to_json(), "to": newer.to_json(),
            "path": [h.hex() for h in path]}
