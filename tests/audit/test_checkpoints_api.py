"""Checkpoints and proofs through the real server: sealed every N events, streamed to a
subscriber, proven offline with the public key, and a rewrite named by verifyAuditLog(witness)."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg

from events.shared.actors import Role
from events.store.auditor import check_document
from events.store.db import create_pool
from events.store.event_store import EventStore
from events.store.signing import generate_key_pem, load_public_keys
from tests.live import Subscriber, connect_ws, gql, run_server, token
from tests.store.checkpoint_support import append_things

AUDITOR = token("auditor-cp", Role.AUDITOR)
CHECKPOINTS = "query($after: Int) { checkpoints(after: $after) { position root witnessLine } }"
PROOF = """query($p: Int!, $c: Int) { eventProof(position: $p, checkpoint: $c) {
  kind sizeBytes document } }"""
CONSISTENCY = "query($a: Int!, $b: Int!) { consistencyProof(from: $a, to: $b) { document } }"
VERIFY = """query($w: String) { verifyAuditLog(witness: $w) {
  ok reason checkpoint witnessed badPosition } }"""


async def test_checkpoints_are_sealed_served_streamed_and_proven(fresh_dsn: str,
                                                                  tmp_path: Path) -> None:
    key = tmp_path / "signing.pem"
    key.write_bytes(generate_key_pem())
    keys = load_public_keys(key)
    pool = await create_pool(fresh_dsn)
    try:
        with run_server(fresh_dsn, tmp_path, KEHU_SIGNING_KEY=str(key),
                        KEHU_CHECKPOINT_EVERY="10", KEHU_CHECKPOINT_SECONDS="0.5",
                        KEHU_WITNESS_DIR=str(tmp_path / "w")) as server:
            async with connect_ws(server) as ws:
                sub = Subscriber(ws)
                assert (await sub.init(AUDITOR))["type"] == "connection_ack"
                await sub.subscribe("1", "subscription { checkpoints(after: 0) { position } }",
                                    {})
                await append_things(EventStore(pool), 25)
                streamed: list[int] = []
                head = await EventStore(pool).head_position()
                while not streamed or streamed[-1] < head:
                    message = await sub.next(30)
                    streamed.append(message["payload"]["data"]["checkpoints"]["position"])
            listed = (await gql(server, CHECKPOINTS, {"after": 0}, auth=AUDITOR))["data"]
            positions = [c["position"] for c in listed["checkpoints"]]
            assert positions == streamed and positions[-1] == head
            witness = (tmp_path / "w" / "checkpoints.jsonl").read_text()
            assert [json.loads(line) for line in witness.splitlines()] == [
                c["witnessLine"] for c in listed["checkpoints"]]
            for at in positions:
                for position in (1, at // 2 or 1, at):
                    body = await gql(server, PROOF, {"p": position, "c": at}, auth=AUDITOR)
                    proof = body["data"]["eventProof"]
                    assert check_document(proof["document"], keys) is None
                    assert proof["sizeBytes"] == 32 * len(proof["document"]["path"])
            body = await gql(server, CONSISTENCY, {"a": positions[0], "b": positions[-1]},
                             auth=AUDITOR)
            assert check_document(body["data"]["consistencyProof"]["document"], keys) is None
            intact = (await gql(server, VERIFY, {"w": witness}, auth=AUDITOR))["data"]
            assert intact["verifyAuditLog"]["ok"] is True
            assert intact["verifyAuditLog"]["witnessed"] == len(positions)
            conn = await asyncpg.connect(fresh_dsn)
            try:
                # A superuser cuts the tail and moves the head back: the chain still verifies.
                await conn.execute("SET session_replication_role = replica")
                await conn.execute("DELETE FROM kehu_log.events WHERE position > $1",
                                   positions[0])
                await conn.execute("UPDATE kehu_log.event_head SET position = $1, hash ="
                                   " (SELECT hash FROM kehu_log.events WHERE position = $1)",
                                   positions[0])
            finally:
                await conn.close()
            cut = (await gql(server, VERIFY, {"w": witness}, auth=AUDITOR))["data"]
            report = cut["verifyAuditLog"]
            assert report["ok"] is False and report["checkpoint"] == positions[1]
            assert report["witnessed"] == 1 and f"no event {positions[0] + 1}" in report["reason"]
    finally:
        await pool.close()
