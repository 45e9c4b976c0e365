"""The rule book as versioned data (M15), approved by the general manager (V13)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from events.policy.figures import CapRule, add_working_days, cap_for
from events.policy.model import (
    SEED_FIGURES,
    ApprovePolicy,
    DraftPolicy,
    PolicyApproved,
    PolicyCommand,
    PolicyDrafted,
    PolicyState,
    decide,
    evolve,
    policy_in_force,
    policy_version,
    seed_commands,
)
from events.policy.values import CustomerTier, Host, MealType
from events.shared.actors import SYSTEM, Actor, Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from events.store.envelope import Event, decode, encode

NOW = datetime(2024, 6, 3, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
STAFF = Actor("u-staff", "Li", Role.STAFF)
MANAGER = Actor("u-mgr", "Wang", Role.MANAGER)
GM = Actor("u-gm", "Zhao", Role.GENERAL_MANAGER)


def ctx(actor: Actor, now: datetime = NOW) -> Context:
    return Context(actor=actor, now=now)


def run(state: PolicyState, command: PolicyCommand, actor: Actor) -> PolicyState:
    for event in decide(state, command, ctx(actor)):
        state = evolve(state, event)
    return state


def seeded() -> PolicyState:
    state = PolicyState()
    for command in seed_commands():
        state = run(state, command, SYSTEM)
    return state


def with_version_2(effective: date = date(2024, 7, 1)) -> PolicyState:
    caps = tuple(
        replace(c, cap_fen=22000) if (c.tier, c.meal_type, c.host)
        == (CustomerTier.IMPORTANT, MealType.BANQUET, Host.MANAGER) else c
        for c in SEED_FIGURES.caps
    )
    state = run(seeded(), DraftPolicy(2, replace(SEED_FIGURES, caps=caps), "raise", "Li"), STAFF)
    return run(state, ApprovePolicy(2, effective, reviewed_by="Wang"), GM)


def test_M15_seed_installs_version_1_in_force_from_2000() -> None:
    state = seeded()
    v1 = policy_in_force(state, date(2024, 1, 1))
    assert v1 is not None and v1.version == 1 and v1.figures == SEED_FIGURES
    assert v1.effective_from == date(2000, 1, 1) and v1.approved_by == SYSTEM.user_id
    assert policy_in_force(state, date(1999, 12, 31)) is None


def test_M15_a_decision_under_version_1_still_shows_version_1_after_version_2() -> None:
    state = with_version_2(date(2024, 7, 1))
    before = policy_in_force(state, date(2024, 6, 30))
    after = policy_in_force(state, date(2024, 7, 1))
    assert before is not None and before.version == 1
    assert after is not None and after.version == 2
    old_cap = cap_for(before.figures, CustomerTier.IMPORTANT, MealType.BANQUET, Host.MANAGER)
    assert old_cap is not None and old_cap.cap_fen == 20000
    v1 = policy_version(state, 1)
    assert v1 is not None and v1.figures == SEED_FIGURES


def test_V13_only_the_general_manager_approves() -> None:
    state = run(seeded(), DraftPolicy(2, SEED_FIGURES, "", "Li"), STAFF)
    with pytest.raises(Forbidden) as err:
        decide(state, ApprovePolicy(2, date(2024, 7, 1)), ctx(MANAGER))
    assert err.value.rule == "V13"


def test_V13_the_department_drafts_not_the_general_manager() -> None:
    with pytest.raises(Forbidden):
        decide(seeded(), DraftPolicy(2, SEED_FIGURES, "", "Zhao"), ctx(GM))


def test_V13_nobody_approves_their_own_draft() -> None:
    own_gm = Actor("u-gm", "Zhao", Role.GENERAL_MANAGER)
    drafted = PolicyDrafted(2, SEED_FIGURES, "", "Zhao", own_gm.user_id, NOW)
    state = evolve(seeded(), drafted)
    with pytest.raises(Forbidden):
        decide(state, ApprovePolicy(2, date(2024, 7, 1)), ctx(GM))


def test_V13_approval_records_compiled_reviewed_and_approved_by() -> None:
    state = with_version_2()
    v2 = policy_version(state, 2)
    assert v2 is not None
    assert (v2.drafted_by, v2.reviewed_by, v2.approved_by) == ("u-staff", "Wang", "u-gm")
    draft = state.draft(2)
    assert draft is not None and draft.compiled_by == "Li"


def test_M15_effective_date_must_follow_the_previous_version() -> None:
    state = with_version_2(date(2024, 7, 1))
    state = run(state, DraftPolicy(3, SEED_FIGURES, "", "Li"), STAFF)
    with pytest.raises(ValidationFailed) as err:
        decide(state, ApprovePolicy(3, date(2024, 7, 1)), ctx(GM))
    assert err.value.rule == "M15"


def test_M15_a_version_never_takes_effect_in_the_past() -> None:
    state = run(seeded(), DraftPolicy(2, SEED_FIGURES, "", "Li"), STAFF)
    with pytest.raises(ValidationFailed):
        decide(state, ApprovePolicy(2, date(2024, 6, 2)), ctx(GM))
    assert decide(state, ApprovePolicy(2, date(2024, 6, 3)), ctx(GM))  # today is fine


def test_M15_versions_are_numbered_in_sequence_and_approved_once() -> None:
    with pytest.raises(ValidationFailed):
        decide(seeded(), DraftPolicy(3, SEED_FIGURES, "", "Li"), ctx(STAFF))
    with pytest.raises(InvalidState):
        decide(seeded(), ApprovePolicy(1, date(2030, 1, 1)), ctx(GM))
    with pytest.raises(NotFound):
        decide(seeded(), ApprovePolicy(9, date(2030, 1, 1)), ctx(GM))


def test_M15_an_older_draft_cannot_be_approved_after_a_newer_version() -> None:
    state = run(seeded(), DraftPolicy(2, SEED_FIGURES, "", "Li"), STAFF)
    state = run(state, DraftPolicy(3, SEED_FIGURES, "", "Li"), STAFF)
    state = run(state, ApprovePolicy(3, date(2024, 7, 1)), GM)
    with pytest.raises(InvalidState):
        decide(state, ApprovePolicy(2, date(2024, 8, 1)), ctx(GM))


def test_M1_a_draft_leaving_a_meal_uncapped_is_refused() -> None:
    caps = tuple(c for c in SEED_FIGURES.caps if c.meal_type is not MealType.TEA_PARTY)
    with pytest.raises(ValidationFailed) as err:
        decide(seeded(), DraftPolicy(2, replace(SEED_FIGURES, caps=caps), "", "Li"), ctx(STAFF))
    assert {p.rule for p in err.value.problems} == {"M1"}


def test_M5_a_draft_with_a_bad_cap_lists_every_problem() -> None:
    bad = (*SEED_FIGURES.caps, CapRule(CustomerTier.GENERAL, MealType.BANQUET, Host.STAFF, 0))
    figures = replace(SEED_FIGURES, caps=bad, paperwork_deadline_working_days=0)
    with pytest.raises(ValidationFailed) as err:
        decide(seeded(), DraftPolicy(2, figures, "", "Li"), ctx(STAFF))
    rules = [p.rule for p in err.value.problems]
    assert rules.count("M5") == 2 and "M11" in rules  # duplicate row, zero cap; deadline


def test_M11_working_days_skip_weekends_without_a_holiday_calendar() -> None:
    assert add_working_days(date(2024, 6, 3), 3) == date(2024, 6, 6)  # Mon -> Thu
    assert add_working_days(date(2024, 6, 7), 3) == date(2024, 6, 12)  # Fri -> Wed
    assert add_working_days(date(2024, 6, 8), 3) == date(2024, 6, 12)  # Sat -> Wed
    assert add_working_days(date(2024, 10, 1), 1) == date(2024, 10, 2)  # holidays count


def test_V12_seed_follow_up_delay_is_7_days() -> None:
    assert SEED_FIGURES.follow_up_delay_days == 7
    assert SEED_FIGURES.paperwork_deadline_working_days == 3


@pytest.mark.parametrize(
    "event",
    [
        PolicyDrafted(1, SEED_FIGURES, "notes", "客户服务部", "system", NOW),
        PolicyApproved(1, date(2000, 1, 1), None, "system", NOW),
        PolicyApproved(2, date(2024, 7, 1), "Wang", "u-gm", NOW),
    ],
)
def test_policy_events_round_trip(event: Event) -> None:
    assert decode(event.type_name(), 1, encode(event)) == event
