"""The event envelope: a domain event plus who, when, why and under which rule book.

Domain events are frozen dataclasses named in the past tense. Subclassing `Event` registers the
class under its name; `SCHEMA_VERSION` says which shape of the payload the class describes, and
upcasters lift older stored payloads to the current shape on read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar

from events.shared.actors import Actor, Role
from events.store.codec import from_data, to_data

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


@dataclass(frozen=True)
class StoredEvent:
    """An event as the store holds it: a row of the log, converted at the edge."""

    position: int
    stream_id: str
    stream_type: str
    version: int
    event_type: str
    schema_version: int
    payload: dict[str, Any]
    metadata: Metadata
    recorded_at: datetime
    hash: bytes

    @cached_property
    def event(self) -> Event | None:
        """The domain event, decoded once (cached_property writes past the frozen guard)."""
        return decode(self.event_type, self.schema_version, self.payload)
