"""The people directory, pure: admin_office keeps it; names compare after NFKC and case folding."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events.people.commands import DeactivatePerson, RegisterPerson
from events.people.model import PersonState, decide, evolve, named_staff_problem
from events.people.values import person_key, same_person, stream_id
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound, ValidationFailed

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def ctx(role: Role, user: str = "office1") -> Context:
    return Context(actor=Actor(user, user, role), now=NOW)


def registered(user: str = "staff1", role: Role = Role.STAFF) -> PersonState:
    [event] = decide(None, RegisterPerson(user, "Li Lei", role), ctx(Role.ADMIN_OFFICE))
    return evolve(None, event)


def test_M11_names_compare_after_nfkc_and_case_folding() -> None:
    assert same_person("MGR1", "mgr1 ") and same_person("ｍｇｒ1", "mgr1")
    assert person_key("  Ｓtaff1 ") == "staff1"
    assert stream_id("MGR1") == stream_id("ｍｇｒ1") != stream_id("mgr2")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.STAFF, Role.GENERAL_MANAGER, Role.AUDITOR])
def test_M11_only_admin_office_keeps_the_directory(role: Role) -> None:
    with pytest.raises(Forbidden):
        decide(None, RegisterPerson("staff9", "X", Role.STAFF), ctx(role))


def test_M11_register_then_deactivate_with_a_reason() -> None:
    person = registered()
    assert person.active and person.role is Role.STAFF
    with pytest.raises(InvalidState):
        decide(person, RegisterPerson("STAFF1", "Li", Role.STAFF), ctx(Role.ADMIN_OFFICE))
    with pytest.raises(ValidationFailed):
        decide(person, DeactivatePerson("staff1", " "), ctx(Role.ADMIN_OFFICE))
    [event] = decide(person, DeactivatePerson("staff1", "left"), ctx(Role.ADMIN_OFFICE))
    assert not evolve(person, event).active
    with pytest.raises(NotFound):
        decide(None, DeactivatePerson("ghost", "left"), ctx(Role.ADMIN_OFFICE))


def test_M11_a_verbal_approval_names_an_active_staff_member_other_than_the_approver() -> None:
    staff = registered()
    assert named_staff_problem("STAFF1", staff, "mgr1") is None
    assert "yourself" in (named_staff_problem("ｍｇｒ1", staff, "mgr1") or "")
    assert "not in the people directory" in (named_staff_problem("nobody", None, "mgr1") or "")
    gone = evolve(staff, decide(staff, DeactivatePerson("staff1", "left"),
                                ctx(Role.ADMIN_OFFICE))[0])
    assert "no longer active" in (named_staff_problem("staff1", gone, "mgr1") or "")
    boss = registered("mgr2", Role.MANAGER)
    assert "not staff" in (named_staff_problem("mgr2", boss, "mgr1") or "")


def test_contacts_are_kept_by_admin_office_plain_and_recorded_once() -> None:
    from events.people.commands import RecordContact

    person = registered()
    with pytest.raises(Forbidden):
        decide(person, RecordContact("staff1", "li@example.com", "zh"), ctx(Role.MANAGER))
    with pytest.raises(ValidationFailed) as wrong:
        decide(person, RecordContact("staff1", "li@example.com\nBcc: x@example.com", "fr"),
               ctx(Role.ADMIN_OFFICE))
    assert {p.field for p in wrong.value.problems} == {"email", "language"}
    [event] = decide(person, RecordContact("staff1", " li@example.com ", "zh"),
                     ctx(Role.ADMIN_OFFICE))
    person = evolve(person, event)
    assert (person.email, person.language) == ("li@example.com", "zh")
    assert decide(person, RecordContact("staff1", "li@example.com", "zh"),
                  ctx(Role.ADMIN_OFFICE)) == []
    again = evolve(evolve(person, decide(person, DeactivatePerson("staff1", "left"),
                                         ctx(Role.ADMIN_OFFICE))[0]),
                   decide(None, RegisterPerson("staff1", "Li Lei", Role.STAFF),
                          ctx(Role.ADMIN_OFFICE))[0])
    assert again.active and again.email == "li@example.com"
