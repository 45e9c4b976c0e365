"""The SHA-256 hash chain that makes the log tamper-evident.

Each event's hash covers the previous event's hash and the canonical JSON of everything stored
about it, so altering, removing or reordering any row breaks the chain from that row on.
Canonical JSON (sorted keys, no spaces, UTF-8) is stable across a JSONB round trip because
events hold no floats (see events/codec.py).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS_HASH = bytes(32)


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(
    prev_hash: bytes,
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
) -> bytes:
    record = {
        "position": position,
        "stream_id": stream_id,
        "stream_type": stream_type,
        "version": version,
        "type": event_type,
        "schema_version": schema_version,
        "payload": payload,
        "metadata": metadata,
        # Microseconds, UTC: what timestamptz keeps, so the value hashes the same after a read.
        "recorded_at": recorded_at.isoformat(timespec="microseconds"),
    }
    return hashlib.sha256(prev_hash + canonical_json(record)).digest()
