"""An RFC 9162 Merkle tree over the event hashes, with inclusion and consistency proofs.

Leaf i (0-based) is the event at position i + 1. Hashes are domain-separated as in RFC 9162
§2.1.1 so a leaf can never be passed off as an inner node:
    leaf = SHA-256(0x00 || event hash)        node = SHA-256(0x01 || left || right)
The tree of n leaves splits at k, the largest power of two below n; its left part is always a
*perfect* subtree (2^level leaves starting at a multiple of 2^level). Perfect subtrees never
change once complete, so the store keeps their hashes and a proof for a log of a million events
needs a few dozen stored hashes instead of a million leaves.

Proofs are computed in two steps so this module stays pure: `*_ranges` say which leaf ranges a
proof needs, `perfect_ranges` splits each into perfect subtrees (fetched or hashed by the
caller), and `range_hash` folds them. `mth` is the plain recursive definition, used as the
reference in tests and for small trees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]  # (level, index): leaves [index * 2^level, (index + 1) * 2^level)
Range = tuple[int, int]  # leaves [start, end)


def leaf_hash(event_hash: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + event_hash).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1, over leaf hashes (already 0x00-prefixed and hashed)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def perfect_ranges(start: int, end: int) -> list[Node]:
    """The perfect subtrees a tree node [start, end) folds from, left to right.

    [start, end) must be a node of some RFC 9162 tree (start aligned to the power of two at or
    above its size), as every range a proof names is."""
    nodes: list[Node] = []
    while end - start > 0:
        level = (end - start).bit_length() - 1  # the whole range if perfect, else its left part
        if start & ((1 << level) - 1):
            raise ValueError(f"[{start}, {end}) is not a node of a Merkle tree")
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def range_hash(start: int, end: int, perfect: Mapping[Node, bytes]) -> bytes:
    """MTH of leaves [start, end) from the hashes of its perfect subtrees."""
    hashes = [perfect[n] for n in perfect_ranges(start, end)]
    root = hashes[-1]
    for h in reversed(hashes[:-1]):
        root = node_hash(h, root)
    return root


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1 as leaf ranges, leaf-side first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    return path[::-1]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 as leaf ranges; empty when there is nothing to prove."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    if first in (0, second):
        return []
    path: list[Range] = []
    start, end, complete = 0, second, True
    m = first
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        path.append((start, end))
    return path[::-1]


@dataclass
class CompactRange:
    """The tree grown one leaf at a time: a stack of perfect subtree roots (RFC 9162 §2.1.1's
    tree seen from its right edge), so sealing a checkpoint hashes only the new events."""

    size: int = 0
    stack: list[bytes] = field(default_factory=list)

    @classmethod
    def restore(cls, size: int, perfect: Mapping[Node, bytes]) -> CompactRange:
        return cls(size, [perfect[n] for n in perfect_ranges(0, size)])

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add one leaf hash; return every perfect subtree it completes (level >= 0)."""
        index = self.size
        done: list[tuple[Node, bytes]] = [((0, index), leaf)]
        h, level = leaf, 0
        while (index >> level) & 1:
            h = node_hash(self.stack.pop(), h)
            level += 1
            done.append(((level, index >> level), h))
        self.stack.append(h)
        self.size += 1
        return done

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        root = self.stack[-1]
        for h in reversed(self.stack[:-1]):
            root = node_hash(h, root)
        return root


def verify_inclusion(event_hash: bytes, index: int, size: int, path: Sequence[bytes],
                     root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `path` prove leaf `index` of the tree of `size` is this event?"""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf_hash(event_hash)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       path: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does `path` prove the tree of `second` extends the tree of `first`?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path  # the empty tree is a prefix of every tree
    if not path:
        return False
    proof = list(path)
    if first & (first - 1) == 0:
        proof.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
