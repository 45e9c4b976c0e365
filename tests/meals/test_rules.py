"""Meal evaluation against the rule book (M1, M5-M8), boundaries included."""

from __future__ import annotations

from typing import Any

import pytest

from events.meals.rules import (
    CustomerTier,
    Finding,
    Host,
    MealType,
    PolicyBlocked,
    Severity,
    evaluate,
)
from events.policy.figures import SEED_FIGURES, cap_for
from events.shared.errors import DomainError

IMP, GEN = CustomerTier.IMPORTANT, CustomerTier.GENERAL


def check(
    *, tier: CustomerTier = IMP, meal_type: MealType = MealType.BANQUET, host: Host = Host.STAFF,
    guests: int = 2, accompanying: int = 2, total_fen: int | None = 10_000,
    drinks_fen: int | None = None, designated: bool = False,
) -> list[Finding]:
    return evaluate(
        SEED_FIGURES, tier=tier, meal_type=meal_type, host=host, guests=guests,
        accompanying=accompanying, total_fen=total_fen, drinks_fen=drinks_fen,
        designated_restaurant=designated,
    )


def rules(findings: list[Finding]) -> list[tuple[str, Severity]]:
    return [(f.rule, f.severity) for f in findings]


@pytest.mark.parametrize("tier", list(CustomerTier))
@pytest.mark.parametrize("meal_type", [t for t in MealType if t is not MealType.CANTEEN])
@pytest.mark.parametrize("host", list(Host))
def test_M1_every_tier_and_meal_type_is_capped(
    tier: CustomerTier, meal_type: MealType, host: Host
) -> None:
    cap = cap_for(SEED_FIGURES, tier, meal_type, host)
    assert cap is not None and cap.cap_fen > 0


def test_M1_canteen_meals_are_uncapped_vouchers() -> None:
    findings = check(tier=GEN, meal_type=MealType.CANTEEN, total_fen=10**8)
    assert rules(findings) == [("M10", Severity.INFO)]


@pytest.mark.parametrize(
    ("tier", "meal_type", "host", "cap_yuan"),
    [
        (IMP, MealType.BANQUET, Host.MANAGER, 200),
        (IMP, MealType.BANQUET, Host.STAFF, 100),
        (IMP, MealType.COLD_BUFFET, Host.STAFF, 100),
        (IMP, MealType.COCKTAIL, Host.STAFF, 85),
        (IMP, MealType.TEA_PARTY, Host.MANAGER, 60),
        (IMP, MealType.EXCURSION, Host.STAFF, 75),
        (GEN, MealType.BANQUET, Host.MANAGER, 100),
        (GEN, MealType.EXCURSION, Host.STAFF, 75),
        (GEN, MealType.BANQUET, Host.STAFF, 55),
        (GEN, MealType.COLD_BUFFET, Host.STAFF, 100),  # Interpretation: important caps apply
        (GEN, MealType.COCKTAIL, Host.MANAGER, 85),
        (GEN, MealType.TEA_PARTY, Host.STAFF, 60),
    ],
)
def test_M5_caps_table(tier: CustomerTier, meal_type: MealType, host: Host, cap_yuan: int) -> None:
    persons = 4
    at_cap = cap_yuan * 100 * persons
    kw: dict[str, Any] = {
        "tier": tier, "meal_type": meal_type, "host": host, "guests": 2, "accompanying": 2,
    }
    assert check(**kw, total_fen=at_cap) == []
    over = check(**kw, total_fen=at_cap + 1)
    assert rules(over) == [("M5", Severity.BLOCK)]


def test_M5_range_upper_end_is_the_cap_exactly_200_passes_200_01_blocks() -> None:
    kw: dict[str, Any] = {"host": Host.MANAGER, "guests": 3, "accompanying": 1}
    assert check(**kw, total_fen=4 * 20_000) == []
    over = check(**kw, total_fen=4 * 20_001)
    assert over[0].actual == "200.01" and over[0].limit == "200.00"
    assert over[0].severity is Severity.BLOCK


def test_M5_per_person_counts_guests_and_accompanying_and_rounds_display_up() -> None:
    # 600.01 yuan for 3 persons is 200.0033 per person: over the cap, shown as 200.01.
    over = check(host=Host.MANAGER, guests=2, accompanying=1, total_fen=60_001)
    assert (over[0].actual, over[0].limit) == ("200.01", "200.00")
    over = check(host=Host.MANAGER, guests=1, accompanying=1, total_fen=43_000)
    assert over[0].actual == "215.00"


def test_M5_general_customers_caps_block_too() -> None:
    over = check(tier=GEN, host=Host.STAFF, guests=2, accompanying=0, total_fen=2 * 5_501)
    assert rules(over) == [("M5", Severity.BLOCK)]


def test_M7_drinks_at_exactly_one_third_pass_one_fen_more_blocks_important() -> None:
    assert check(total_fen=30_000, drinks_fen=10_000) == []
    over = check(total_fen=30_000, drinks_fen=10_001)
    assert rules(over) == [("M7", Severity.BLOCK)]
    assert (over[0].actual, over[0].limit) == ("0.34", "1/3")


def test_M7_drinks_over_one_third_only_warn_for_general_customers() -> None:
    over = check(tier=GEN, meal_type=MealType.COLD_BUFFET, total_fen=20_000, drinks_fen=8_000)
    assert rules(over) == [("M7", Severity.WARN)]
    assert (over[0].actual, over[0].limit) == ("0.40", "1/3")


@pytest.mark.parametrize(
    ("guests", "ok", "too_many"),
    [(1, 1, 2), (3, 3, 4), (5, 3, 4), (6, 5, 6), (10, 5, 6), (11, 11, 12), (20, 20, 21)],
)
def test_M8_accompanying_limits(guests: int, ok: int, too_many: int) -> None:
    kw: dict[str, Any] = {"meal_type": MealType.BANQUET, "guests": guests, "total_fen": 1}
    assert check(**kw, accompanying=ok) == []
    over = check(**kw, accompanying=too_many)
    assert rules(over) == [("M8", Severity.BLOCK)]
    assert (over[0].actual, over[0].limit) == (str(too_many), str(ok))


def test_M8_five_guests_three_accompanying_pass_four_block() -> None:
    assert check(guests=5, accompanying=3, total_fen=1) == []
    assert rules(check(guests=5, accompanying=4, total_fen=1)) == [("M8", Severity.BLOCK)]


def test_M8_general_customers_get_a_warning() -> None:
    findings = check(tier=GEN, guests=5, accompanying=4, total_fen=1)
    assert rules(findings) == [("M8", Severity.WARN)]


def test_M5_M7_M8_every_finding_is_returned_not_just_the_first() -> None:
    findings = check(guests=2, accompanying=3, total_fen=100_000, drinks_fen=50_000)
    assert [f.rule for f in findings] == ["M5", "M7", "M8"]


def test_M8_without_a_total_only_headcount_is_checked() -> None:
    assert rules(check(guests=5, accompanying=4, total_fen=None)) == [("M8", Severity.BLOCK)]


def test_M6_designated_restaurant_for_a_staff_banquet_is_a_special_case_warning() -> None:
    assert rules(check(designated=True)) == [("M6", Severity.WARN)]
    assert check(host=Host.MANAGER, designated=True) == []  # Art. 5.1: the normal place


def test_M6_policy_blocked_lists_each_blocking_rule() -> None:
    findings = check(guests=2, accompanying=3, total_fen=100_000, drinks_fen=50_000)
    err = PolicyBlocked(findings)
    assert isinstance(err, DomainError) and err.code == "POLICY_BLOCKED"
    assert [f.rule for f in err.findings] == ["M5", "M7", "M8"] and err.rule == "M5"
    with pytest.raises(ValueError):
        PolicyBlocked([])
