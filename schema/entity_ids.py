"""Ids of new entities, and the checks on ids and idempotency keys the API accepts.

A client may choose the id (a UUID) of what it creates, or leave it to the server. A server id
must come out the same when a command is retried with the same idempotency key, or the retry
would look like a different command (IdempotencyKeyReused); so it is derived from the actor and
the key, and random (uuid4) only when there is no key.
"""

from __future__ import annotations

import uuid

from events.shared.actors import Actor
from events.shared.errors import ValidationFailed

MAX_KEY = 200
MAX_REF = 100  # ids of existing things (customers, visits, users)
_NAMESPACE = uuid.UUID("0d7e6a52-7f5c-4a57-a6a3-1c2f1a9b8e41")


def check_key(key: str | None) -> None:
    if key is not None and not 1 <= len(key) <= MAX_KEY:
        raise ValidationFailed.single("idempotencyKey", f"1 to {MAX_KEY} characters", "format")


def new_id(given: str | None, *, field: str, actor: Actor, key: str | None, kind: str) -> str:
    if given is not None:
        try:
            return str(uuid.UUID(given))
        except ValueError:
            raise ValidationFailed.single(field, "must be a UUID", "format") from None
    if key is not None:
        return str(uuid.uuid5(_NAMESPACE, f"{kind}/{actor.user_id}/{key}"))
    return str(uuid.uuid4())


def ref(value: str, field: str) -> str:
    """An id naming something that exists: bounded, so no input can be arbitrarily long."""
    if not 1 <= len(value) <= MAX_REF:
        raise ValidationFailed.single(field, f"1 to {MAX_REF} characters", "format")
    return value
