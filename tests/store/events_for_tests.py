"""Tiny event types for exercising the store itself."""

from dataclasses import dataclass

from events.store.envelope import Event


@dataclass(frozen=True)
class ThingHappened(Event):
    n: int
    note: str = ""
