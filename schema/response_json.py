"""JSON text of GraphQL responses and WebSocket messages.

msgspec writes what the standard library would parse back to the same value, several times
faster, and passes `msgspec.Raw` (JSON text already made, such as a stored payload) through
without decoding and encoding it again. Non-ASCII text is written as UTF-8 rather than
`\\uXXXX` escapes (the same JSON), and a float NaN or infinity as null (the standard library
wrote `NaN`, which is not JSON). An object it does not know is an error, as it was.
"""

from __future__ import annotations

import msgspec

_encoder = msgspec.json.Encoder()


def response_json(data: object) -> str:
    return _encoder.encode(data).decode()
