"""Standard Webhooks signatures (https://www.standardwebhooks.com), so receivers verify Kehu's
deliveries with a library they already have (`standardwebhooks` on PyPI and npm, Svix, ...).

Every delivery carries three headers:
- webhook-id: the event id, the same on every retry, so a receiver can drop duplicates;
- webhook-timestamp: Unix seconds of this attempt, signed, so old deliveries cannot be replayed;
- webhook-signature: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per secret,
  separated by spaces: during a secret rotation both the old and the new secret sign, so the
  receiver can switch keys whenever it likes within the overlap.
Secrets are `whsec_` followed by the base64 of 32 random bytes, the key the HMAC uses.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

PREFIX = "whsec_"
KEY_BYTES = 32
TOLERANCE_S = 5 * 60  # the specification's recommended window for webhook-timestamp


class BadSignature(ValueError):
    pass


def generate_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    try:
        key = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is whsec_ followed by base64") from None
    if not 24 <= len(key) <= 64:  # the specification's bounds for the key
        raise ValueError("a webhook secret's key is 24 to 64 bytes")
    return key


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(msg_id: str, timestamp: int, body: bytes, signing_secrets: Sequence[str]
            ) -> dict[str, str]:
    """The three Standard Webhooks headers, signed by every secret given (current first)."""
    if not signing_secrets:
        raise ValueError("at least one secret signs a delivery")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body)
                                      for s in signing_secrets),
    }


def verify(secret: str, received: dict[str, str], body: bytes, now: int) -> None:
    """What a receiver does (used in Kehu's own checks; integrations use their library)."""
    lower = {k.lower(): v for k, v in received.items()}
    try:
        msg_id, timestamp = lower["webhook-id"], int(lower["webhook-timestamp"])
        offered = lower["webhook-signature"].split(" ")
    except (KeyError, ValueError):
        raise BadSignature("missing or malformed webhook headers") from None
    if abs(now - timestamp) > TOLERANCE_S:
        raise BadSignature("webhook-timestamp is outside the tolerance")
    expected = signature(secret, msg_id, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in offered):
        raise BadSignature("no signature matches")
