"""JSON for the log's hot paths: msgspec, byte-for-byte equal to the standard library's output.

The hash chain is defined over `json.dumps(value, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)` encoded as UTF-8 (events/store/hashing.py). msgspec writes exactly those bytes
for the values events hold (str keys, strings, ints of any size, bools, None, lists, dicts: no
floats, see events/store/codec.py), several times faster; tests/store/test_fastjson.py
proves the equality with property tests and over a demo log written through the rules.
Whatever msgspec refuses falls back to the standard library: the bytes never change.
(msgspec rather than orjson: orjson reads integers beyond 64 bits as floats, silently.)

JSONB travels in PostgreSQL's binary format (a version byte, then the text), so asyncpg hands
bytes straight to the decoder without building an intermediate str. A value already
serialised for the hash (`Encoded`) is sent as is: each payload is serialised once per append.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

_JSONB_VERSION = b"\x01"
_sorted = msgspec.json.Encoder(order="sorted")
_plain = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class Encoded(bytes):
    """JSON text (UTF-8) that the JSONB encoder passes through unchanged."""

    __slots__ = ()


def canonical(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the hashed form of a value."""
    try:
        return _sorted.encode(value)
    except (TypeError, ValueError, msgspec.EncodeError):
        return json.dumps(value, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()


def dumps(value: Any) -> bytes:
    """Compact JSON for storage (key order is the caller's; JSONB sorts anyway)."""
    if isinstance(value, Encoded):
        return value
    try:
        return _plain.encode(value)
    except (TypeError, ValueError, msgspec.EncodeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    return _decoder.decode(data)


def jsonb_encode(value: Any) -> bytes:
    return _JSONB_VERSION + dumps(value)


def jsonb_decode(data: bytes) -> Any:
    return _decoder.decode(memoryview(data)[1:])


def json_encode(value: Any) -> bytes:
    return dumps(value)


def json_decode(data: bytes) -> Any:
    return _decoder.decode(data)
