"""Value types recorded on a visit (RULES V1, V3-V9) and the checks that go with them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import TypeVar

from events.customers.values import MAX_ORGANISATION, Contact, CreditDirection, check_contact
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import Forbidden
from events.shared.money import MAX_FEN
from events.shared.validation import MAX_NAME, MAX_TEXT, Problems

WRITERS = (Role.STAFF, Role.MANAGER)
T = TypeVar("T")
MAX_ITEMS = 20  # entries in any list on a visit: enough for one visit, catches runaway input
MAX_REPORT = 10_000

# V9: 1-2 h is the standard; 0.5-2 h is accepted as is; anything else needs a recorded reason.
TRAINING_STANDARD_MINUTES = (60, 120)
TRAINING_NO_REASON_MINUTES = (30, 120)
MAX_TRAINING_MINUTES = 24 * 60


class VisitPurpose(StrEnum):  # V1
    LEARN_NEEDS = "learn_needs"
    COORDINATE_RELATIONS = "coordinate_relations"  # resolve a conflict
    MAINTAIN_RELATIONS = "maintain_relations"  # maintain or deepen
    COLLECT_INFORMATION = "collect_information"
    HELP_WITH_PROBLEM = "help_with_problem"


class Material(StrEnum):  # V3
    BROCHURES = "brochures"
    BUSINESS_CARDS = "business_cards"
    CUSTOMER_FACT_SHEET = "customer_fact_sheet"
    GIFTS = "gifts"


class VisitChannel(StrEnum):  # V4: how a large or hard-to-reach customer was reached
    LOCAL_ASSOCIATION = "local_association"
    TRADE_FAIR = "trade_fair"
    SENIOR_LEADERSHIP = "senior_leadership"
    DIRECT = "direct"


class InformationTopic(StrEnum):  # V8
    COMPANY = "company"
    ACTIVITIES = "activities"
    PRODUCTS = "products"
    COMPETITORS = "competitors"


class FindingKind(StrEnum):  # V6
    PROSPECT = "prospect"
    COMPETITOR_PRACTICE = "competitor_practice"
    GUIDANCE = "guidance"
    CREDIT_CHANGE = "credit_change"


@dataclass(frozen=True)
class Receiver:  # V4
    name: str
    title: str
    decision_maker: bool


@dataclass(frozen=True)
class Finding:
    """One V6 finding. A tagged union does not fit the event codec, so one shape with the
    fields of every kind; check_finding() demands each kind's fields and refuses the others'.
    `description` is the guidance given, and a free remark on any other kind."""

    kind: FindingKind
    organisation_name: str | None = None  # prospect
    contact: Contact | None = None  # prospect
    competitor_name: str | None = None  # competitor practice
    service_methods: str | None = None
    service_process: str | None = None
    staff_quality: str | None = None
    description: str | None = None  # guidance (required); any kind (optional)
    change: str | None = None  # credit change
    cause: str | None = None
    direction: CreditDirection | None = None


@dataclass(frozen=True)
class Objection:  # V7
    objection: str
    handling: str


@dataclass(frozen=True)
class Gift:  # V7
    item: str
    value_fen: int


_FIELDS_OF_KIND: dict[FindingKind, frozenset[str]] = {
    FindingKind.PROSPECT: frozenset({"organisation_name", "contact"}),
    FindingKind.COMPETITOR_PRACTICE: frozenset(
        {"competitor_name", "service_methods", "service_process", "staff_quality"}
    ),
    FindingKind.GUIDANCE: frozenset(),
    FindingKind.CREDIT_CHANGE: frozenset({"change", "cause", "direction"}),
}
_CAMEL = {
    "organisation_name": "organisationName",
    "competitor_name": "competitorName",
    "service_methods": "serviceMethods",
    "service_process": "serviceProcess",
    "staff_quality": "staffQuality",
}


def check_finding(p: Problems, at: str, f: Finding) -> None:
    own = _FIELDS_OF_KIND[f.kind] | {"kind", "description"}
    for name in (fl.name for fl in fields(f)):
        if name not in own and getattr(f, name) is not None:
            p.add(f"{at}.{_CAMEL.get(name, name)}", f"not a field of a {f.kind.value}", "V6")
    if f.kind is FindingKind.PROSPECT:
        p.text(f"{at}.organisationName", f.organisation_name, limit=MAX_ORGANISATION, rule="V6")
        if f.contact is not None:
            check_contact(p, f"{at}.contact", f.contact, rule="V6")
    elif f.kind is FindingKind.COMPETITOR_PRACTICE:
        p.text(f"{at}.competitorName", f.competitor_name, limit=MAX_ORGANISATION, rule="V6")
        practice = (f.service_methods, f.service_process, f.staff_quality)
        if all(v is None or not v.strip() for v in practice):
            p.add(f"{at}.serviceMethods", "describe the methods, process or staff quality", "V6")
        for name in ("service_methods", "service_process", "staff_quality"):
            value = getattr(f, name)
            p.text(f"{at}.{_CAMEL[name]}", value, limit=MAX_TEXT, required=False, rule="V6")
    elif f.kind is FindingKind.CREDIT_CHANGE:
        p.text(f"{at}.change", f.change, limit=MAX_TEXT, rule="V6")
        p.text(f"{at}.cause", f.cause, limit=MAX_TEXT, rule="V6")
        if f.direction is None:
            p.add(f"{at}.direction", "say whether the credit improved or worsened", "V6")
    required = f.kind is FindingKind.GUIDANCE
    p.text(f"{at}.description", f.description, limit=MAX_TEXT, required=required, rule="V6")


def check_receiver(p: Problems, r: Receiver) -> None:
    p.text("receivedBy.name", r.name, limit=MAX_NAME, rule="V4")
    p.text("receivedBy.title", r.title, limit=MAX_NAME, rule="V4")


def check_objections(p: Problems, objections: tuple[Objection, ...]) -> None:
    if len(objections) > MAX_ITEMS:
        p.add("objections", f"at most {MAX_ITEMS} entries", "V7")
    for i, o in enumerate(objections):
        p.text(f"objections[{i}].objection", o.objection, limit=MAX_TEXT, rule="V7")
        p.text(f"objections[{i}].handling", o.handling, limit=MAX_TEXT, rule="V7")


def check_gifts(p: Problems, gifts: tuple[Gift, ...]) -> None:
    if len(gifts) > MAX_ITEMS:
        p.add("gifts", f"at most {MAX_ITEMS} entries", "V7")
    for i, g in enumerate(gifts):
        p.text(f"gifts[{i}].item", g.item, limit=MAX_NAME, rule="V7")
        if not 0 <= g.value_fen <= MAX_FEN:
            p.add(f"gifts[{i}].valueFen", "must be between 0 and 10,000,000 yuan", "V7")


def training_meets_standard(minutes: int) -> bool:
    low, high = TRAINING_STANDARD_MINUTES
    return low <= minutes <= high


def check_training(p: Problems, minutes: int, reason: str | None) -> None:
    if not 0 <= minutes <= MAX_TRAINING_MINUTES:
        p.add("trainingMinutes", f"must be between 0 and {MAX_TRAINING_MINUTES}", "V9")
        return
    low, high = TRAINING_NO_REASON_MINUTES
    needs_reason = not low <= minutes <= high
    if needs_reason and (reason is None or not reason.strip()):
        p.add("trainingReason", f"training outside {low}-{high} minutes needs a reason", "V9")
    p.text("trainingReason", reason, limit=MAX_TEXT, required=False, rule="V9")


def require_may_act(ctx: Context, owners: Iterable[str], action: str) -> None:
    """Staff act only on their own visits (or commitments they own); a manager on any."""
    ctx.require_role(*WRITERS, action=action)
    if ctx.actor.role is Role.STAFF and ctx.actor.user_id not in set(owners):
        raise Forbidden(f"staff may only {action} on their own visits", rule="roles")


def unique(items: Iterable[T]) -> tuple[T, ...]:
    """Enum 'sets' travel as tuples (the codec has no sets); keep first-seen order."""
    return tuple(dict.fromkeys(items))
