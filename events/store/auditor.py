"""The auditor's verifier: checks signed checkpoints and proofs with no database and no server.

Everything here is pure (merkle.py, signing.py, the standard library and `cryptography`), so an
auditor can run it on a machine of their own against proofs they were handed, with the public
keys they keep (`kehu prove`, or `python -m events.store.auditor`). docs/audit.md describes the
same checks for a reimplementation.

A proof document is JSON, as the GraphQL queries `eventProof` and `consistencyProof` return it:
    {"kind": "inclusion", "checkpoint": {...}, "position": 7, "event_hash": "<hex>",
     "path": ["<hex>", ...]}
    {"kind": "consistency", "from": {...checkpoint}, "to": {...checkpoint}, "path": [...]}
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events.store.merkle import verify_consistency, verify_inclusion
from events.store.signing import Checkpoint, load_public_keys, signature_problem

Keys = dict[str, Ed25519PublicKey]


def inclusion_problem(checkpoint: Checkpoint, position: int, event_hash: bytes,
                      path: Sequence[bytes], keys: Keys) -> str | None:
    """None when the signed checkpoint commits to `event_hash` at `position`, else why not."""
    bad = signature_problem(checkpoint, keys)
    if bad is not None:
        return bad
    if not 1 <= position <= checkpoint.tree_size:
        return f"event {position} is not covered by checkpoint {checkpoint.position}"
    if position == checkpoint.position and event_hash != checkpoint.head:
        return f"event {position} is not the head of checkpoint {checkpoint.position}"
    if not verify_inclusion(event_hash, position - 1, checkpoint.tree_size, path,
                            checkpoint.root):
        return (f"the proof does not show event {position} in checkpoint"
                f" {checkpoint.position}")
    return None


def consistency_problem(older: Checkpoint, newer: Checkpoint, path: Sequence[bytes],
                        keys: Keys) -> str | None:
    """None when both checkpoints are signed and `newer`'s log extends `older`'s, else why not."""
    for checkpoint in (older, newer):
        bad = signature_problem(checkpoint, keys)
        if bad is not None:
            return bad
    if not verify_consistency(older.tree_size, newer.tree_size, older.root, newer.root, path):
        return (f"checkpoint {newer.position} does not extend checkpoint {older.position}:"
                " the log was rewritten between them")
    return None


def check_document(doc: dict[str, Any], keys: Keys) -> str | None:
    path = [bytes.fromhex(h) for h in doc.get("path", [])]
    if doc.get("kind") == "inclusion":
        return inclusion_problem(Checkpoint.from_json(doc["checkpoint"]), int(doc["position"]),
                                 bytes.fromhex(doc["event_hash"]), path, keys)
    if doc.get("kind") == "consistency":
        return consistency_problem(Checkpoint.from_json(doc["from"]),
                                   Checkpoint.from_json(doc["to"]), path, keys)
    return f"unknown proof kind {doc.get('kind')!r}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kehu prove", description="Check a Kehu proof against signed checkpoints.")
    parser.add_argument("proof", type=Path, help="a proof document (JSON), '-' for stdin")
    parser.add_argument("--public-key", type=Path, action="append", required=True,
                        help="PEM file of trusted public keys (repeat for rotated keys)")
    args = parser.parse_args(argv)
    keys: Keys = {}
    for key_file in args.public_key:
        keys.update(load_public_keys(key_file))
    text = sys.stdin.read() if str(args.proof) == "-" else args.proof.read_text()
    problem = check_document(json.loads(text), keys)
    if problem is not None:
        print(f"REJECTED: {problem}")
        return 1
    print("ok: the proof holds against the signed checkpoint(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
