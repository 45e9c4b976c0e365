"""Signed checkpoints and the auditor's standalone verifier: good proofs pass, forgeries fail."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.store.auditor import check_document, consistency_problem, inclusion_problem, main
from events.store.merkle import (
    CompactRange,
    Node,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    range_hash,
)
from events.store.signing import (
    Checkpoint,
    generate_key_pem,
    key_id,
    load_private_key,
    load_public_keys,
    public_key_pem,
    sign,
    signature_problem,
)

EVENT_HASHES = [hashlib.sha256(b"event %d" % i).digest() for i in range(500)]
NODES: dict[Node, bytes] = {}
_tree = CompactRange()
for _h in EVENT_HASHES:
    NODES.update(_tree.append(leaf_hash(_h)))

KEY = load_private_key(generate_key_pem())
OTHER_KEY = load_private_key(generate_key_pem())
KEYS = load_public_keys(public_key_pem(KEY))


def _checkpoint(size: int, key: Ed25519PrivateKey = KEY) -> Checkpoint:
    unsigned = Checkpoint(size, size, EVENT_HASHES[size - 1], range_hash(0, size, NODES),
                          datetime(2026, 11, 29, 16, 0, tzinfo=UTC), "")
    return sign(unsigned, key)


def _hashes(ranges: list[tuple[int, int]]) -> list[bytes]:
    return [range_hash(a, b, NODES) for a, b in ranges]


def test_keys_load_from_pem_text_or_file_and_are_named_by_their_public_key(
        tmp_path: Path) -> None:
    pem = generate_key_pem()
    (tmp_path / "k.pem").write_bytes(pem)
    from_text, from_file = load_private_key(pem.decode()), load_private_key(tmp_path / "k.pem")
    assert key_id(from_text.public_key()) == key_id(from_file.public_key())
    assert len(key_id(from_text.public_key())) == 64
    both = public_key_pem(KEY) + public_key_pem(OTHER_KEY)
    assert set(load_public_keys(both)) == {key_id(KEY.public_key()),
                                          key_id(OTHER_KEY.public_key())}


def test_the_signed_bytes_are_the_documented_text() -> None:
    cp = _checkpoint(3)
    assert cp.signed_bytes().decode().splitlines() == [
        "kehu-checkpoint/v1", "position 3", "tree_size 3", f"head {EVENT_HASHES[2].hex()}",
        f"root {range_hash(0, 3, NODES).hex()}", "time 2026-11-29T16:00:00.000000Z",
        f"key {key_id(KEY.public_key())}"]
    assert Checkpoint.from_json(json.loads(json.dumps(cp.to_json()))) == cp


def test_a_forged_or_foreign_checkpoint_is_rejected() -> None:
    cp = _checkpoint(300)
    assert signature_problem(cp, KEYS) is None
    for forged in (replace(cp, root=EVENT_HASHES[0]), replace(cp, position=299, tree_size=299),
                   replace(cp, head=EVENT_HASHES[0]),
                   replace(cp, time=datetime(2026, 11, 29, 16, 0, 1, tzinfo=UTC))):
        assert "bad signature" in (signature_problem(forged, KEYS) or "")
    foreign = _checkpoint(300, OTHER_KEY)
    assert "unknown key" in (signature_problem(foreign, KEYS) or "")
    # Re-labelled with the trusted key id, the foreign signature still fails.
    assert "bad signature" in (signature_problem(
        replace(foreign, key_id=cp.key_id), KEYS) or "")


def test_inclusion_proofs_hold_for_every_event_of_signed_checkpoints() -> None:
    for size in (1, 77, 256, 500):
        cp = _checkpoint(size)
        for position in range(1, size + 1):
            path = _hashes(inclusion_ranges(position - 1, size))
            assert inclusion_problem(cp, position, EVENT_HASHES[position - 1], path,
                                     KEYS) is None


def test_a_tampered_inclusion_proof_or_a_wrong_key_is_rejected() -> None:
    cp, position = _checkpoint(500), 123
    path = _hashes(inclusion_ranges(position - 1, 500))
    assert inclusion_problem(cp, position, EVENT_HASHES[0], path, KEYS)
    assert inclusion_problem(cp, position, EVENT_HASHES[position - 1], path[1:], KEYS)
    assert inclusion_problem(cp, 501, EVENT_HASHES[position - 1], path, KEYS)
    other = load_public_keys(public_key_pem(OTHER_KEY))
    assert "unknown key" in (inclusion_problem(cp, position, EVENT_HASHES[position - 1],
                                               path, other) or "")


def test_consistency_between_signed_checkpoints() -> None:
    older, newer = _checkpoint(100), _checkpoint(500)
    path = _hashes(consistency_ranges(100, 500))
    assert consistency_problem(older, newer, path, KEYS) is None
    assert "rewritten" in (consistency_problem(older, newer, path[1:], KEYS) or "")
    assert "bad signature" in (consistency_problem(
        replace(older, root=newer.root), newer, path, KEYS) or "")


def test_kehu_prove_checks_a_proof_document(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pub.pem").write_bytes(public_key_pem(KEY))
    cp = _checkpoint(500)
    doc = {"kind": "inclusion", "checkpoint": cp.to_json(), "position": 42,
           "event_hash": EVENT_HASHES[41].hex(),
           "path": [h.hex() for h in _hashes(inclusion_ranges(41, 500))]}
    (tmp_path / "proof.json").write_text(json.dumps(doc))
    assert main([str(tmp_path / "proof.json"), "--public-key", str(tmp_path / "pub.pem")]) == 0
    assert capsys.readouterr().out.startswith("ok")
    doc["event_hash"] = EVENT_HASHES[40].hex()
    (tmp_path / "proof.json").write_text(json.dumps(doc))
    assert main([str(tmp_path / "proof.json"), "--public-key", str(tmp_path / "pub.pem")]) == 1
    assert "REJECTED" in capsys.readouterr().out
    consistency = {"kind": "consistency", "from": _checkpoint(10).to_json(), "to": cp.to_json(),
                   "path": [h.hex() for h in _hashes(consistency_ranges(10, 500))]}
    assert check_document(consistency, KEYS) is None
