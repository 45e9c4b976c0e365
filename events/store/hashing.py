"""The SHA-256 hash chain that makes the log tamper-evident.

Each event's hash covers the previous event's hash and the canonical JSON of everything stored
about it, so altering, removing or reordering any row breaks the chain from that row on.
Canonical JSON (sorted keys, no spaces, UTF-8) is stable across a JSONB round trip because
events hold no floats (see events/store/codec.py). It is written by msgspec
(events/store/fastjson.py), byte for byte what `json.dumps(sort_keys=True, separators=(",",
":"), ensure_ascii=False)` writes, so hashes made before and after the switch are one scheme.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from events.store.fastjson import canonical

GENESIS_HASH = bytes(32)


def canonical_json(value: Any) -> bytes:
    return canonical(value)


class RecordParts:
    """An event's canonical record split around its position, which is only known under the
    head lock: everything else is serialised before the lock, the link after it is one
    concatenation and one SHA-256. The bytes equal canonical_json(record) (the record's keys
    in sorted order: metadata, payload, position, recorded_at, schema_version, stream_id,
    stream_type, type, version), which tests/store/test_fastjson.py checks."""

    __slots__ = ("head", "tail")

    def __init__(self, *, stream_id: str, stream_type: str, version: int, event_type: str,
                 schema_version: int, payload: bytes, metadata: bytes,
                 recorded_at: datetime) -> None:
        self.head = b'{"metadata":' + metadata + b',"payload":' + payload + b',"position":'
        self.tail = b"".join((
            b',"recorded_at":', canonical(_timestamp(recorded_at)),
            b',"schema_version":', canonical(schema_version),
            b',"stream_id":', canonical(stream_id),
            b',"stream_type":', canonical(stream_type),
            b',"type":', canonical(event_type),
            b',"version":', canonical(version), b"}",
        ))

    def record(self, position: int) -> bytes:
        """The canonical record at `position`: the text the sealed log stores beside the row,
        so PostgreSQL checks each link (sha256(previous hash || record))."""
        return b"".join((self.head, str(int(position)).encode(), self.tail))

    def link(self, prev_hash: bytes, position: int) -> bytes:
        return hashlib.sha256(prev_hash + self.record(position)).digest()


def _timestamp(recorded_at: datetime) -> str:
    # Microseconds, UTC: what timestamptz keeps, so the value hashes the same after a read.
    return recorded_at.isoformat(timespec="microseconds")


def event_record(
    *,
    position: int,
    stream_id: str,
    stream_type: str,
    version: int,
    event_type: str,
    schema_version: int,
    payload: dict[str, Any],
    metadata: dict[str, Any],
    recorded_at: datetime,
) -> dict[str, Any]:
    return {
        "position": position,
        "stream_id": stream_id,
        "stream_type": stream_type,
        "version": version,
        "type": event_type,
        "schema_version": schema_version,
        "payload": payload,
        "metadata": metadata,
        "recorded_at": _timestamp(recorded_at),
    }


def canonical_record(**fields: Any) -> bytes:
    return canonical_json(event_record(**fields))


def event_hash(prev_hash: bytes, **fields: Any) -> bytes:
    """The link of an event (fields as `event_record` names them) to its predecessor."""
    return hashlib.sha256(prev_hash + canonical_record(**fields)).digest()
