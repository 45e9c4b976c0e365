"""The people directory, pure: who exists, in which role, and whether still active.

The administration department (admin_office) keeps the directory. Not the manager: a manager
who could register people could invent the staff member a verbal approval names and approve
a meal for nobody (M11); not the token's first use either, since a name must exist before a
manager may name it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from events.people.commands import (
    DeactivatePerson,
    PersonCommand,
    RecordContact,
    RegisterPerson,
)
from events.people.events import PersonContactRecorded, PersonDeactivated, PersonRegistered
from events.people.values import contact_problems, person_key
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import InvalidState, NotFound, Problem, ValidationFailed
from events.store.envelope import Event

STREAM_TYPE = "person"
MAX_TEXT = 200


@dataclass(frozen=True)
class PersonState:
    user_id: str
    name: str
    role: Role
    active: bool = True
    email: str | None = None
    language: str | None = None


def decide(state: PersonState | None, command: PersonCommand, ctx: Context) -> list[Event]:
    ctx.require_role(Role.ADMIN_OFFICE, action="keeping the people directory", rule="roles")
    if isinstance(command, RegisterPerson):
        return [_register(state, command, ctx)]
    if isinstance(command, RecordContact):
        return _contact(state, command, ctx)
    return [_deactivate(state, command, ctx)]


def _contact(state: PersonState | None, command: RecordContact, ctx: Context) -> list[Event]:
    if state is None:
        raise NotFound(f"no person {command.user_id}; register them first", field="userId")
    problems = contact_problems(command.email, command.language)
    if problems:
        raise ValidationFailed([Problem(f, "roles", m) for f, m in problems])
    email = command.email.strip() if command.email else None
    if (email, command.language) == (state.email, state.language):
        return []  # nothing changes: a repeated update writes nothing
    return [PersonContactRecorded(state.user_id, email, command.language, ctx.actor.user_id,
                                  ctx.now)]


def _register(state: PersonState | None, command: RegisterPerson, ctx: Context) -> Event:
    problems = [
        Problem(name, "roles", f"{name} is required (at most {MAX_TEXT} characters)")
        for name, value in (("userId", command.user_id), ("name", command.name))
        if not value.strip() or len(value) > MAX_TEXT
    ]
    if problems:
        raise ValidationFailed(problems)
    if state is not None and state.active:
        raise InvalidState(
            f"{state.user_id} is already registered as {state.role.value}; deactivate them "
            "first to register them again", rule="roles",
        )
    return PersonRegistered(command.user_id.strip(), command.name.strip(), command.role,
                            ctx.actor.user_id, ctx.now)


def _deactivate(state: PersonState | None, command: DeactivatePerson, ctx: Context) -> Event:
    if state is None:
        raise NotFound(f"no person {command.user_id}; register them first", field="userId")
    if not state.active:
        raise InvalidState(f"{state.user_id} is already inactive", rule="roles")
    if not command.reason.strip():
        raise ValidationFailed.single("reason", "say why the person leaves the directory",
                                      "roles")
    return PersonDeactivated(state.user_id, command.reason.strip(), ctx.actor.user_id, ctx.now)


def evolve(state: PersonState | None, event: Event) -> PersonState:
    if isinstance(event, PersonRegistered):
        # Registered again after leaving: the contact recorded before is kept.
        kept = (state.email, state.language) if state else (None, None)
        return PersonState(event.user_id, event.name, event.role, True, *kept)
    if state is None:
        raise ValueError(f"{type(event).__name__} before the person was registered")
    if isinstance(event, PersonDeactivated):
        return replace(state, active=False)
    if isinstance(event, PersonContactRecorded):
        return replace(state, email=event.email, language=event.language)
    return state


def named_staff_problem(named: str, person: PersonState | None, approver_id: str) -> str | None:
    """Why `named` cannot be the staff member a verbal approval names, or None (M11)."""
    if person_key(named) == person_key(approver_id):
        return "name the staff member who asked, not yourself"
    if person is None:
        return f"{named.strip()} is not in the people directory; admin_office registers them"
    if not person.active:
        return f"{person.user_id} is no longer active"
    if person.role is not Role.STAFF:
        return f"{person.user_id} is {person.role.value}, not staff"
    return None
