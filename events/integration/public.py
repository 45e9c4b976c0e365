"""The one shape an integration sees an event in: webhook bodies, NATS messages, and the
GraphQL `data` of the log, subscriptions and history.

Stored payloads keep their own shape (snake_case, integer fen, enum values): they are hashed
and never rewritten. This converts at the edge, by the event's type hints, to the GraphQL API's
conventions: camelCase keys; money (`*_fen` integers) as a decimal string of yuan under the name
without `_fen` (`amount_fen: 140000` -> `amount: "1400.00"`); enums by the API's enum value
(`APPROVED`, `FROM_18_TO_45`); times in the company's zone with their offset.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, tzinfo
from enum import Enum
from functools import cache
from typing import Any

from events.shared.money import format_fen
from events.store.envelope import StoredEvent
from events.store.fastjson import dumps

FEN = "_fen"


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@cache
def public_key(name: str) -> str:
    return camel(name.removesuffix(FEN) if name.endswith(FEN) else name)


_plans: dict[type, tuple[tuple[str, str, bool], ...]] = {}


def _fields_of(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """Each field of a dataclass: its name, its public name, whether it is money. Worked out
    once per class: the relay and the webhooks convert every event of the log."""
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = tuple((f.name, public_key(f.name), f.name.endswith(FEN))
                                   for f in dataclasses.fields(cls))
    return plan


# Values that pass through as they are (exact types: an enum that is also a str is not one).
_PLAIN = frozenset({str, bool, float, type(None)})


def public_value(value: Any, tz: tzinfo, *, money: bool = False) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is int:
        return format_fen(value) if money else value
    if isinstance(value, Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key: public_value(getattr(value, name), tz, money=is_money)
                for name, key, is_money in _fields_of(kind)}
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | frozenset):
        return [public_value(v, tz, money=money) for v in value]
    if isinstance(value, dict):
        return {str(k): public_value(v, tz, money=money) for k, v in value.items()}
    if isinstance(value, int):  # a subclass of int that is not an enum (bool is handled above)
        return format_fen(value) if money else int(value)
    return value


def public_data(e: StoredEvent, tz: tzinfo) -> dict[str, Any]:
    """The event's data in the API's shape; an event type this version does not know keeps its
    stored payload with camelCase keys (nothing else can be inferred without its types)."""
    event = e.event
    data = public_value(event, tz) if event is not None else _untyped(e.payload)
    assert isinstance(data, dict)
    return data


def _untyped(value: Any, money: bool = False) -> Any:
    """A payload without its class: the same renaming, money judged by the key alone."""
    if isinstance(value, dict):
        return {public_key(k): _untyped(v, k.endswith(FEN)) for k, v in value.items()}
    if isinstance(value, list):
        return [_untyped(v, money) for v in value]
    if money and isinstance(value, int) and not isinstance(value, bool):
        return format_fen(value)
    return value


def api_role(stored: str) -> str:
    """A stored role (`manager`) as the API's Role enum value (`MANAGER`)."""
    return stored.upper()


def event_id(e: StoredEvent) -> str:
    """An event's id: its stream and version, unique and the same on every delivery, so
    receivers de-duplicate by it (webhook-id, Nats-Msg-Id)."""
    return f"{e.stream_id}:{e.version}"


def public_event(e: StoredEvent, tz: tzinfo) -> dict[str, Any]:
    m = e.metadata
    return {
        "id": event_id(e), "position": e.position, "type": e.event_type,
        "streamId": e.stream_id, "streamType": e.stream_type, "version": e.version,
        "recordedAt": e.recorded_at.astimezone(tz).isoformat(),
        "actor": {"id": m.actor_id, "name": m.actor_name, "role": api_role(m.actor_role)},
        "correlationId": m.correlation_id, "causationId": m.causation_id,
        "policyVersion": m.policy_version, "hash": e.hash.hex(),
        "data": public_data(e, tz),
        # The personal fields that read as erased (docs/privacy.md); empty for most events.
        "erasedFields": e.erased_fields,
    }


def public_json(e: StoredEvent, tz: tzinfo) -> bytes:
    # msgspec, byte for byte what json.dumps(ensure_ascii=False, compact) wrote (fastjson.py)
    return bytes(dumps(public_event(e, tz)))
