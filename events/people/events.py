"""Events of the people directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from events.shared.actors import Role
from events.store.envelope import Event


@dataclass(frozen=True)
class PersonRegistered(Event):
    user_id: str
    name: str
    role: Role
    registered_by: str
    registered_at: datetime


@dataclass(frozen=True)
class PersonDeactivated(Event):
    user_id: str
    reason: str
    deactivated_by: str
    deactivated_at: datetime


@dataclass(frozen=True)
class PersonContactRecorded(Event):
    """The person's email address and language for reminders (events/reminders)."""

    user_id: str
    email: str | None
    language: str | None
    recorded_by: str
    recorded_at: datetime


PERSON_EVENTS: tuple[type[Event], ...] = (PersonRegistered, PersonDeactivated,
                                          PersonContactRecorded)
