"""The Merkle tree against RFC 9162's recursive definitions, and every proof verified."""

from __future__ import annotations

import hashlib
from itertools import combinations

import pytest

from events.store.merkle import (
    EMPTY_ROOT,
    CompactRange,
    Node,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    mth,
    node_hash,
    range_hash,
    split_point,
    verify_consistency,
    verify_inclusion,
)

N = 3000
EVENT_HASHES = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(N)]
LEAVES = [leaf_hash(h) for h in EVENT_HASHES]


def _grow(count: int) -> tuple[CompactRange, dict[Node, bytes]]:
    tree, nodes = CompactRange(), dict[Node, bytes]()
    for leaf in LEAVES[:count]:
        nodes.update(tree.append(leaf))
    return tree, nodes


TREE, NODES = _grow(N)


def _rfc_path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]), RFC 9162 §2.1.3.1, literally."""
    if len(d) <= 1:
        return []
    k = split_point(len(d))
    if m < k:
        return [*_rfc_path(m, d[:k]), mth(d[k:])]
    return [*_rfc_path(m - k, d[k:]), mth(d[:k])]


def _rfc_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1, literally."""
    if m == len(d):
        return [] if b else [mth(d)]
    k = split_point(len(d))
    if m <= k:
        return [*_rfc_subproof(m, d[:k], b), mth(d[k:])]
    return [*_rfc_subproof(m - k, d[k:], False), mth(d[:k])]


def _inclusion(index: int, size: int) -> list[bytes]:
    return [range_hash(a, b, NODES) for a, b in inclusion_ranges(index, size)]


def _consistency(first: int, second: int) -> list[bytes]:
    return [range_hash(a, b, NODES) for a, b in consistency_ranges(first, second)]


def test_empty_and_single_leaf_roots_follow_the_rfc() -> None:
    assert mth([]) == EMPTY_ROOT == CompactRange().root()
    assert mth(LEAVES[:1]) == LEAVES[0]
    assert mth(LEAVES[:3]) == node_hash(node_hash(LEAVES[0], LEAVES[1]), LEAVES[2])


def test_the_incremental_tree_has_the_root_of_the_recursive_definition() -> None:
    tree = CompactRange()
    for size in range(1, 300):
        tree.append(LEAVES[size - 1])
        assert tree.root() == mth(LEAVES[:size]) == range_hash(0, size, NODES)
    for size in (1023, 1024, 1025, 2047, N):
        assert CompactRange.restore(size, NODES).root() == mth(LEAVES[:size])


def test_proof_ranges_give_the_rfc_proofs_exactly() -> None:
    for size in range(1, 70):
        for m in range(size):
            assert _inclusion(m, size) == _rfc_path(m, LEAVES[:size])
        for first in range(1, size):
            assert _consistency(first, size) == _rfc_subproof(first, LEAVES[:size], True)


@pytest.mark.parametrize("size", [1, 2, 3, 8, 1000, 2048, 2049, N])
def test_every_position_has_an_inclusion_proof(size: int) -> None:
    root = range_hash(0, size, NODES)
    for index in range(size):
        path = _inclusion(index, size)
        assert verify_inclusion(EVENT_HASHES[index], index, size, path, root), index


def test_consistency_between_every_pair_of_a_dozen_sizes() -> None:
    sizes = [1, 2, 3, 4, 7, 8, 9, 100, 1024, 1025, 2999, N]
    for first, second in combinations(sizes, 2):
        path = _consistency(first, second)
        assert verify_consistency(first, second, range_hash(0, first, NODES),
                                  range_hash(0, second, NODES), path), (first, second)
    assert verify_consistency(5, 5, LEAVES[0], LEAVES[0], [])
    assert verify_consistency(0, 9, EMPTY_ROOT, range_hash(0, 9, NODES), [])


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


def test_a_tampered_inclusion_proof_is_rejected() -> None:
    size, index = 2049, 1234
    root, path = range_hash(0, size, NODES), _inclusion(index, size)
    for i in range(len(path)):
        assert not verify_inclusion(EVENT_HASHES[index], index, size,
                                    [*path[:i], _flip(path[i]), *path[i + 1:]], root)
    assert not verify_inclusion(EVENT_HASHES[index + 1], index, size, path, root)
    assert not verify_inclusion(EVENT_HASHES[index], index + 1, size, path, root)
    # The size is bound by the signed checkpoint, not the proof: sizes of the same tree shape
    # (2049 and 2050 here) accept the same path, a size of another shape does not.
    assert not verify_inclusion(EVENT_HASHES[index], index, 1300, path, root)
    assert not verify_inclusion(EVENT_HASHES[index], index, size, path[:-1], root)
    assert not verify_inclusion(EVENT_HASHES[index], index, size, [*path, root], root)
    assert not verify_inclusion(EVENT_HASHES[index], index, size, path, _flip(root))
    assert not verify_inclusion(EVENT_HASHES[index], size, size, path, root)
    # A leaf hash is not an inner node: the 0x00 / 0x01 prefixes keep them apart.
    assert not verify_inclusion(node_hash(LEAVES[0], LEAVES[1]), 0, 1, [], range_hash(0, 2, NODES))


def test_a_tampered_consistency_proof_is_rejected() -> None:
    first, second = 1025, 2999
    r1, r2 = range_hash(0, first, NODES), range_hash(0, second, NODES)
    path = _consistency(first, second)
    for i in range(len(path)):
        assert not verify_consistency(first, second, r1, r2,
                                      [*path[:i], _flip(path[i]), *path[i + 1:]])
    assert not verify_consistency(first, second, _flip(r1), r2, path)
    assert not verify_consistency(first, second, r1, _flip(r2), path)
    assert not verify_consistency(first + 1, second, r1, r2, path)
    assert not verify_consistency(first, 4097, r1, r2, path)
    assert not verify_consistency(first, second, r1, r2, path[:-1])
    assert not verify_consistency(first, second, r1, r2, [])
    assert not verify_consistency(second, first, r2, r1, path)
    # A log rewritten at one leaf keeps its size but cannot prove it extends the old one.
    forged = [*LEAVES[:second]]
    forged[10] = leaf_hash(b"rewritten")
    assert not verify_consistency(first, second, r1, mth(forged), path)


def test_the_incremental_tree_reports_each_completed_subtree() -> None:
    tree, nodes = _grow(8)
    assert set(nodes) == {(0, i) for i in range(8)} | {(1, i) for i in range(4)} | {
        (2, 0), (2, 1), (3, 0)}
    assert nodes[(3, 0)] == tree.root() == mth(LEAVES[:8])
