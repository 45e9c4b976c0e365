"""The meal request aggregate (M2-M4, M6-M15), pure: decide() and evolve() only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from events.meals.commands import (
    ApproveMeal,
    ApproveMealVerbally,
    CompleteMealPaperwork,
    DenyReimbursement,
    IssueMealVouchers,
    MealCommand,
    MealRequestForm,
    RecordMealCost,
    RejectMeal,
    RequestMeal,
    SettleMeal,
    SignMealCost,
)
from events.meals.events import (
    MEAL_EVENTS,
    MealApproved,
    MealApprovedVerbally,
    MealCostRecorded,
    MealCostSigned,
    MealPaperworkCompleted,
    MealReimbursementDenied,
    MealRejected,
    MealRequested,
    MealSettled,
    MealVouchersIssued,
)
from events.meals.model import (
    MealState,
    MealStatus,
    RuleBook,
    decide_cost,
    decide_new,
    decide_step,
    evolve,
    stream_id,
)
from events.meals.rules import Finding, PolicyBlocked, Severity
from events.policy.figures import SEED_FIGURES
from events.policy.values import CustomerTier, Host, MealType
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from events.store.envelope import Event, decode, encode

IMP, GEN = CustomerTier.IMPORTANT, CustomerTier.GENERAL
NOW = datetime(2024, 6, 3, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
MEAL_AT = datetime(2024, 6, 5, 11, 0, tzinfo=UTC)  # Wednesday 19:00 in Shanghai
AFTER = MEAL_AT + timedelta(hours=3)
STAFF = Actor("u-staff", "Li", Role.STAFF)
OTHER_STAFF = Actor("u-staff2", "Chen", Role.STAFF)
MANAGER = Actor("u-mgr", "Wang", Role.MANAGER)
MANAGER_2 = Actor("u-mgr2", "Sun", Role.MANAGER)
ADMIN = Actor("u-admin", "Liu", Role.ADMIN_OFFICE)


def form(**changes: object) -> MealRequestForm:
    base = MealRequestForm(
        customer_id="c-1", organisation="Huaxin Ltd", meal_at=MEAL_AT,
        meal_type=MealType.BANQUET, host=Host.STAFF, guests=4, accompanying=2,
        restaurant="Jade Garden", estimated_total_fen=6 * 9_000, purpose="contract talks",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def decide(state: MealState | None, command: MealCommand, ctx: Context, rules: RuleBook,
           tier: CustomerTier) -> list[Event]:
    """What the handler does: each command to its decide, with the facts it needs."""
    if isinstance(command, RequestMeal | ApproveMealVerbally):
        return decide_new(state, command, ctx, rules, tier)
    if isinstance(command, RecordMealCost):
        return decide_cost(state, command, ctx, rules)
    return decide_step(state, command, ctx)


def act(
    state: MealState | None, command: MealCommand, actor: Actor, *, now: datetime = NOW,
    tier: CustomerTier = IMP,
) -> tuple[MealState, list[Event]]:
    ctx = Context(actor=actor, now=now)
    events = decide(state, command, ctx, RuleBook(SEED_FIGURES, 1), tier)
    for event in events:
        state = evolve(state, event)
    assert state is not None
    return state, events


def requested(tier: CustomerTier = IMP, **changes: object) -> MealState:
    return act(None, RequestMeal("m-1", form(**changes)), STAFF, tier=tier)[0]


def approved(tier: CustomerTier = IMP, **changes: object) -> MealState:
    return act(requested(tier, **changes), ApproveMeal("m-1"), MANAGER)[0]


def cost(total: int = 6 * 9_000, drinks: int = 9_000) -> RecordMealCost:
    return RecordMealCost("m-1", total, drinks, guests=4, accompanying=2)


def held() -> MealState:
    return act(approved(), cost(), STAFF, now=AFTER)[0]


def verbal(now: datetime = NOW) -> MealState:
    command = ApproveMealVerbally(
        "m-1", requested_by=STAFF.user_id, customer_id="c-1", meal_at=MEAL_AT,
        restaurant="Jade Garden", guests=4, accompanying=2, meal_type=MealType.BANQUET,
        host=Host.STAFF, urgency_reason="delegation arrived early", estimated_total_fen=50_000,
    )
    return act(None, command, MANAGER, now=now)[0]


def pending() -> MealState:
    return act(verbal(), cost(), STAFF, now=AFTER)[0]


def test_stream_id() -> None:
    assert stream_id("m-1") == "meal-m-1"


# --- M2 approval before the meal ---------------------------------------------------------------
def test_M2_a_meal_is_requested_before_it_happens() -> None:
    with pytest.raises(ValidationFailed) as err:
        act(None, RequestMeal("m-1", form(meal_at=NOW)), STAFF)
    assert err.value.rule == "M2"


def test_M2_the_manager_approves_before_the_meal() -> None:
    state, events = act(requested(), ApproveMeal("m-1", note="ok"), MANAGER)
    assert state.status is MealStatus.APPROVED
    assert events == [MealApproved("m-1", "u-mgr", NOW, "ok", exception_approved=False)]
    with pytest.raises(InvalidState) as err:
        act(requested(), ApproveMeal("m-1"), MANAGER, now=AFTER)
    assert err.value.rule == "M2"


def test_M2_only_a_manager_approves_and_never_their_own_request() -> None:
    with pytest.raises(Forbidden):
        act(requested(), ApproveMeal("m-1"), OTHER_STAFF)
    own = act(None, RequestMeal("m-1", form()), MANAGER)[0]
    with pytest.raises(Forbidden):
        act(own, ApproveMeal("m-1"), MANAGER)
    assert act(own, ApproveMeal("m-1"), MANAGER_2)[0].status is MealStatus.APPROVED


def test_M2_rejection_needs_a_reason_and_ends_the_request() -> None:
    with pytest.raises(ValidationFailed):
        act(requested(), RejectMeal("m-1", " "), MANAGER)
    state, events = act(requested(), RejectMeal("m-1", "too costly"), MANAGER)
    assert state.status is MealStatus.REJECTED
    assert events == [MealRejected("m-1", "u-mgr", NOW, "too costly")]
    with pytest.raises(InvalidState):
        act(state, ApproveMeal("m-1"), MANAGER)


# --- M3 / M4 the written request ---------------------------------------------------------------
def test_M3_the_request_lists_organisation_restaurant_and_headcount() -> None:
    with pytest.raises(ValidationFailed) as err:
        act(None, RequestMeal("m-1", form(organisation="", restaurant=" ", guests=0)), STAFF)
    assert {p.field for p in err.value.problems} == {"organisation", "restaurant", "guests"}


def test_M3_staff_and_managers_request_others_may_not() -> None:
    with pytest.raises(Forbidden):
        act(None, RequestMeal("m-1", form()), ADMIN)
    with pytest.raises(InvalidState):
        act(requested(), RequestMeal("m-1", form()), STAFF)


def test_M3_the_request_records_requester_tier_findings_and_version() -> None:
    state, [event] = act(None, RequestMeal("m-1", form()), STAFF)
    assert isinstance(event, MealRequested)
    assert (event.requested_by, event.customer_tier, event.policy_version) == ("u-staff", IMP, 1)
    assert state.status is MealStatus.REQUESTED and state.findings == ()


def test_M4_a_meal_the_manager_hosts_names_the_arranging_specialist() -> None:
    with pytest.raises(ValidationFailed) as err:
        act(None, RequestMeal("m-1", form(host=Host.MANAGER)), STAFF)
    assert err.value.field == "arrangingSpecialist" and err.value.rule == "M4"
    ok = requested(host=Host.MANAGER, arranging_specialist="u-staff")
    assert ok.host is Host.MANAGER


# --- M5 / M6 caps and policy exceptions --------------------------------------------------------
def test_M5_a_request_over_the_cap_is_blocked_without_an_exception_reason() -> None:
    with pytest.raises(PolicyBlocked) as err:
        act(None, RequestMeal("m-1", form(estimated_total_fen=6 * 10_001)), STAFF)
    assert [f.rule for f in err.value.findings] == ["M5"]


def test_M6_an_exception_reason_files_a_policy_exception_the_manager_approves_explicitly() -> None:
    state = requested(estimated_total_fen=6 * 12_000, exception_reason="foreign delegation")
    assert state.policy_exception and state.findings[0].rule == "M5"
    with pytest.raises(InvalidState) as err:
        act(state, ApproveMeal("m-1"), MANAGER)
    assert err.value.rule == "M6"
    state, [event] = act(state, ApproveMeal("m-1", approve_exception=True), MANAGER)
    assert isinstance(event, MealApproved) and event.exception_approved


# --- M7 / M8 ------------------------------------------------------------------------------------
def test_M7_drinks_over_a_third_block_important_and_warn_general() -> None:
    heavy = {"estimated_total_fen": 30_000, "estimated_drinks_fen": 10_001}
    with pytest.raises(PolicyBlocked):
        requested(IMP, **heavy)
    state = requested(GEN, **heavy)
    assert [(f.rule, f.severity) for f in state.findings] == [("M7", Severity.WARN)]
    assert not state.policy_exception


def test_M8_five_guests_with_four_accompanying_block_important_warn_general() -> None:
    crowd = {"guests": 5, "accompanying": 4, "estimated_total_fen": 9 * 5_000}
    with pytest.raises(PolicyBlocked):
        requested(IMP, **crowd)
    assert requested(IMP, guests=5, accompanying=3).status is MealStatus.REQUESTED
    state = requested(GEN, **crowd)
    assert [(f.rule, f.severity) for f in state.findings] == [("M8", Severity.WARN)]


# --- M9 -----------------------------------------------------------------------------------------
def test_M9_the_manager_attending_still_books_to_customer_service() -> None:
    _, [event] = act(None, RequestMeal("m-1", form(manager_attends=True)), STAFF)
    assert isinstance(event, MealRequested)
    assert event.form.manager_attends and event.cost_center == "customer_service"


# --- M10 canteen vouchers -----------------------------------------------------------------------
def test_M10_admin_office_issues_vouchers_for_an_approved_general_canteen_meal() -> None:
    state = approved(GEN, meal_type=MealType.CANTEEN, estimated_total_fen=0)
    state, [event] = act(state, IssueMealVouchers("m-1", 6), ADMIN)
    assert event == MealVouchersIssued("m-1", 6, "u-staff", "u-admin", NOW)
    assert state.vouchers_issued == 6
    with pytest.raises(InvalidState):
        act(state, IssueMealVouchers("m-1", 1), ADMIN)


def test_M10_vouchers_are_refused_to_others_and_outside_general_canteen_meals() -> None:
    canteen = approved(GEN, meal_type=MealType.CANTEEN, estimated_total_fen=0)
    with pytest.raises(Forbidden):
        act(canteen, IssueMealVouchers("m-1", 2), STAFF)
    with pytest.raises(ValidationFailed):
        act(canteen, IssueMealVouchers("m-1", 7), ADMIN)
    with pytest.raises(InvalidState):
        act(approved(IMP, meal_type=MealType.CANTEEN), IssueMealVouchers("m-1", 2), ADMIN)
    with pytest.raises(InvalidState):
        act(approved(GEN, estimated_total_fen=6 * 5_000), IssueMealVouchers("m-1", 2), ADMIN)
    unapproved = requested(GEN, meal_type=MealType.CANTEEN)
    with pytest.raises(InvalidState):
        act(unapproved, IssueMealVouchers("m-1", 2), ADMIN)


# --- M11 verbal approval in an emergency --------------------------------------------------------
def test_M11_verbal_approval_then_cost_then_paperwork_then_sign_and_settle() -> None:
    state = verbal()
    assert state.status is MealStatus.VERBALLY_APPROVED and state.requested_by == "u-staff"
    assert state.paperwork_due == date(2024, 6, 10)  # Wed + 3 working days = Mon
    state = act(state, cost(), STAFF, now=AFTER)[0]
    assert state.status is MealStatus.PENDING_PAPERWORK
    state, [done] = act(state, CompleteMealPaperwork("m-1", form()), STAFF, now=AFTER)
    assert isinstance(done, MealPaperworkCompleted)
    assert state.status is MealStatus.PAPERWORK_COMPLETED
    state = act(state, SignMealCost("m-1"), MANAGER, now=AFTER)[0]
    state = act(state, SettleMeal("m-1", "b-1", "2024-06"), MANAGER, now=AFTER)[0]
    assert state.status is MealStatus.SETTLED


def test_M11_only_a_manager_approves_verbally_never_for_themselves() -> None:
    command = ApproveMealVerbally(
        "m-1", requested_by="u-mgr", customer_id="c-1", meal_at=MEAL_AT, restaurant="Jade",
        guests=2, accompanying=1, meal_type=MealType.BANQUET, host=Host.STAFF,
        urgency_reason="now",
    )
    with pytest.raises(Forbidden):
        act(None, command, MANAGER)
    with pytest.raises(Forbidden):
        act(None, replace(command, requested_by="u-staff"), STAFF)
    with pytest.raises(ValidationFailed):
        act(None, replace(command, requested_by="u-staff", urgency_reason=""), MANAGER)


def test_M11_verbal_approval_is_recorded_by_the_meal_day() -> None:
    with pytest.raises(ValidationFailed) as err:
        verbal(now=MEAL_AT + timedelta(days=1))
    assert err.value.rule == "M11"
    assert verbal(now=AFTER).status is MealStatus.VERBALLY_APPROVED  # same day, after dinner


def test_M11_paperwork_is_completed_by_the_requester_within_the_deadline() -> None:
    with pytest.raises(Forbidden):
        act(pending(), CompleteMealPaperwork("m-1", form()), OTHER_STAFF, now=AFTER)
    last_day = datetime(2024, 6, 10, 15, 59, tzinfo=UTC)  # 23:59 Monday in Shanghai
    assert act(pending(), CompleteMealPaperwork("m-1", form()), STAFF, now=last_day)
    too_late = datetime(2024, 6, 10, 16, 0, tzinfo=UTC)  # 00:00 Tuesday in Shanghai
    with pytest.raises(InvalidState) as err:
        act(pending(), CompleteMealPaperwork("m-1", form()), STAFF, now=too_late)
    assert err.value.rule == "M11"


def test_M11_paperwork_follows_the_meal_and_names_the_same_customer() -> None:
    with pytest.raises(InvalidState):
        act(verbal(), CompleteMealPaperwork("m-1", form()), STAFF)
    with pytest.raises(ValidationFailed):
        act(pending(), CompleteMealPaperwork("m-1", form(customer_id="c-2")), STAFF, now=AFTER)


# --- M12 cost, annotation and signature ---------------------------------------------------------
def test_M12_the_cost_is_recorded_after_the_meal_and_re_evaluated() -> None:
    with pytest.raises(InvalidState):
        act(approved(), cost(), STAFF)
    state, [event] = act(approved(), cost(total=6 * 11_000, drinks=30_000), STAFF, now=AFTER)
    assert isinstance(event, MealCostRecorded) and event.policy_version == 1
    assert [f.rule for f in event.findings] == ["M5", "M7"]
    assert state.status is MealStatus.HELD and state.total_fen == 66_000


def test_M12_the_requester_or_a_manager_records_the_cost() -> None:
    with pytest.raises(Forbidden):
        act(approved(), cost(), OTHER_STAFF, now=AFTER)
    assert act(approved(), cost(), MANAGER, now=AFTER)[0].status is MealStatus.HELD


def test_M12_a_manager_other_than_the_requester_signs() -> None:
    state, [event] = act(held(), SignMealCost("m-1", "checked"), MANAGER, now=AFTER)
    assert event == MealCostSigned("m-1", "checked", "u-mgr", AFTER)
    assert state.status is MealStatus.SIGNED
    with pytest.raises(Forbidden):
        act(held(), SignMealCost("m-1"), STAFF, now=AFTER)
    own = act(act(None, RequestMeal("m-1", form()), MANAGER)[0], ApproveMeal("m-1"), MANAGER_2)[0]
    own = act(own, cost(), MANAGER, now=AFTER)[0]
    with pytest.raises(Forbidden):
        act(own, SignMealCost("m-1"), MANAGER, now=AFTER)


def test_M12_a_bill_over_the_rules_is_signed_only_with_an_annotation() -> None:
    over = act(approved(), cost(total=6 * 11_000), STAFF, now=AFTER)[0]
    with pytest.raises(ValidationFailed) as err:
        act(over, SignMealCost("m-1"), MANAGER, now=AFTER)
    assert err.value.field == "annotation"
    assert act(over, SignMealCost("m-1", "guest count grew"), MANAGER, now=AFTER)


# --- M13 settlement -----------------------------------------------------------------------------
def test_M13_only_signed_meals_are_settled_by_a_manager() -> None:
    with pytest.raises(InvalidState):
        act(held(), SettleMeal("m-1", "b-1", "2024-06"), MANAGER, now=AFTER)
    signed = act(held(), SignMealCost("m-1"), MANAGER, now=AFTER)[0]
    with pytest.raises(Forbidden):
        act(signed, SettleMeal("m-1", "b-1", "2024-06"), STAFF, now=AFTER)
    state, [event] = act(signed, SettleMeal("m-1", "b-1", "2024-06"), MANAGER_2, now=AFTER)
    assert event == MealSettled("m-1", "b-1", "2024-06", "u-mgr2", AFTER)
    assert state.settled_bill_id == "b-1"
    with pytest.raises(InvalidState):
        act(state, SettleMeal("m-1", "b-2", "2024-06"), MANAGER, now=AFTER)


# --- M14 no paperwork, no reimbursement ---------------------------------------------------------
def test_M14_reimbursement_is_denied_once_the_deadline_passed_without_paperwork() -> None:
    late = datetime(2024, 6, 11, 2, 0, tzinfo=UTC)  # Tuesday after the Monday deadline
    with pytest.raises(InvalidState) as err:
        act(pending(), DenyReimbursement("m-1", "no paperwork"), MANAGER, now=AFTER)
    assert err.value.rule == "M14"
    with pytest.raises(ValidationFailed):
        act(pending(), DenyReimbursement("m-1", ""), MANAGER, now=late)
    with pytest.raises(Forbidden):
        act(pending(), DenyReimbursement("m-1", "no paperwork"), STAFF, now=late)
    state, [event] = act(pending(), DenyReimbursement("m-1", "no paperwork"), MANAGER, now=late)
    assert event == MealReimbursementDenied("m-1", "no paperwork", "u-mgr", late)
    assert state.status is MealStatus.REIMBURSEMENT_DENIED
    assert act(verbal(), DenyReimbursement("m-1", "never filed"), MANAGER, now=late)


def test_M14_a_meal_with_completed_paperwork_is_never_denied() -> None:
    done = act(pending(), CompleteMealPaperwork("m-1", form()), STAFF, now=AFTER)[0]
    late = datetime(2024, 6, 20, 2, 0, tzinfo=UTC)
    with pytest.raises(InvalidState):
        act(done, DenyReimbursement("m-1", "late"), MANAGER, now=late)
    with pytest.raises(InvalidState):
        act(held(), DenyReimbursement("m-1", "late"), MANAGER, now=late)


# --- M15 and plumbing ---------------------------------------------------------------------------
def test_M15_decisions_record_the_policy_version_they_were_made_under() -> None:
    ctx = Context(actor=STAFF, now=NOW)
    [event] = decide_new(None, RequestMeal("m-1", form()), ctx, RuleBook(SEED_FIGURES, 7), IMP)
    assert isinstance(event, MealRequested) and event.policy_version == 7


def test_commands_on_an_unknown_meal_are_not_found() -> None:
    with pytest.raises(NotFound):
        act(None, ApproveMeal("m-9"), MANAGER)
    with pytest.raises(ValueError):
        evolve(None, MealRejected("m-9", "u", NOW, "x"))


FINDING = Finding("M5", Severity.BLOCK, "over", "215.00", "200.00")
SAMPLE_EVENTS: list[Event] = [
    MealRequested("m-1", form(exception_reason="x", estimated_drinks_fen=5), "u", NOW, IMP,
                  (FINDING,), True, 1, "customer_service"),
    MealApproved("m-1", "u", NOW, "note", True),
    MealRejected("m-1", "u", NOW, "why"),
    MealApprovedVerbally("m-1", "u", "c", "org", MEAL_AT, "r", 2, 1, MealType.TEA_PARTY,
                         Host.MANAGER, "urgent", None, GEN, (FINDING,), False, 1,
                         date(2024, 6, 10), "customer_service", "m", NOW),
    MealPaperworkCompleted("m-1", form(), "u", NOW),
    MealVouchersIssued("m-1", 3, "u", "a", NOW),
    MealCostRecorded("m-1", 100, 10, 2, 1, (FINDING,), 1, "u", NOW),
    MealCostSigned("m-1", "", "m", NOW),
    MealSettled("m-1", "b", "2024-06", "m", NOW),
    MealReimbursementDenied("m-1", "why", "m", NOW),
]


def test_every_meal_event_class_has_a_round_trip_sample() -> None:
    assert {type(e) for e in SAMPLE_EVENTS} == set(MEAL_EVENTS)


@pytest.mark.parametrize("event", SAMPLE_EVENTS, ids=lambda e: type(e).__name__)
def test_meal_events_round_trip(event: Event) -> None:
    assert decode(event.type_name(), 1, encode(event)) == event
