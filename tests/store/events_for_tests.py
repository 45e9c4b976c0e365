"""Tiny event types for exercising the store itself."""

from dataclasses import dataclass

from events.envelope import Event


@dataclass(frozen=True)
class ThingHappened(Event):
    n: int
    note: str = ""
