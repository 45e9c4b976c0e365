"""How the report tables turn exact integers into the figures people read.

万元 (T2): 1 万元 = 10,000 yuan = 1,000,000 fen, shown with 4 decimals, so the last digit is
one yuan. A figure is rounded ONCE, from its exact fen total, half up (四舍五入: 0.50 yuan and
more goes up): 12,345.50 yuan -> 1.2346 万元, 12,345.49 -> 1.2345. Totals are summed in fen and
then rounded, never summed from rounded cells, so a row total can differ from the sum of its
displayed cells by at most half a yuan per cell; the yuan figures beside them are exact.

Shares (T1): percentages with 2 decimals by the largest-remainder method, so each criterion's
shares add up to exactly 100.00: every share is first cut down to 0.01 %, then the missing
hundredths go one each to the values with the largest remainders (ties: the value listed first).
With no customers at all every share is 0.00 (there is nothing to divide).
"""

from __future__ import annotations

FEN_PER_WAN = 1_000_000
FEN_PER_YUAN = 100


def wan_yuan(fen: int) -> str:
    """Exact fen -> 万元 with 4 decimals, rounded half up (away from zero for negatives)."""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), FEN_PER_YUAN)
    if rest * 2 >= FEN_PER_YUAN:
        yuan += 1
    whole, part = divmod(yuan, 10_000)
    return f"{sign}{whole}.{part:04d}"


def shares(counts: list[int]) -> list[str]:
    """Percentages of each count in the total, 2 decimals, summing to exactly 100.00."""
    total = sum(counts)
    if total == 0:
        return ["0.00"] * len(counts)
    units = 10_000  # hundredths of a percent in 100 %
    floors = [c * units // total for c in counts]
    remainders = [c * units % total for c in counts]
    missing = units - sum(floors)
    # Largest remainder first; equal remainders in listed order (sorted is stable).
    for i in sorted(range(len(counts)), key=lambda i: -remainders[i])[:missing]:
        floors[i] += 1
    return [f"{f // 100}.{f % 100:02d}" for f in floors]


def share(part: int, whole: int) -> str:
    """One percentage, 2 decimals, rounded half up (the share of all customers)."""
    if whole == 0:
        return "0.00"
    hundredths = (part * 10_000 * 2 + whole) // (2 * whole)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def avg_fen(total_fen: int, count: int) -> int:
    """The mean in whole fen, half up: money never becomes a float."""
    return (2 * total_fen + count) // (2 * count)
