"""The visit aggregate (RULES V1-V12), decided and folded without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from events.customers import model as customers
from events.customers.commands import RegisterCustomer
from events.customers.values import Contact, CreditDirection, CustomerStatus, Tier
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from events.store.envelope import Event, decode, encode
from events.visits.commands import (
    CommitmentFulfilled,
    CommitmentRecorded,
    FileVisitReport,
    FollowUpLogged,
    FulfillCommitment,
    LogFollowUp,
    LogVisit,
    PlanVisit,
    RecordCommitment,
    VisitCommand,
    VisitLogged,
    VisitPlanned,
    VisitReportFiled,
    credit_changes_found,
    prospects_found,
)
from events.visits.commitments import (
    CommitmentStatus,
    follow_ups_due,
    overdue_commitments,
    overdue_follow_ups,
)
from events.visits.model import STREAM_TYPE, VisitState, VisitStatus, decide, evolve, stream_id
from events.visits.values import (
    Finding,
    FindingKind,
    Gift,
    InformationTopic,
    Material,
    Objection,
    Receiver,
    VisitChannel,
    VisitPurpose,
)

NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2025, 3, 10)
STAFF = Actor("u-staff", "Li", Role.STAFF)
OTHER_STAFF = Actor("u-other", "Zhou", Role.STAFF)
MANAGER = Actor("u-mgr", "Wang", Role.MANAGER)
AUDITOR = Actor("u-aud", "Sun", Role.AUDITOR)


def ctx(actor: Actor = STAFF, today: date = TODAY) -> Context:
    return Context(actor=actor, now=NOW + (today - TODAY))


def plan(**changes: object) -> PlanVisit:
    command = PlanVisit(
        visit_id="v1",
        customer_id="c1",
        planned_date=TODAY + timedelta(days=2),
        purposes=(VisitPurpose.LEARN_NEEDS,),
        objectives=("learn next quarter's volume",),
    )
    return replace(command, **changes)  # type: ignore[arg-type]


def log(**changes: object) -> LogVisit:
    command = LogVisit(
        visit_id="v1",
        actual_date=TODAY,
        received_by=Receiver("Zhang Wei", "Purchasing head", decision_maker=True),
        attitude_to_products="likes the green tea, finds packaging dated",
        training_minutes=90,
    )
    return replace(command, **changes)  # type: ignore[arg-type]


def run(
    state: VisitState | None, *commands: VisitCommand, c: Context | None = None, **kw: object
) -> tuple[VisitState | None, list[Event]]:
    """Decide and fold each command in turn, as the handler would."""
    produced: list[Event] = []
    for command in commands:
        for event in decide(state, command, c or ctx(), **kw):  # type: ignore[arg-type]
            state = evolve(state, event)
            produced.append(event)
    return state, produced


def planned() -> VisitState:
    state, _ = run(None, plan())
    assert state is not None
    return state


def logged(**log_changes: object) -> VisitState:
    state, _ = run(planned(), log(**log_changes))
    assert state is not None
    return state


def with_commitment(due: date = TODAY + timedelta(days=5), owner: str = "u-staff") -> VisitState:
    state, _ = run(logged(), RecordCommitment("v1", "k1", "send samples", due, owner))
    assert state is not None
    return state


def fulfilled(on: date = TODAY, follow_up_days: int = 7) -> VisitState:
    state, _ = run(
        with_commitment(), FulfillCommitment("v1", "k1", on), follow_up_days=follow_up_days
    )
    assert state is not None
    return state


def problems(err: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str | None, str | None]]:
    return {(p.field, p.rule) for p in err.value.problems}


def refused(
    state: VisitState | None, command: VisitCommand, c: Context | None = None
) -> set[tuple[str | None, str | None]]:
    with pytest.raises(ValidationFailed) as err:
        decide(state, command, c or ctx())
    return problems(err)


def test_stream_naming() -> None:
    assert STREAM_TYPE == "visit"
    assert stream_id("v1") == "visit-v1"


# --- V1 purposes -----------------------------------------------------------------------------


def test_V1_plan_records_its_purposes_once_each() -> None:
    purposes = (VisitPurpose.HELP_WITH_PROBLEM, VisitPurpose.COLLECT_INFORMATION)
    [event] = decide(None, plan(purposes=(*purposes, VisitPurpose.HELP_WITH_PROBLEM)), ctx())
    assert isinstance(event, VisitPlanned)
    assert event.purposes == purposes


def test_V1_plan_without_a_purpose_is_refused() -> None:
    assert ("purposes", "V1") in refused(None, plan(purposes=()))


def test_V1_unplanned_visit_needs_a_purpose() -> None:
    assert ("purposes", "V1") in refused(None, log(unplanned=True, customer_id="c1"))


def test_V1_log_keeps_the_plans_purposes_unless_others_were_served() -> None:
    _, [_, event] = run(None, plan(), log())
    assert isinstance(event, VisitLogged)
    assert event.purposes == (VisitPurpose.LEARN_NEEDS,)
    _, [_, event] = run(None, plan(), log(purposes=(VisitPurpose.COORDINATE_RELATIONS,)))
    assert isinstance(event, VisitLogged)
    assert event.purposes == (VisitPurpose.COORDINATE_RELATIONS,)


# --- V2 plan before the visit ------------------------------------------------------------------


def test_V2_plan_records_customer_date_and_objectives() -> None:
    state = planned()
    assert (state.customer_id, state.status, state.unplanned) == ("c1", VisitStatus.PLANNED, False)
    assert state.planned_date == TODAY + timedelta(days=2)
    assert state.planned_on == TODAY
    assert state.owner_id == "u-staff"


def test_V2_plan_needs_objectives() -> None:
    assert ("objectives", "V2") in refused(None, plan(objectives=()))
    assert ("objectives[1]", "V2") in refused(None, plan(objectives=("ok", " ")))


def test_V2_planned_date_in_the_past_is_refused() -> None:
    assert ("plannedDate", "V2") in refused(None, plan(planned_date=TODAY - timedelta(days=1)))
    assert decide(None, plan(planned_date=TODAY), ctx())  # today is still ahead of the visit


def test_V2_log_without_a_plan_is_refused_unless_marked_unplanned() -> None:
    with pytest.raises(NotFound) as err:
        decide(None, log(), ctx())
    assert (err.value.field, err.value.rule) == ("visitId", "V2")


def test_V2_unplanned_visit_is_marked_so() -> None:
    command = log(unplanned=True, customer_id="c1", purposes=(VisitPurpose.MAINTAIN_RELATIONS,))
    state, [event] = run(None, command)
    assert isinstance(event, VisitLogged) and event.unplanned
    assert state is not None
    assert state.unplanned and state.status is VisitStatus.LOGGED
    assert state.owner_id == "u-staff" and state.customer_id == "c1"


def test_V2_unplanned_visit_needs_its_customer() -> None:
    command = log(unplanned=True, purposes=(VisitPurpose.LEARN_NEEDS,))
    assert ("customerId", "V2") in refused(None, command)


def test_V2_a_planned_visit_cannot_be_logged_as_unplanned() -> None:
    with pytest.raises(InvalidState) as err:
        decide(planned(), log(unplanned=True), ctx())
    assert err.value.rule == "V2"


def test_V2_visit_cannot_happen_before_it_was_planned() -> None:
    assert ("actualDate", "V2") in refused(planned(), log(actual_date=TODAY - timedelta(days=1)))


def test_V2_log_for_another_customer_than_planned_is_refused() -> None:
    assert ("customerId", "V2") in refused(planned(), log(customer_id="c2"))


# --- V3 what the plan takes along -------------------------------------------------------------


def test_V3_plan_records_sales_policy_promotions_and_materials() -> None:
    command = plan(
        sales_policy="March: 5% off orders above 100 cases",
        promotions=("spring gift box",),
        materials=(Material.BROCHURES, Material.GIFTS, Material.BROCHURES),
        materials_note="two sample tins",
    )
    [event] = decide(None, command, ctx())
    assert isinstance(event, VisitPlanned)
    assert event.sales_policy == "March: 5% off orders above 100 cases"
    assert event.promotions == ("spring gift box",)
    assert event.materials == (Material.BROCHURES, Material.GIFTS)
    assert event.materials_note == "two sample tins"


def test_V3_overlong_sales_policy_is_refused() -> None:
    assert ("salesPolicy", "V3") in refused(None, plan(sales_policy="x" * 2001))


# --- V4 - V9 the visit log ---------------------------------------------------------------------


def test_V4_log_records_receiver_needs_and_channel() -> None:
    command = log(needs_and_problems=("faster delivery",), channel=VisitChannel.TRADE_FAIR)
    state, [event] = run(planned(), command)
    assert isinstance(event, VisitLogged)
    assert event.received_by == Receiver("Zhang Wei", "Purchasing head", True)
    assert event.needs_and_problems == ("faster delivery",)
    assert event.channel is VisitChannel.TRADE_FAIR
    assert state is not None and state.actual_date == TODAY


def test_V4_receiver_name_and_title_are_required() -> None:
    found = refused(planned(), log(received_by=Receiver("", " ", False)))
    assert {("receivedBy.name", "V4"), ("receivedBy.title", "V4")} <= found


def test_V4_visit_in_the_future_cannot_be_logged() -> None:
    command = log(actual_date=TODAY + timedelta(days=1))
    assert ("actualDate", "V4") in refused(planned(), command)


def test_V5_requests_are_recorded_verbatim_and_attitude_is_required() -> None:
    words = ("  Please deliver before 8 am!  ", "能否月结？")
    _, [event] = run(planned(), log(requests_and_suggestions=words))
    assert isinstance(event, VisitLogged)
    assert event.requests_and_suggestions == words
    assert ("attitudeToProducts", "V5") in refused(planned(), log(attitude_to_products=""))


def test_V6_findings_of_every_kind_are_recorded() -> None:
    findings = (
        Finding(FindingKind.PROSPECT, organisation_name="Ningbo Foods", contact=Contact("Chen")),
        Finding(
            FindingKind.COMPETITOR_PRACTICE,
            competitor_name="Rival Co",
            service_methods="weekly calls",
            staff_quality="young, well trained",
        ),
        Finding(FindingKind.GUIDANCE, description="showed how to store tea"),
        Finding(
            FindingKind.CREDIT_CHANGE,
            change="pays late",
            cause="cash squeeze",
            direction=CreditDirection.WORSENED,
        ),
    )
    _, [event] = run(planned(), log(findings=findings))
    assert isinstance(event, VisitLogged)
    assert event.findings == findings


@pytest.mark.parametrize(
    "finding, field",
    [
        (Finding(FindingKind.PROSPECT), "findings[0].organisationName"),
        (
            Finding(FindingKind.COMPETITOR_PRACTICE, service_methods="x"),
            "findings[0].competitorName",
        ),
        (
            Finding(FindingKind.COMPETITOR_PRACTICE, competitor_name="R"),
            "findings[0].serviceMethods",
        ),
        (Finding(FindingKind.GUIDANCE), "findings[0].description"),
        (
            Finding(FindingKind.CREDIT_CHANGE, change="x", direction=CreditDirection.IMPROVED),
            "findings[0].cause",
        ),
        (Finding(FindingKind.CREDIT_CHANGE, change="x", cause="y"), "findings[0].direction"),
        (
            Finding(FindingKind.GUIDANCE, description="d", competitor_name="R"),
            "findings[0].competitorName",
        ),
        (
            Finding(FindingKind.PROSPECT, organisation_name="P", contact=Contact("")),
            "findings[0].contact.name",
        ),
    ],
)
def test_V6_each_finding_kind_needs_its_own_fields(finding: Finding, field: str) -> None:
    assert (field, "V6") in refused(planned(), log(findings=(finding,)))


def test_V6_prospects_found_become_prospect_customers_with_stable_ids() -> None:
    findings = (
        Finding(FindingKind.GUIDANCE, description="storage"),
        Finding(
            FindingKind.PROSPECT,
            organisation_name="Ningbo Foods",
            contact=Contact("Chen", "Owner", True),
            description="met at the market",
        ),
    )
    _, [_, event] = run(None, plan(), log(findings=findings))
    assert isinstance(event, VisitLogged)
    [command] = prospects_found(event)
    assert prospects_found(event) == [command]  # a retry builds the very same command
    assert command.status is CustomerStatus.PROSPECT and command.tier is Tier.GENERAL
    assert command.source_visit_id == "v1" and command.notes == "met at the market"
    other_visit = replace(event, visit_id="v2")
    assert prospects_found(other_visit)[0].customer_id != command.customer_id
    [registered] = customers.decide(None, command, ctx())
    prospect = customers.evolve(None, registered)
    assert prospect.status is CustomerStatus.PROSPECT
    assert prospect.contacts == (Contact("Chen", "Owner", True),)
    with pytest.raises(InvalidState):  # the retry meets the registered prospect
        customers.decide(prospect, command, ctx())


def test_V6_credit_changes_found_are_recorded_on_the_customer_once() -> None:
    finding = Finding(
        FindingKind.CREDIT_CHANGE,
        change="pays late",
        cause="cash squeeze",
        direction=CreditDirection.WORSENED,
    )
    _, [_, event] = run(None, plan(), log(findings=(finding,)))
    assert isinstance(event, VisitLogged)
    [command] = credit_changes_found(event)
    assert (command.customer_id, command.source_visit_id, command.source_finding) == ("c1", "v1", 0)
    customer = customers.evolve(
        None, customers.decide(None, RegisterCustomer("c1", "Org"), ctx())[0]
    )
    [recorded] = customers.decide(customer, command, ctx())
    customer = customers.evolve(customer, recorded)
    assert customers.decide(customer, command, ctx()) == []


def test_V7_objections_and_gifts_are_recorded() -> None:
    objections = (Objection("price too high", "offered volume discount"),)
    gifts = (Gift("tea sampler", 8800),)
    _, [event] = run(planned(), log(objections=objections, gifts=gifts))
    assert isinstance(event, VisitLogged)
    assert event.objections == objections and event.gifts == gifts


def test_V7_objection_without_handling_and_negative_gift_are_refused() -> None:
    command = log(objections=(Objection("too slow", ""),), gifts=(Gift("pen", -1),))
    found = refused(planned(), command)
    assert {("objections[0].handling", "V7"), ("gifts[0].valueFen", "V7")} <= found


def test_V8_information_presented_is_recorded_once_each() -> None:
    topics = (InformationTopic.PRODUCTS, InformationTopic.COMPANY, InformationTopic.PRODUCTS)
    _, [event] = run(planned(), log(information_presented=topics))
    assert isinstance(event, VisitLogged)
    assert event.information_presented == (InformationTopic.PRODUCTS, InformationTopic.COMPANY)


@pytest.mark.parametrize(
    "minutes, meets_standard",
    [(60, True), (120, True), (90, True), (30, False), (59, False)],
)
def test_V9_training_from_half_an_hour_to_two_hours_needs_no_reason(
    minutes: int, meets_standard: bool
) -> None:
    _, [event] = run(planned(), log(training_minutes=minutes))
    assert isinstance(event, VisitLogged)
    assert event.training_meets_standard is meets_standard


@pytest.mark.parametrize("minutes", [0, 29, 121, 240])
def test_V9_training_outside_standard_needs_reason(minutes: int) -> None:
    assert ("trainingReason", "V9") in refused(planned(), log(training_minutes=minutes))
    _, [event] = run(planned(), log(training_minutes=minutes, training_reason="customer busy"))
    assert isinstance(event, VisitLogged)
    assert event.training_reason == "customer busy" and not event.training_meets_standard


def test_V9_training_minutes_must_be_plausible() -> None:
    assert ("trainingMinutes", "V9") in refused(planned(), log(training_minutes=-5))


def test_log_twice_is_invalid_state() -> None:
    with pytest.raises(InvalidState):
        decide(logged(), log(), ctx())


# --- V10 report --------------------------------------------------------------------------------


def test_V10_report_before_the_log_is_refused() -> None:
    with pytest.raises(InvalidState) as err:
        decide(planned(), FileVisitReport("v1", "report", "card"), ctx())
    assert err.value.rule == "V10"


def test_V10_visit_is_completed_only_when_its_report_is_filed() -> None:
    state = logged()
    assert state.status is VisitStatus.LOGGED
    after, [event] = run(state, FileVisitReport("v1", "went well", "Zhang Wei / tea / 90 min"))
    assert isinstance(event, VisitReportFiled)
    assert after is not None and after.status is VisitStatus.COMPLETED
    assert after.report_filed_on == TODAY
    with pytest.raises(InvalidState):
        decide(after, FileVisitReport("v1", "again", "card"), ctx())


def test_V10_report_and_record_card_are_required() -> None:
    found = refused(logged(), FileVisitReport("v1", "", " "))
    assert found == {("report", "V10"), ("recordCard", "V10")}


def test_report_on_unknown_visit_is_not_found() -> None:
    with pytest.raises(NotFound):
        decide(None, FileVisitReport("v9", "r", "c"), ctx())


# --- V11 commitments ---------------------------------------------------------------------------


def test_V11_commitment_recorded_with_what_due_date_and_owner() -> None:
    state = with_commitment()
    k1 = state.commitments["k1"]
    assert (k1.what, k1.owner_id, k1.status) == ("send samples", "u-staff", CommitmentStatus.OPEN)
    assert k1.due_date == TODAY + timedelta(days=5)


def test_V11_commitment_needs_a_logged_visit() -> None:
    with pytest.raises(InvalidState) as err:
        decide(planned(), RecordCommitment("v1", "k1", "x", TODAY, "u-staff"), ctx())
    assert err.value.rule == "V11"


def test_V11_commitment_cannot_fall_due_before_the_visit() -> None:
    command = RecordCommitment("v1", "k1", "x", TODAY - timedelta(days=1), "u-staff")
    assert ("dueDate", "V11") in refused(logged(), command)


def test_V11_commitment_ids_are_unique_per_visit() -> None:
    with pytest.raises(InvalidState):
        decide(with_commitment(), RecordCommitment("v1", "k1", "again", TODAY, "u-staff"), ctx())


def test_V11_overdue_commitment_is_visible() -> None:
    state = with_commitment(due=TODAY + timedelta(days=5))
    assert overdue_commitments(state, TODAY + timedelta(days=5)) == []
    [late] = overdue_commitments(state, TODAY + timedelta(days=6))
    assert late.commitment_id == "k1"
    after, _ = run(state, FulfillCommitment("v1", "k1", TODAY), c=ctx())
    assert after is not None and overdue_commitments(after, TODAY + timedelta(days=6)) == []


def test_V11_fulfilment_late_flag_and_date_checks() -> None:
    state = with_commitment(due=TODAY)
    later = ctx(today=TODAY + timedelta(days=3))
    _, [event] = run(state, FulfillCommitment("v1", "k1", TODAY + timedelta(days=2)), c=later)
    assert isinstance(event, CommitmentFulfilled) and event.late
    future = FulfillCommitment("v1", "k1", TODAY + timedelta(days=1))
    assert ("fulfilledOn", "V11") in refused(state, future)
    before_visit = FulfillCommitment("v1", "k1", TODAY - timedelta(days=1))
    assert ("fulfilledOn", "V11") in refused(state, before_visit)


def test_V11_fulfilling_twice_or_unknown_commitment_is_refused() -> None:
    with pytest.raises(InvalidState):
        decide(fulfilled(), FulfillCommitment("v1", "k1", TODAY), ctx())
    with pytest.raises(NotFound) as err:
        decide(with_commitment(), FulfillCommitment("v1", "nope", TODAY), ctx())
    assert err.value.field == "commitmentId"


# --- V12 follow-ups ----------------------------------------------------------------------------


def test_V12_follow_up_falls_due_after_fulfilment_by_policy_days() -> None:
    assert fulfilled(follow_up_days=7).commitments["k1"].follow_up_due == TODAY + timedelta(days=7)
    state = fulfilled(follow_up_days=3)
    assert state.commitments["k1"].follow_up_due == TODAY + timedelta(days=3)
    assert [c.commitment_id for c in follow_ups_due(state)] == ["k1"]
    assert overdue_follow_ups(state, TODAY + timedelta(days=3)) == []
    assert [c.commitment_id for c in overdue_follow_ups(state, TODAY + timedelta(days=4))] == ["k1"]


def test_V12_follow_up_records_satisfaction() -> None:
    later = ctx(today=TODAY + timedelta(days=9))
    follow_up = LogFollowUp("v1", "k1", TODAY + timedelta(days=9), 4, "happy with samples")
    state, [event] = run(fulfilled(), follow_up, c=later)
    assert isinstance(event, FollowUpLogged)
    assert event.satisfaction == 4 and event.late  # due on day 7
    assert state is not None
    k1 = state.commitments["k1"]
    assert (k1.status, k1.satisfaction) == (CommitmentStatus.FOLLOWED_UP, 4)
    assert follow_ups_due(state) == []
    with pytest.raises(InvalidState):
        decide(state, follow_up, later)


def test_V12_follow_up_before_fulfilment_is_refused() -> None:
    with pytest.raises(InvalidState) as err:
        decide(with_commitment(), LogFollowUp("v1", "k1", TODAY, 5), ctx())
    assert err.value.rule == "V12"


def test_V12_follow_up_dated_before_fulfilment_is_refused() -> None:
    state = fulfilled(on=TODAY)
    command = LogFollowUp("v1", "k1", TODAY - timedelta(days=1), 5)
    assert ("followedUpOn", "V12") in refused(state, command)


@pytest.mark.parametrize("satisfaction", [0, 6, -1])
def test_V12_satisfaction_is_one_to_five(satisfaction: int) -> None:
    command = LogFollowUp("v1", "k1", TODAY, satisfaction)
    assert ("satisfaction", "V12") in refused(fulfilled(), command)


# --- roles and ownership -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INTEGRATION, Role.GENERAL_MANAGER])
def test_roles_that_may_not_write_visits_are_refused(role: Role) -> None:
    actor = Actor("u-x", "X", role)
    with pytest.raises(Forbidden):
        decide(None, plan(), ctx(actor))
    with pytest.raises(Forbidden):
        decide(planned(), log(), ctx(actor))


def test_staff_act_only_on_their_own_visits() -> None:
    other = ctx(OTHER_STAFF)
    cases: list[tuple[VisitState, VisitCommand]] = [
        (planned(), log()),
        (logged(), FileVisitReport("v1", "r", "c")),
        (logged(), RecordCommitment("v1", "k1", "x", TODAY, "u-other")),
        (with_commitment(), FulfillCommitment("v1", "k1", TODAY)),
        (fulfilled(), LogFollowUp("v1", "k1", TODAY, 5)),
    ]
    for state, command in cases:
        with pytest.raises(Forbidden):
            decide(state, command, other)


def test_manager_may_act_on_any_visit() -> None:
    state, _ = run(planned(), log(), FileVisitReport("v1", "r", "c"), c=ctx(MANAGER))
    assert state is not None and state.status is VisitStatus.COMPLETED
    assert state.owner_id == "u-staff"  # still the planner's visit


def test_commitment_owner_may_fulfil_it() -> None:
    state = with_commitment(owner="u-other")
    _, [event] = run(state, FulfillCommitment("v1", "k1", TODAY), c=ctx(OTHER_STAFF))
    assert isinstance(event, CommitmentFulfilled)


def test_unknown_customer_is_not_found() -> None:
    with pytest.raises(NotFound) as err:
        decide(None, plan(), ctx(), customer_exists=False)
    assert err.value.field == "customerId"
    unplanned = log(unplanned=True, customer_id="c9", purposes=(VisitPurpose.LEARN_NEEDS,))
    with pytest.raises(NotFound) as err:
        decide(None, unplanned, ctx(), customer_exists=False)
    assert err.value.field == "customerId"


def test_planning_an_existing_visit_is_invalid_state() -> None:
    with pytest.raises(InvalidState):
        decide(planned(), plan(), ctx())


# --- codec -------------------------------------------------------------------------------------


def test_every_visit_event_survives_the_codec() -> None:
    findings = (
        Finding(FindingKind.PROSPECT, organisation_name="P", contact=Contact("C", "T", True, "1")),
        Finding(
            FindingKind.COMPETITOR_PRACTICE,
            competitor_name="R",
            service_methods="m",
            service_process="p",
            staff_quality="q",
        ),
        Finding(FindingKind.GUIDANCE, description="d"),
        Finding(
            FindingKind.CREDIT_CHANGE, change="c", cause="k", direction=CreditDirection.IMPROVED
        ),
    )
    full_log = log(
        findings=findings,
        objections=(Objection("o", "h"),),
        gifts=(Gift("g", 1),),
        information_presented=tuple(InformationTopic),
        needs_and_problems=("n",),
        requests_and_suggestions=("r",),
        channel=VisitChannel.LOCAL_ASSOCIATION,
    )
    full_plan = plan(
        purposes=tuple(VisitPurpose),
        materials=tuple(Material),
        sales_policy="s",
        promotions=("p",),
        materials_note="m",
    )
    _, events = run(
        None,
        replace(full_plan, planned_date=TODAY),
        full_log,
        FileVisitReport("v1", "r", "c"),
        RecordCommitment("v1", "k1", "x", TODAY + timedelta(days=3), "u-staff"),
        FulfillCommitment("v1", "k1", TODAY, "done"),
        LogFollowUp("v1", "k1", TODAY, 5, None),
    )
    kinds = {type(e) for e in events}
    assert kinds == {
        VisitPlanned,
        VisitLogged,
        VisitReportFiled,
        CommitmentRecorded,
        CommitmentFulfilled,
        FollowUpLogged,
    }
    for event in events:
        assert decode(event.type_name(), 1, encode(event)) == event
