"""The event envelope: a domain event plus who, when, why and under which rule book.

Domain events are frozen dataclasses named in the past tense. Subclassing `Event` registers the
class under its name; `SCHEMA_VERSION` says which shape of the payload the class describes, and
upcasters lift older stored payloads to the current shape on read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import msgspec

from events.shared.actors import Actor, Role
from events.store.codec import from_data, to_data
from events.store.fastjson import dumps, loads

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_registry: dict[str, type[Event]] = {}
_upcasters: dict[tuple[str, int], Upcaster] = {}


class Event:
    """Base of every domain event. Subclasses are frozen dataclasses."""

    SCHEMA_VERSION: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__name__
        if name in _registry and _registry[name] is not cls:
            raise TypeError(f"event type {name} is registered twice")
        _registry[name] = cls

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that lifts a payload from `from_version` to `from_version + 1`."""

    def register(fn: Upcaster) -> Upcaster:
        _upcasters[(event_type, from_version)] = fn
        return fn

    return register


def event_class(event_type: str) -> type[Event] | None:
    return _registry.get(event_type)


def encode(event: Event) -> dict[str, Any]:
    data = to_data(event)
    assert isinstance(data, dict)
    return data


def decode(event_type: str, schema_version: int, payload: dict[str, Any]) -> Event | None:
    """Payload -> domain event, upcast to the current schema. None for unknown types."""
    cls = _registry.get(event_type)
    if cls is None:
        return None
    version = schema_version
    while version < cls.SCHEMA_VERSION:
        step = _upcasters.get((event_type, version))
        if step is None:
            raise LookupError(f"no upcaster for {event_type} v{version}")
        payload = step(payload)
        version += 1
    decoded: Event = from_data(cls, payload)
    return decoded


_typed: dict[str, msgspec.json.Decoder[Any] | None] = {}


def _typed_decoder(cls: type[Event]) -> msgspec.json.Decoder[Any] | None:
    name = cls.type_name()
    if name not in _typed:
        try:
            _typed[name] = msgspec.json.Decoder(cls)
        except TypeError:  # a field type msgspec does not know: the generic path decodes it
            _typed[name] = None
    return _typed[name]


def decode_json(event_type: str, schema_version: int, raw: str | bytes) -> Event | None:
    """JSON text -> domain event in one pass where the payload is at the current schema:
    msgspec builds the dataclass straight from the text, with the rules of codec.from_data
    (unknown keys ignored, enums by value, ISO dates); anything it will not take, and any older
    schema (upcasters work on dicts), goes the generic way."""
    cls = _registry.get(event_type)
    if cls is None:
        return None
    typed = _typed_decoder(cls) if schema_version == cls.SCHEMA_VERSION else None
    if typed is not None:
        try:
            found: Event = typed.decode(raw)
            return found
        except msgspec.ValidationError:
            pass
    return decode(event_type, schema_version, loads(raw))


@dataclass(frozen=True)
class Metadata:
    """Why and by whom an event was recorded; part of the hashed record."""

    actor_id: str
    actor_name: str
    actor_role: str
    correlation_id: str
    causation_id: str | None = None
    policy_version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_actor(
        cls,
        actor: Actor,
        correlation_id: str,
        causation_id: str | None = None,
        policy_version: int | None = None,
    ) -> Metadata:
        return cls(
            actor_id=actor.user_id,
            actor_name=actor.name,
            actor_role=actor.role.value,
            correlation_id=correlation_id,
            causation_id=causation_id,
            policy_version=policy_version,
        )

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.actor_id, name=self.actor_name, role=Role(self.actor_role))


_metadata_decoder = msgspec.json.Decoder(Metadata)


class StoredEvent:
    """An event as the store holds it: a row of the log, converted at the edge.

    Built once per row on every read of the log, so it is cheap: slots, and the payload and
    metadata kept as the JSON text the row carried until someone asks for them (most readers
    look at a type and a position first; many never open the metadata). Treat it as immutable.
    """

    __slots__ = ("_erased", "_event", "_metadata", "_payload", "event_type", "hash", "position",
                 "recorded_at", "schema_version", "sealed_source", "stream_id", "stream_type",
                 "version")

    def __init__(self, position: int, stream_id: str, stream_type: str, version: int,
                 event_type: str, schema_version: int, payload: dict[str, Any] | str | bytes,
                 metadata: Metadata | dict[str, Any] | str | bytes, recorded_at: datetime,
                 hash: bytes) -> None:
        self.position = position
        self.stream_id = stream_id
        self.stream_type = stream_type
        self.version = version
        self.event_type = event_type
        self.schema_version = schema_version
        self._payload = payload
        self._metadata = metadata
        self.recorded_at = recorded_at
        self.hash = hash
        self._event: Event | _Unset | None = _UNSET
        # The event as stored, when this one carries its personal fields opened: a reader that
        # holds an event a while (a webhook retrying) opens it again, so an erasure meanwhile
        # shows (events/store/shredding.reopen).
        self.sealed_source: StoredEvent | None = None
        self._erased: tuple[str, ...] = ()

    @property
    def payload(self) -> dict[str, Any]:
        raw = self._payload
        if isinstance(raw, (str, bytes)):
            raw = self._payload = loads(raw)
        return raw

    @property
    def stored_payload(self) -> dict[str, Any] | str | bytes:
        """The payload as this object holds it (the row's text until decoded)."""
        return self._payload

    @property
    def erased_fields(self) -> list[str]:
        """The personal fields that read as erased (events/store/shredding.py)."""
        return list(self._erased)

    def opened(self, payload: bytes, erased: tuple[str, ...]) -> StoredEvent:
        """A copy carrying `payload` (JSON text, personal fields opened or erased: see
        events/store/shredding.py); text, so `event` takes the fast typed decoder."""
        copy = StoredEvent(self.position, self.stream_id, self.stream_type, self.version,
                           self.event_type, self.schema_version, payload, self._metadata,
                           self.recorded_at, self.hash)
        copy.sealed_source = self.sealed_source or self
        copy._erased = erased
        return copy

    @property
    def raw_payload(self) -> str | bytes:
        """The payload as JSON text, without decoding it (for relays that pass it on)."""
        raw = self._payload
        return raw if isinstance(raw, (str, bytes)) else dumps(raw)

    @property
    def metadata(self) -> Metadata:
        meta = self._metadata
        if isinstance(meta, Metadata):
            return meta
        if isinstance(meta, (str, bytes)):
            try:  # straight from the text into the dataclass, as events are decoded
                decoded = self._metadata = _metadata_decoder.decode(meta)
                return decoded
            except msgspec.ValidationError:
                pass  # an older shape (extra: null, ...): the generic way below
        data = dict(loads(meta) if isinstance(meta, (str, bytes)) else meta)
        extra = data.pop("extra", {}) or {}
        decoded = self._metadata = Metadata(**data, extra=extra)
        return decoded

    @property
    def event(self) -> Event | None:
        """The domain event, decoded once."""
        found = self._event
        if isinstance(found, _Unset):
            raw = self._payload
            found = self._event = (
                decode_json(self.event_type, self.schema_version, raw)
                if isinstance(raw, (str, bytes))
                else decode(self.event_type, self.schema_version, raw))
        return found

    def __repr__(self) -> str:
        return (f"StoredEvent(position={self.position}, stream_id={self.stream_id!r},"
                f" version={self.version}, event_type={self.event_type!r})")


class _Unset:
    __slots__ = ()


_UNSET = _Unset()
