"""Messages of the customer aggregate: commands (imperative) and events (past tense)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from events.customers.values import Classification, Contact, CreditDirection, CustomerStatus, Tier
from events.store.envelope import Event
from events.store.personal import Personal

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterCustomer:
    customer_id: str
    organisation_name: str
    tier: Tier = Tier.GENERAL
    status: CustomerStatus = CustomerStatus.ACTIVE
    contacts: tuple[Contact, ...] = ()
    classification: Classification = field(default_factory=Classification)
    notes: str | None = None
    source_visit_id: str | None = None  # set when a visit finding (V6) produced this prospect


@dataclass(frozen=True)
class UpdateCustomer:
    """Partial profile update: None means unchanged. Contacts, when given, replace the list."""

    customer_id: str
    organisation_name: str | None = None
    contacts: tuple[Contact, ...] | None = None
    classification: Classification | None = None  # only its non-None attributes change
    notes: str | None = None


@dataclass(frozen=True)
class ChangeCustomerTier:
    customer_id: str
    tier: Tier
    reason: str | None = None


@dataclass(frozen=True)
class RecordCreditChange:
    customer_id: str
    change: str
    cause: str
    direction: CreditDirection
    source_visit_id: str | None = None
    # With source_visit_id: the finding's index on that visit (V6). A retried process then
    # records nothing twice.
    source_finding: int | None = None


@dataclass(frozen=True)
class PromoteProspect:
    customer_id: str


@dataclass(frozen=True)
class ChangeCustomerStatus:
    """active <-> inactive, or drop a prospect (prospect -> inactive). Promotion has its own."""

    customer_id: str
    status: CustomerStatus
    reason: str | None = None


CustomerCommand = (
    RegisterCustomer
    | UpdateCustomer
    | ChangeCustomerTier
    | RecordCreditChange
    | PromoteProspect
    | ChangeCustomerStatus
)

# --- events -----------------------------------------------------------------------------------

# Personal data of a customer record, sealed under the customer's data key (docs/privacy.md):
# the contact persons (V4: names, titles, phones), the free-text notes, and the T1 attributes
# that describe an individual customer (gender, age band, wage level). Area, region, spending,
# demand type and buying channel describe the market and stay in clear for T1.
CUSTOMER_PERSONAL = Personal(subject="customer_id", fields={
    "contacts": (), "notes": None, "classification.gender": None,
    "classification.age_band": None, "classification.wage_band": None,
})


@dataclass(frozen=True)
class CustomerRegistered(Event):
    PERSONAL: ClassVar[Personal] = CUSTOMER_PERSONAL

    customer_id: str
    organisation_name: str
    tier: Tier
    status: CustomerStatus
    contacts: tuple[Contact, ...]
    classification: Classification
    notes: str | None
    source_visit_id: str | None
    registered_on: date


@dataclass(frozen=True)
class CustomerProfileUpdated(Event):
    """Carries only what changed; None means that part is unchanged."""

    PERSONAL: ClassVar[Personal] = CUSTOMER_PERSONAL

    customer_id: str
    organisation_name: str | None = None
    contacts: tuple[Contact, ...] | None = None
    classification: Classification | None = None  # the full classification after the change
    notes: str | None = None


@dataclass(frozen=True)
class CustomerTierChanged(Event):
    customer_id: str
    previous_tier: Tier
    tier: Tier
    reason: str | None


@dataclass(frozen=True)
class CreditChangeRecorded(Event):
    customer_id: str
    change: str
    cause: str
    direction: CreditDirection
    recorded_on: date
    source_visit_id: str | None
    source_finding: int | None = None


@dataclass(frozen=True)
class ProspectPromoted(Event):
    customer_id: str
    promoted_on: date


@dataclass(frozen=True)
class CustomerStatusChanged(Event):
    customer_id: str
    previous_status: CustomerStatus
    status: CustomerStatus
    reason: str | None
