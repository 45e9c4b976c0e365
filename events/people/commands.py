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


PersonCommand = RegisterPerson | DeactivatePerson
