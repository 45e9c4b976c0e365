"""The vocabulary of meal entertainment, shared by the rule book (policy) and the meal aggregate.

Kept apart from both so that `policy_figures` and `meal_rules` can use it without importing
each other.
"""

from __future__ import annotations

from enum import StrEnum

# The customer record owns the tier (customers aggregate); meals only read it.
from events.customers.values import Tier as CustomerTier


class MealType(StrEnum):
    """The "standard" (规格) of a meal, RULES M3/M5."""

    BANQUET = "banquet"
    COLD_BUFFET = "cold_buffet"
    COCKTAIL = "cocktail"
    TEA_PARTY = "tea_party"
    EXCURSION = "excursion"  # a meal during a suburban visit or tour (郊区参观、游览)
    CANTEEN = "canteen"  # the company canteen, paid with vouchers (M10)


class Host(StrEnum):
    """Who gives the meal (出面举办), which decides the banquet cap (M5)."""

    MANAGER = "manager"
    STAFF = "staff"


# M9: even when the manager joins, the meal is booked to the customer service department.
COST_CENTER = "customer_service"

__all__ = ["COST_CENTER", "CustomerTier", "Host", "MealType"]
