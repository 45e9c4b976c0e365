"""Value types of the customer record (T1 classification, contacts) and input checking.

Input limits and `Problems` come from the one validation vocabulary, events/shared/validation.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum

from events.shared.validation import MAX_NAME, MAX_PHONE, Problems

MAX_ORGANISATION = MAX_NAME
MAX_CONTACTS = 20


class Tier(StrEnum):
    IMPORTANT = "important"
    GENERAL = "general"


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"  # 准客户: found on a visit (V6), not yet buying
    ACTIVE = "active"
    INACTIVE = "inactive"


class CreditDirection(StrEnum):
    IMPROVED = "improved"
    WORSENED = "worsened"


# The T1 criteria (客户总体分类表). Values are the stored strings; member names must be
# identifiers, hence FROM_18_TO_45 for "18_45".


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class AgeBand(StrEnum):
    UNDER_18 = "under_18"
    FROM_18_TO_45 = "18_45"
    FROM_46_TO_60 = "46_60"
    OVER_60 = "over_60"


class Area(StrEnum):
    URBAN = "urban"
    RURAL = "rural"


class Region(StrEnum):
    EAST = "east"
    WEST = "west"
    SOUTH = "south"
    NORTH = "north"


class Spending(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class DemandType(StrEnum):
    PRODUCTION_MATERIALS = "production_materials"
    CONSUMER_GOODS = "consumer_goods"


class WageBand(StrEnum):
    """Monthly wage in yuan: <1,000, 1,000-3,000, >3,000."""

    UNDER_1000 = "under_1000"
    FROM_1000_TO_3000 = "1000_3000"
    OVER_3000 = "over_3000"


class BuyingChannel(StrEnum):
    STALL_RETAIL = "stall_retail"
    MARKET_WHOLESALE = "market_wholesale"
    MANUFACTURER_WHOLESALE = "manufacturer_wholesale"


@dataclass(frozen=True)
class Classification:
    """The T1 attributes; each is optional because the department may not know it."""

    gender: Gender | None = None
    age_band: AgeBand | None = None
    area: Area | None = None
    region: Region | None = None
    spending: Spending | None = None
    demand_type: DemandType | None = None
    wage_band: WageBand | None = None
    buying_channel: BuyingChannel | None = None

    def merged(self, update: Classification) -> Classification:
        """Attributes set in `update` win; None there means unchanged, so none is ever cleared."""
        changes = {
            f.name: getattr(update, f.name)
            for f in fields(update)
            if getattr(update, f.name) is not None
        }
        return replace(self, **changes)


@dataclass(frozen=True)
class Contact:
    name: str
    title: str = ""
    decision_maker: bool = False
    phone: str | None = None


def check_contact(p: Problems, prefix: str, contact: Contact, rule: str | None = None) -> None:
    p.text(f"{prefix}.name", contact.name, limit=MAX_NAME, rule=rule)
    p.text(f"{prefix}.title", contact.title, limit=MAX_NAME, required=False, rule=rule)
    p.text(f"{prefix}.phone", contact.phone, limit=MAX_PHONE, required=False, rule=rule)


def check_contacts(p: Problems, contacts: tuple[Contact, ...]) -> None:
    if len(contacts) > MAX_CONTACTS:
        p.add("contacts", f"at most {MAX_CONTACTS} contacts")
    for i, contact in enumerate(contacts):
        check_contact(p, f"contacts[{i}]", contact)
