"""Auditing a restaurant's monthly bill against the signed meals (M13), pure.

A line that names a meal is judged against that meal only; a line that names none matches an
unmatched signed meal of the same day and amount. Each meal is matched at most once, so two
identical lines can never settle one meal twice.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from events.shared.money import format_fen


@dataclass(frozen=True)
class BillLine:
    line_no: int
    date: date
    amount_fen: int
    reference: str  # the restaurant's own reference (receipt number, table, ...)
    meal_id: str | None = None


@dataclass(frozen=True)
class SignedMeal:
    """A signed, unsettled meal as the handler reads it from the meal projection."""

    meal_id: str
    restaurant: str
    date: date  # the meal day in the company time zone
    total_fen: int  # the actual cost recorded and signed (M12)
    requested_by: str | None = None  # for separation of duties at settlement


class Discrepancy(StrEnum):
    AMOUNT_DIFFERS = "amount_differs"
    RESTAURANT_DIFFERS = "restaurant_differs"
    MEAL_NOT_SIGNED = "meal_not_signed"  # unknown, unsigned or already settled
    MEAL_ALREADY_MATCHED = "meal_already_matched"
    NO_SIGNED_MEAL = "no_signed_meal"  # no meal of that day and amount
    NO_BILL_LINE = "no_bill_line"  # a signed meal the restaurant did not bill


@dataclass(frozen=True)
class MatchedLine:
    line_no: int
    meal_id: str
    amount_fen: int


@dataclass(frozen=True)
class UnmatchedLine:
    line_no: int
    reason: Discrepancy
    message: str


@dataclass(frozen=True)
class UnmatchedMeal:
    meal_id: str
    reason: Discrepancy
    message: str


@dataclass(frozen=True)
class MatchResult:
    matched: tuple[MatchedLine, ...]
    unmatched_lines: tuple[UnmatchedLine, ...]
    unmatched_meals: tuple[UnmatchedMeal, ...]


def restaurant_key(name: str) -> str:
    """Names compare after Unicode normalisation, case folding and whitespace collapsing."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def match_lines(
    lines: Sequence[BillLine], signed_meals: Sequence[SignedMeal], restaurant: str | None = None
) -> MatchResult:
    """Pair bill lines with signed meals; `restaurant` limits date matching to that restaurant."""
    key = restaurant_key(restaurant) if restaurant is not None else None
    meals = {m.meal_id: m for m in signed_meals}
    used: dict[str, int] = {}
    matched: list[MatchedLine] = []
    unmatched: list[UnmatchedLine] = []
    ordered = sorted(lines, key=lambda line: line.line_no)
    # Lines naming a meal go first so a look-alike unnamed line cannot take their meal.
    for line in (x for x in ordered if x.meal_id is not None):
        outcome = _match_named(line, meals, used, key)
        if isinstance(outcome, MatchedLine):
            used[outcome.meal_id] = line.line_no
            matched.append(outcome)
        else:
            unmatched.append(outcome)
    for line in (x for x in ordered if x.meal_id is None):
        candidates = sorted(
            (m for m in signed_meals
             if m.meal_id not in used and m.date == line.date and m.total_fen == line.amount_fen
             and (key is None or restaurant_key(m.restaurant) == key)),
            key=lambda m: m.meal_id,
        )
        if candidates:
            used[candidates[0].meal_id] = line.line_no
            matched.append(MatchedLine(line.line_no, candidates[0].meal_id, line.amount_fen))
        else:
            unmatched.append(UnmatchedLine(
                line.line_no, Discrepancy.NO_SIGNED_MEAL,
                f"no signed meal on {line.date.isoformat()} for {_yuan(line.amount_fen)}",
            ))
    unbilled = tuple(
        UnmatchedMeal(m.meal_id, Discrepancy.NO_BILL_LINE, "signed meal not on the bill")
        for m in sorted(signed_meals, key=lambda m: m.meal_id)
        if m.meal_id not in used and (key is None or restaurant_key(m.restaurant) == key)
    )
    return MatchResult(
        matched=tuple(sorted(matched, key=lambda m: m.line_no)),
        unmatched_lines=tuple(sorted(unmatched, key=lambda u: u.line_no)),
        unmatched_meals=unbilled,
    )


def _match_named(
    line: BillLine, meals: dict[str, SignedMeal], used: dict[str, int], key: str | None
) -> MatchedLine | UnmatchedLine:
    meal_id = line.meal_id or ""
    meal = meals.get(meal_id)
    if meal is None:
        return UnmatchedLine(line.line_no, Discrepancy.MEAL_NOT_SIGNED,
                             f"meal {meal_id} is not a signed, unsettled meal")
    if meal_id in used:
        return UnmatchedLine(line.line_no, Discrepancy.MEAL_ALREADY_MATCHED,
                             f"meal {meal_id} is already matched by line {used[meal_id]}")
    if key is not None and restaurant_key(meal.restaurant) != key:
        return UnmatchedLine(line.line_no, Discrepancy.RESTAURANT_DIFFERS,
                             f"meal {meal_id} was held at {meal.restaurant}")
    if meal.total_fen != line.amount_fen:
        return UnmatchedLine(
            line.line_no, Discrepancy.AMOUNT_DIFFERS,
            f"amount differs: bill {_yuan(line.amount_fen)}, signed {_yuan(meal.total_fen)}",
        )
    return MatchedLine(line.line_no, meal_id, line.amount_fen)


def _yuan(fen: int) -> str:
    return f"{format_fen(fen)} yuan"
