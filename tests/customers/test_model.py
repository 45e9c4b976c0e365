"""The customer aggregate, decided and folded without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from events.customers.commands import (
    ChangeCustomerStatus,
    ChangeCustomerTier,
    CreditChangeRecorded,
    CustomerProfileUpdated,
    CustomerRegistered,
    CustomerStatusChanged,
    CustomerTierChanged,
    PromoteProspect,
    ProspectPromoted,
    RecordCreditChange,
    RegisterCustomer,
    UpdateCustomer,
)
from events.customers.model import STREAM_TYPE, CustomerState, decide, evolve, stream_id
from events.customers.values import (
    AgeBand,
    Area,
    BuyingChannel,
    Classification,
    Contact,
    CreditDirection,
    CustomerStatus,
    Gender,
    Region,
    Tier,
    WageBand,
)
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.shared.errors import Forbidden, InvalidState, NotFound, ValidationFailed
from events.shared.validation import MAX_NAME
from events.store.envelope import Event, decode, encode

NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2025, 3, 10)
STAFF = Actor("u-staff", "Li", Role.STAFF)
MANAGER = Actor("u-mgr", "Wang", Role.MANAGER)
AUDITOR = Actor("u-aud", "Sun", Role.AUDITOR)


def ctx(actor: Actor = STAFF) -> Context:
    return Context(actor=actor, now=NOW)


def register(**changes: object) -> RegisterCustomer:
    fields: dict[str, object] = {
        "customer_id": "c1",
        "organisation_name": "Hangzhou Tea Co.",
        "tier": Tier.IMPORTANT,
        "contacts": (Contact("Zhang Wei", "Buyer", True, "0571-1234"),),
        "classification": Classification(region=Region.EAST, area=Area.URBAN),
    }
    fields.update(changes)
    return RegisterCustomer(**fields)  # type: ignore[arg-type]


def fold(*events: Event, state: CustomerState | None = None) -> CustomerState:
    for event in events:
        state = evolve(state, event)
    assert state is not None
    return state


def registered(**changes: object) -> CustomerState:
    return fold(*decide(None, register(**changes), ctx()))


def problems(err: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[str | None, str | None]]:
    return {(p.field, p.rule) for p in err.value.problems}


def test_stream_naming() -> None:
    assert STREAM_TYPE == "customer"
    assert stream_id("c1") == "customer-c1"


def test_register_records_the_profile() -> None:
    [event] = decide(None, register(), ctx())
    assert isinstance(event, CustomerRegistered)
    assert event.registered_on == TODAY
    assert event.status is CustomerStatus.ACTIVE
    state = fold(event)
    assert state.organisation_name == "Hangzhou Tea Co."
    assert state.tier is Tier.IMPORTANT
    assert state.contacts[0].decision_maker is True
    assert state.classification.region is Region.EAST


def test_register_twice_is_invalid_state() -> None:
    with pytest.raises(InvalidState) as err:
        decide(registered(), register(), ctx())
    assert err.value.field == "customerId"


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"organisation_name": ""}, ("organisationName", None)),
        ({"organisation_name": "   "}, ("organisationName", None)),
        ({"organisation_name": "x" * 201}, ("organisationName", None)),
        ({"contacts": (Contact(""),)}, ("contacts[0].name", None)),
        ({"contacts": (Contact("a" * (MAX_NAME + 1)),)}, ("contacts[0].name", None)),
        ({"contacts": (Contact("Li", "t" * (MAX_NAME + 1)),)}, ("contacts[0].title", None)),
        ({"contacts": (Contact("Li", phone="9" * 31),)}, ("contacts[0].phone", None)),
        ({"contacts": tuple(Contact(f"n{i}") for i in range(21))}, ("contacts", None)),
        ({"notes": "n" * 2001}, ("notes", None)),
        ({"customer_id": ""}, ("customerId", None)),
        ({"status": CustomerStatus.INACTIVE}, ("status", None)),
    ],
)
def test_register_refuses_bad_input(changes: dict[str, object], expected: tuple[str, None]) -> None:
    with pytest.raises(ValidationFailed) as err:
        decide(None, register(**changes), ctx())
    assert expected in problems(err)


def test_register_accepts_the_limits() -> None:
    contacts = tuple(Contact("a" * 100, "t" * 100) for _ in range(20))
    events = decide(None, register(organisation_name="x" * 200, contacts=contacts), ctx())
    assert len(events) == 1


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as err:
        decide(None, register(organisation_name="", notes="n" * 2001), ctx())
    assert {f for f, _ in problems(err)} == {"organisationName", "notes"}


def test_commands_on_a_missing_customer_are_not_found() -> None:
    for command in (
        UpdateCustomer("c1", notes="x"),
        ChangeCustomerTier("c1", Tier.GENERAL),
        RecordCreditChange("c1", "late payment", "cash flow", CreditDirection.WORSENED),
        PromoteProspect("c1"),
        ChangeCustomerStatus("c1", CustomerStatus.INACTIVE),
    ):
        with pytest.raises(NotFound) as err:
            decide(None, command, ctx())
        assert err.value.field == "customerId"


def test_update_records_only_what_changed_and_merges_classification() -> None:
    state = registered()
    update = UpdateCustomer(
        "c1",
        organisation_name="Hangzhou Tea Co.",  # unchanged: left out of the event
        classification=Classification(gender=Gender.FEMALE, wage_band=WageBand.OVER_3000),
        notes="prefers mornings",
    )
    [event] = decide(state, update, ctx())
    assert isinstance(event, CustomerProfileUpdated)
    assert event.organisation_name is None
    assert event.contacts is None
    state = fold(event, state=state)
    assert state.classification == Classification(
        gender=Gender.FEMALE, region=Region.EAST, area=Area.URBAN, wage_band=WageBand.OVER_3000
    )
    assert state.notes == "prefers mornings"
    assert state.organisation_name == "Hangzhou Tea Co."


def test_update_replaces_contacts_and_a_repeat_is_a_no_op() -> None:
    state = registered()
    update = UpdateCustomer("c1", contacts=(Contact("Liu Yang", "Director"),))
    state = fold(*decide(state, update, ctx()), state=state)
    assert [c.name for c in state.contacts] == ["Liu Yang"]
    assert decide(state, update, ctx()) == []


def test_update_validates_given_fields() -> None:
    with pytest.raises(ValidationFailed) as err:
        decide(registered(), UpdateCustomer("c1", organisation_name=""), ctx())
    assert ("organisationName", None) in problems(err)


def test_tier_change() -> None:
    state = registered()
    [event] = decide(state, ChangeCustomerTier("c1", Tier.GENERAL, "orders fell"), ctx(MANAGER))
    assert event == CustomerTierChanged("c1", Tier.IMPORTANT, Tier.GENERAL, "orders fell")
    assert fold(event, state=state).tier is Tier.GENERAL
    assert decide(state, ChangeCustomerTier("c1", Tier.IMPORTANT), ctx()) == []


def test_V6_credit_change_recorded_with_cause() -> None:
    state = registered()
    command = RecordCreditChange(
        "c1", "pays 60 days late", "lost a big client", CreditDirection.WORSENED
    )
    [event] = decide(state, command, ctx())
    assert isinstance(event, CreditChangeRecorded)
    assert event.recorded_on == TODAY
    state = fold(event, state=state)
    assert state.credit_changes == 1
    assert state.last_credit_direction is CreditDirection.WORSENED


def test_V6_credit_change_needs_a_cause() -> None:
    command = RecordCreditChange("c1", "pays late", " ", CreditDirection.WORSENED)
    with pytest.raises(ValidationFailed) as err:
        decide(registered(), command, ctx())
    assert problems(err) == {("cause", "V6")}


def test_V6_credit_change_from_the_same_visit_finding_is_recorded_once() -> None:
    state = registered()
    command = RecordCreditChange(
        "c1", "pays early", "new financing", CreditDirection.IMPROVED, "v1", source_finding=2
    )
    state = fold(*decide(state, command, ctx()), state=state)
    assert decide(state, command, ctx()) == []
    other_finding = RecordCreditChange(
        "c1", "pays early", "new financing", CreditDirection.IMPROVED, "v1", source_finding=3
    )
    assert len(decide(state, other_finding, ctx())) == 1


def test_prospect_promoted_to_active() -> None:
    state = registered(status=CustomerStatus.PROSPECT)
    [event] = decide(state, PromoteProspect("c1"), ctx())
    assert event == ProspectPromoted("c1", TODAY)
    assert fold(event, state=state).status is CustomerStatus.ACTIVE
    with pytest.raises(InvalidState):
        decide(fold(event, state=state), PromoteProspect("c1"), ctx())


def test_status_changes_follow_the_life_cycle() -> None:
    state = registered()
    [event] = decide(state, ChangeCustomerStatus("c1", CustomerStatus.INACTIVE, "closed"), ctx())
    assert isinstance(event, CustomerStatusChanged)
    state = fold(event, state=state)
    assert state.status is CustomerStatus.INACTIVE
    with pytest.raises(InvalidState):
        decide(state, ChangeCustomerStatus("c1", CustomerStatus.PROSPECT), ctx())
    prospect = registered(status=CustomerStatus.PROSPECT)
    with pytest.raises(InvalidState):  # promotion has its own command and event
        decide(prospect, ChangeCustomerStatus("c1", CustomerStatus.ACTIVE), ctx())


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INTEGRATION, Role.ADMIN_OFFICE])
def test_roles_that_may_not_write_customers_are_refused(role: Role) -> None:
    actor = Actor("u-x", "X", role)
    with pytest.raises(Forbidden):
        decide(None, register(), ctx(actor))
    with pytest.raises(Forbidden):
        decide(registered(), UpdateCustomer("c1", notes="x"), ctx(actor))


def test_manager_may_register() -> None:
    assert len(decide(None, register(), ctx(MANAGER))) == 1


def test_evolve_refuses_events_out_of_order() -> None:
    with pytest.raises(ValueError):
        evolve(None, ProspectPromoted("c1", TODAY))


def test_every_customer_event_survives_the_codec() -> None:
    full = Classification(
        Gender.MALE,
        AgeBand.FROM_18_TO_45,
        Area.RURAL,
        Region.NORTH,
        None,
        None,
        WageBand.FROM_1000_TO_3000,
        BuyingChannel.MARKET_WHOLESALE,
    )
    contact = Contact("Zhang", "Buyer", True, None)
    samples: list[Event] = [
        CustomerRegistered(
            "c1", "Org", Tier.GENERAL, CustomerStatus.PROSPECT, (contact,), full, None, "v1", TODAY
        ),
        CustomerProfileUpdated("c1", "Org 2", (contact,), full, "notes"),
        CustomerProfileUpdated("c1", notes="only notes"),
        CustomerTierChanged("c1", Tier.GENERAL, Tier.IMPORTANT, None),
        CreditChangeRecorded("c1", "c", "why", CreditDirection.IMPROVED, TODAY, "v1", 0),
        ProspectPromoted("c1", TODAY),
        CustomerStatusChanged("c1", CustomerStatus.ACTIVE, CustomerStatus.INACTIVE, "r"),
    ]
    for event in samples:
        assert decode(event.type_name(), 1, encode(event)) == event
