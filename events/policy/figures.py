"""The figures of the rule book (M5-M8, M11, V12) as data, so a new version needs no code (M15).

Money is integer fen and shares are integer fractions: events are hashed as canonical JSON and
floats would not round-trip exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from events.policy.values import CustomerTier, Host, MealType
from events.shared.errors import Problem


@dataclass(frozen=True)
class CapRule:
    """One row of the M5 table: the per-person cap for a tier, meal type and (banquets) host."""

    tier: CustomerTier
    meal_type: MealType
    host: Host | None  # None: the cap applies whoever hosts
    cap_fen: int  # per person per meal; the upper end of the source's range binds
    range_low_fen: int | None = None  # the lower end of "150-200", kept for the record only


@dataclass(frozen=True)
class Share:
    """A fraction kept as two integers, compared by cross-multiplying (no rounding)."""

    numerator: int
    denominator: int

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


@dataclass(frozen=True)
class AccompanyingBracket:
    """M8: with at most `guests_at_most` guests, at most `accompanying_at_most` accompany."""

    guests_at_most: int
    accompanying_at_most: int


@dataclass(frozen=True)
class PolicyFigures:
    caps: tuple[CapRule, ...]
    drinks_share: Share  # M7: alcohol, drinks and fruit as a share of the whole bill
    accompanying_at_most_guests: bool  # M8: accompanying staff never outnumber the guests
    accompanying_brackets: tuple[AccompanyingBracket, ...]  # M8: the tighter limits
    # M11: working days = Monday to Friday. There is no holiday calendar: a public holiday on a
    # weekday still counts as a working day (the source names no calendar; add one in a version).
    paperwork_deadline_working_days: int
    follow_up_delay_days: int  # V12: a follow-up visit is due this many days after fulfilment


def _yuan(amount: int) -> int:
    return amount * 100


_I, _G = CustomerTier.IMPORTANT, CustomerTier.GENERAL

# Version 1, from the source (Art. 5, 6). Interpretation (RULES M5): a range's upper end is the
# cap; general customers' cold buffet / cocktail / tea party have no figure in the source, so the
# important customers' caps are their upper bound.
SEED_FIGURES = PolicyFigures(
    caps=(
        CapRule(_I, MealType.BANQUET, Host.MANAGER, _yuan(200), _yuan(150)),
        CapRule(_I, MealType.BANQUET, Host.STAFF, _yuan(100)),
        CapRule(_I, MealType.COLD_BUFFET, None, _yuan(100)),
        CapRule(_I, MealType.COCKTAIL, None, _yuan(85)),
        CapRule(_I, MealType.TEA_PARTY, None, _yuan(60)),
        CapRule(_I, MealType.EXCURSION, None, _yuan(75)),
        CapRule(_G, MealType.BANQUET, Host.MANAGER, _yuan(100)),
        CapRule(_G, MealType.EXCURSION, None, _yuan(75), _yuan(60)),
        CapRule(_G, MealType.BANQUET, Host.STAFF, _yuan(55), _yuan(50)),
        CapRule(_G, MealType.COLD_BUFFET, None, _yuan(100)),
        CapRule(_G, MealType.COCKTAIL, None, _yuan(85)),
        CapRule(_G, MealType.TEA_PARTY, None, _yuan(60)),
    ),
    drinks_share=Share(1, 3),
    accompanying_at_most_guests=True,
    accompanying_brackets=(AccompanyingBracket(5, 3), AccompanyingBracket(10, 5)),
    paperwork_deadline_working_days=3,
    follow_up_delay_days=7,
)


def cap_for(
    figures: PolicyFigures, tier: CustomerTier, meal_type: MealType, host: Host
) -> CapRule | None:
    """The cap row for a meal: one naming the host wins over one that applies to any host."""
    rows = [c for c in figures.caps if c.tier == tier and c.meal_type == meal_type]
    exact = [c for c in rows if c.host == host]
    general = [c for c in rows if c.host is None]
    chosen = exact or general
    return chosen[0] if chosen else None


def accompanying_limit(figures: PolicyFigures, guests: int) -> int | None:
    """The most accompanying staff allowed for `guests` guests (M8); None when unlimited."""
    limits = [b.accompanying_at_most for b in figures.accompanying_brackets
              if guests <= b.guests_at_most]
    if figures.accompanying_at_most_guests:
        limits.append(guests)
    return min(limits) if limits else None


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days (Mon-Fri, no holiday calendar) after `start`."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def validate_figures(figures: PolicyFigures) -> list[Problem]:
    """Every problem of a drafted version, so the department fixes them in one round."""
    problems: list[Problem] = []

    def add(field: str, rule: str, message: str) -> None:
        problems.append(Problem(field=field, rule=rule, message=message))

    seen: set[tuple[CustomerTier, MealType, Host | None]] = set()
    for row in figures.caps:
        key = (row.tier, row.meal_type, row.host)
        if key in seen:
            add("figures.caps", "M5", f"two caps for {_describe(*key)}")
        seen.add(key)
        if row.cap_fen <= 0:
            add("figures.caps", "M5", f"the cap for {_describe(*key)} must be positive")
        if row.range_low_fen is not None and not 0 < row.range_low_fen <= row.cap_fen:
            add("figures.caps", "M5", f"the range for {_describe(*key)} must be low <= cap")
    # M1 moderate and frugal: every meal outside the canteen has a cap.
    for tier in CustomerTier:
        for meal_type in MealType:
            if meal_type is MealType.CANTEEN:
                continue
            for host in Host:
                if cap_for(figures, tier, meal_type, host) is None:
                    add("figures.caps", "M1", f"no cap for {_describe(tier, meal_type, host)}")
    share = figures.drinks_share
    if share.denominator <= 0 or not 0 <= share.numerator <= share.denominator:
        add("figures.drinksShare", "M7", "the drinks share must be a fraction between 0 and 1")
    for bracket in figures.accompanying_brackets:
        if bracket.guests_at_most < 1 or bracket.accompanying_at_most < 0:
            add("figures.accompanyingBrackets", "M8", "brackets need guests >= 1, limit >= 0")
    if figures.paperwork_deadline_working_days < 1:
        add("figures.paperworkDeadlineWorkingDays", "M11", "the deadline must be >= 1 day")
    if figures.follow_up_delay_days < 1:
        add("figures.followUpDelayDays", "V12", "the follow-up delay must be >= 1 day")
    return problems


def _describe(tier: CustomerTier, meal_type: MealType, host: Host | None) -> str:
    by = f" hosted by {host.value}" if host else ""
    return f"{tier.value} customers' {meal_type.value}{by}"
