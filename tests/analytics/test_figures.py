"""Rounding of the report tables: 万元 from fen (T2) and shares summing to 100 (T1)."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

from projections.figures import avg_fen, share, shares, wan_yuan


def test_T2_wan_yuan_is_exact_fen_rounded_half_up_to_one_yuan() -> None:
    assert wan_yuan(0) == "0.0000"
    assert wan_yuan(1_234_550) == "1.2346"  # 12,345.50 yuan: half a yuan goes up
    assert wan_yuan(1_234_549) == "1.2345"  # 12,345.49 yuan
    assert wan_yuan(49) == "0.0000" and wan_yuan(50) == "0.0001"
    assert wan_yuan(1_000_000) == "1.0000"  # 10,000 yuan = 1 万元
    assert wan_yuan(123_456_789_012) == "123456.7890"
    assert wan_yuan(-1_234_550) == "-1.2346"


def test_T2_wan_yuan_agrees_with_decimal_half_up_for_random_amounts() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        fen = rng.randint(0, 10**13)
        expected = (Decimal(fen) / Decimal(1_000_000)).quantize(Decimal("0.0001"),
                                                                 rounding=ROUND_HALF_UP)
        assert wan_yuan(fen) == str(expected)


def test_T1_shares_sum_to_exactly_100_by_largest_remainder() -> None:
    assert shares([1, 1, 1]) == ["33.34", "33.33", "33.33"]  # tie: the first listed wins
    assert shares([2, 1]) == ["66.67", "33.33"]
    assert shares([0, 5, 0]) == ["0.00", "100.00", "0.00"]
    assert shares([0, 0]) == ["0.00", "0.00"]  # nobody: nothing to divide
    rng = random.Random(11)
    for _ in range(2000):
        counts = [rng.randint(0, 50) for _ in range(rng.randint(1, 6))]
        if sum(counts) == 0:
            continue
        got = [Decimal(s) for s in shares(counts)]
        assert sum(got) == Decimal("100.00")
        for c, s in zip(counts, got, strict=True):  # each share within 0.01 of the exact one
            assert abs(s - Decimal(c * 100) / sum(counts)) < Decimal("0.01")


def test_T1_single_share_and_average_round_half_up() -> None:
    assert share(1, 3) == "33.33" and share(2, 3) == "66.67" and share(0, 0) == "0.00"
    assert avg_fen(10, 4) == 3 and avg_fen(10, 3) == 3 and avg_fen(5, 2) == 3
