"""Customer aggregate: the customer record, its tier, T1 classification and credit changes (V6).

Pure: decide() and evolve() know nothing of storage; the command handler loads the stream,
calls decide(), appends the events and folds them with evolve(). Commands and events are in
customer_events.py, value types (T1 enums, Contact, Classification) in customer_values.py.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TypeVar

from events.customers.commands import (
    ChangeCustomerStatus,
    ChangeCustomerTier,
    CreditChangeRecorded,
    CustomerCommand,
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
from events.customers.values import (
    MAX_ORGANISATION,
    Classification,
    Contact,
    CreditDirection,
    CustomerStatus,
    Tier,
    check_contacts,
)
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import InvalidState, NotFound
from events.shared.validation import MAX_ID, MAX_TEXT, Problems
from events.store.envelope import Event

STREAM_TYPE = "customer"
WRITERS = (Role.STAFF, Role.MANAGER)
T = TypeVar("T")


def stream_id(customer_id: str) -> str:
    return f"customer-{customer_id}"


@dataclass(frozen=True)
class CustomerState:
    customer_id: str
    organisation_name: str
    tier: Tier
    status: CustomerStatus
    contacts: tuple[Contact, ...]
    classification: Classification
    notes: str | None
    credit_changes: int = 0
    last_credit_direction: CreditDirection | None = None
    credit_sources: frozenset[tuple[str, int]] = frozenset()  # (visit id, finding index)


def decide(state: CustomerState | None, command: CustomerCommand, ctx: Context) -> list[Event]:
    ctx.require_role(*WRITERS, action="change a customer")
    if isinstance(command, RegisterCustomer):
        if state is not None:
            raise InvalidState(
                f"customer {command.customer_id} is already registered", field="customerId"
            )
        return [_register(command, ctx)]
    if state is None:
        raise NotFound(f"no customer {command.customer_id}", field="customerId")
    if isinstance(command, UpdateCustomer):
        return _update(state, command)
    if isinstance(command, ChangeCustomerTier):
        return _change_tier(state, command)
    if isinstance(command, RecordCreditChange):
        return _record_credit_change(state, command, ctx)
    if isinstance(command, PromoteProspect):
        if state.status is not CustomerStatus.PROSPECT:
            raise InvalidState(f"customer is {state.status.value}, not a prospect", field="status")
        return [ProspectPromoted(customer_id=state.customer_id, promoted_on=ctx.today)]
    return _change_status(state, command)


def _register(command: RegisterCustomer, ctx: Context) -> CustomerRegistered:
    p = Problems()
    p.text("customerId", command.customer_id, limit=MAX_ID)
    p.text("organisationName", command.organisation_name, limit=MAX_ORGANISATION)
    check_contacts(p, command.contacts)
    p.text("notes", command.notes, limit=MAX_TEXT, required=False)
    p.text("sourceVisitId", command.source_visit_id, limit=MAX_ID, required=False)
    if command.status is CustomerStatus.INACTIVE:
        p.add("status", "a new customer is a prospect or active, not inactive")
    p.raise_if_any()
    return CustomerRegistered(
        customer_id=command.customer_id,
        organisation_name=command.organisation_name,
        tier=command.tier,
        status=command.status,
        contacts=command.contacts,
        classification=command.classification,
        notes=command.notes,
        source_visit_id=command.source_visit_id,
        registered_on=ctx.today,
    )


def _update(state: CustomerState, command: UpdateCustomer) -> list[Event]:
    p = Problems()
    if command.organisation_name is not None:
        p.text("organisationName", command.organisation_name, limit=MAX_ORGANISATION)
    if command.contacts is not None:
        check_contacts(p, command.contacts)
    p.text("notes", command.notes, limit=MAX_TEXT, required=False)
    p.raise_if_any()
    classification = (
        state.classification.merged(command.classification) if command.classification else None
    )
    # Record only real changes, so the history shows what was edited, and a repeated update is
    # a no-op rather than noise.
    event = CustomerProfileUpdated(
        customer_id=state.customer_id,
        organisation_name=_changed(command.organisation_name, state.organisation_name),
        contacts=_changed(command.contacts, state.contacts),
        classification=_changed(classification, state.classification),
        notes=_changed(command.notes, state.notes),
    )
    unchanged = all(
        getattr(event, f.name) is None for f in fields(event) if f.name != "customer_id"
    )
    return [] if unchanged else [event]


def _changed(new: T | None, old: T) -> T | None:
    return None if new is None or new == old else new


def _change_tier(state: CustomerState, command: ChangeCustomerTier) -> list[Event]:
    p = Problems()
    p.text("reason", command.reason, limit=MAX_TEXT, required=False)
    p.raise_if_any()
    if command.tier is state.tier:
        return []
    return [
        CustomerTierChanged(
            customer_id=state.customer_id,
            previous_tier=state.tier,
            tier=command.tier,
            reason=command.reason,
        )
    ]


def _record_credit_change(
    state: CustomerState, command: RecordCreditChange, ctx: Context
) -> list[Event]:
    source = _credit_source(command.source_visit_id, command.source_finding)
    if source is not None and source in state.credit_sources:
        return []
    p = Problems()
    p.text("change", command.change, limit=MAX_TEXT, rule="V6")
    p.text("cause", command.cause, limit=MAX_TEXT, rule="V6")
    p.text("sourceVisitId", command.source_visit_id, limit=MAX_ID, required=False)
    p.raise_if_any()
    return [
        CreditChangeRecorded(
            customer_id=command.customer_id,
            change=command.change,
            cause=command.cause,
            direction=command.direction,
            recorded_on=ctx.today,
            source_visit_id=command.source_visit_id,
            source_finding=command.source_finding,
        )
    ]


def _credit_source(visit_id: str | None, finding: int | None) -> tuple[str, int] | None:
    return None if visit_id is None or finding is None else (visit_id, finding)


# Which status changes ChangeCustomerStatus may make; prospect -> active is PromoteProspect.
_STATUS_MOVES = {
    (CustomerStatus.ACTIVE, CustomerStatus.INACTIVE),
    (CustomerStatus.INACTIVE, CustomerStatus.ACTIVE),
    (CustomerStatus.PROSPECT, CustomerStatus.INACTIVE),
}


def _change_status(state: CustomerState, command: ChangeCustomerStatus) -> list[Event]:
    p = Problems()
    p.text("reason", command.reason, limit=MAX_TEXT, required=False)
    p.raise_if_any()
    if command.status is state.status:
        return []
    if (state.status, command.status) not in _STATUS_MOVES:
        hint = " (use promoteProspect)" if state.status is CustomerStatus.PROSPECT else ""
        raise InvalidState(
            f"a {state.status.value} customer cannot become {command.status.value}{hint}",
            field="status",
        )
    return [
        CustomerStatusChanged(
            customer_id=state.customer_id,
            previous_status=state.status,
            status=command.status,
            reason=command.reason,
        )
    ]


def evolve(state: CustomerState | None, event: Event) -> CustomerState:
    if isinstance(event, CustomerRegistered):
        return CustomerState(
            customer_id=event.customer_id,
            organisation_name=event.organisation_name,
            tier=event.tier,
            status=event.status,
            contacts=event.contacts,
            classification=event.classification,
            notes=event.notes,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before CustomerRegistered")
    if isinstance(event, CustomerProfileUpdated):
        changes = {
            f.name: getattr(event, f.name)
            for f in fields(event)
            if f.name != "customer_id" and getattr(event, f.name) is not None
        }
        return replace(state, **changes)
    if isinstance(event, CustomerTierChanged):
        return replace(state, tier=event.tier)
    if isinstance(event, CreditChangeRecorded):
        source = _credit_source(event.source_visit_id, event.source_finding)
        return replace(
            state,
            credit_changes=state.credit_changes + 1,
            last_credit_direction=event.direction,
            credit_sources=state.credit_sources | ({source} if source else set()),
        )
    if isinstance(event, ProspectPromoted):
        return replace(state, status=CustomerStatus.ACTIVE)
    if isinstance(event, CustomerStatusChanged):
        return replace(state, status=event.status)
    raise TypeError(f"not a customer event: {type(event).__name__}")
