"""Commands of the people directory."""

from __future__ import annotations

from dataclasses import dataclass

from events.shared.actors import Role


@dataclass(frozen=True)
class RegisterPerson:
    user_id: str  # the id the person's token carries
    name: str
    role: Role


@dataclass(frozen=True)
class DeactivatePerson:
    user_id: str
    reason: str


@dataclass(frozen=True)
class RecordContact:
    """Where reminders reach the person: an email address and, if known, their language."""

    user_id: str
    email: str | None  # None: no email (reminders stay in the app)
    language: str | None  # "en" or "zh"; None: both


PersonCommand = RegisterPerson | DeactivatePerson | RecordContact
