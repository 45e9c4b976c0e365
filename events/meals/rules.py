"""Evaluating a meal against the rule book (M5-M8), pure.

Every comparison is in integers (total <= cap x persons, drinks x 3 <= total), so a bill at
exactly the limit passes and one fen more does not; nothing is rounded before it is compared.
Displayed figures round *up* to the fen, so a figure over a limit never displays as equal to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from events.policy.figures import PolicyFigures, accompanying_limit, cap_for
from events.policy.values import CustomerTier, Host, MealType
from events.shared.errors import DomainError
from events.shared.money import format_fen

__all__ = [
    "CustomerTier", "Finding", "Host", "MealType", "PolicyBlocked", "Severity", "blocking",
    "evaluate",
]


class Severity(StrEnum):
    BLOCK = "block"  # the request is refused unless it is an approved policy exception (M6)
    WARN = "warn"  # guidance: shown to the manager, never refuses (general customers' M7, M8)
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    actual: str  # e.g. per person "215.00", drinks share "0.40", accompanying "4"
    limit: str  # e.g. cap "200.00", share "1/3", accompanying "3"


class PolicyBlocked(DomainError):
    """A request breaks the rule book and carries no exception reason (M6)."""

    code = "POLICY_BLOCKED"

    def __init__(self, findings: Sequence[Finding]):
        blocks = blocking(findings)
        if not blocks:
            raise ValueError("PolicyBlocked needs at least one blocking finding")
        detail = "; ".join(f"{f.rule}: {f.message}" for f in blocks)
        super().__init__(
            f"{detail}. Give an exception reason for the manager to approve (M6).",
            rule=blocks[0].rule,
        )
        self.findings = blocks


def blocking(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(f for f in findings if f.severity is Severity.BLOCK)


def evaluate(
    figures: PolicyFigures,
    *,
    tier: CustomerTier,
    meal_type: MealType,
    host: Host,
    guests: int,
    accompanying: int,
    total_fen: int | None,
    drinks_fen: int | None = None,
    designated_restaurant: bool = False,
) -> list[Finding]:
    """Every finding for a meal, not just the first. `total_fen` None checks headcount only."""
    if guests < 1 or accompanying < 0:
        raise ValueError("a meal has at least one guest and no negative accompanying staff")
    # The source makes M7 and M8 binding for important customers, guidance for general ones.
    guidance = Severity.BLOCK if tier is CustomerTier.IMPORTANT else Severity.WARN
    findings: list[Finding] = []
    if total_fen is not None:
        findings += _check_cap(figures, tier, meal_type, host, guests + accompanying, total_fen)
        if drinks_fen is not None:
            findings += _check_drinks(figures, guidance, total_fen, drinks_fen)
    findings += _check_accompanying(figures, guidance, guests, accompanying)
    findings += _check_designated(tier, meal_type, host, designated_restaurant)
    return findings


def _check_cap(
    figures: PolicyFigures,
    tier: CustomerTier,
    meal_type: MealType,
    host: Host,
    persons: int,
    total_fen: int,
) -> list[Finding]:
    rule = cap_for(figures, tier, meal_type, host)
    if rule is None and meal_type is MealType.CANTEEN:
        return [Finding("M10", Severity.INFO, "canteen meals are paid with vouchers; no cap",
                        "", "")]
    if rule is None:
        # validate_figures refuses such a version (M1); an old one still must not let it pass.
        return [Finding("M1", Severity.BLOCK, f"the rule book has no cap for {meal_type}",
                        "", "")]
    if total_fen <= rule.cap_fen * persons:
        return []
    per_person = format_fen(-(-total_fen // persons))
    cap = format_fen(rule.cap_fen)
    # M5 is the standard for general customers too (Art. 6), so exceeding it blocks either way.
    return [Finding(
        "M5", Severity.BLOCK,
        f"{per_person} yuan per person exceeds the cap of {cap} for {tier.value} customers' "
        f"{meal_type.value} hosted by {host.value}",
        per_person, cap,
    )]


def _check_drinks(
    figures: PolicyFigures, severity: Severity, total_fen: int, drinks_fen: int
) -> list[Finding]:
    share = figures.drinks_share
    if drinks_fen * share.denominator <= total_fen * share.numerator:
        return []
    actual = format_fen(-(-drinks_fen * 100 // total_fen)) if total_fen else "-"
    return [Finding(
        "M7", severity,
        f"alcohol, drinks and fruit are {actual} of the bill, more than {share}",
        actual, str(share),
    )]


def _check_accompanying(
    figures: PolicyFigures, severity: Severity, guests: int, accompanying: int
) -> list[Finding]:
    limit = accompanying_limit(figures, guests)
    if limit is None or accompanying <= limit:
        return []
    return [Finding(
        "M8", severity,
        f"{accompanying} accompanying staff for {guests} guests; at most {limit}",
        str(accompanying), str(limit),
    )]


def _check_designated(
    tier: CustomerTier, meal_type: MealType, host: Host, designated: bool
) -> list[Finding]:
    # Art. 5.1: the manager's banquet for important customers goes to the designated
    # restaurant as a matter of course; for anyone else it is a "special case" (Art. 5.2, 6.1).
    normal = tier is CustomerTier.IMPORTANT and host is Host.MANAGER
    if not designated or meal_type is not MealType.BANQUET or normal:
        return []
    return [Finding(
        "M6", Severity.WARN,
        "the designated restaurant is for special cases here: state the reason; the cap "
        "still applies",
        "designated restaurant", "special case",
    )]
