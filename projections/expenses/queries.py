"""The expenses view's SELECT: spend grouped by the dimensions a dashboard asks for.

Spend is the actual cost recorded (M12) of meals not rejected or denied reimbursement (M14),
between two days of the company time zone. Filters go through the one WHERE helper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from projections.paging import Where

# Each dimension: the SQL that groups, the SQL that labels the group ($1 is the time zone).
DIMENSIONS = {
    "month": ("to_char(meal_at AT TIME ZONE $1, 'YYYY-MM')",) * 2,
    "restaurant": ("restaurant_key", "min(restaurant)"),
    "customer": ("customer_id", "customer_id"),
    "customer_tier": ("customer_tier", "customer_tier"),
    "host": ("host", "host"),
    "meal_type": ("meal_type", "meal_type"),
}


# Group orders; every order ends with the group keys, month first, so it is total and dates
# read in date order (the default, "key").
ORDERS = {"key": None, "total_desc": "total_fen DESC", "total_asc": "total_fen ASC",
          "count_desc": "meals DESC", "count_asc": "meals ASC"}


def order_sql(order: str, dimensions: list[str]) -> str:
    keys = sorted(dimensions, key=lambda d: d != "month")
    ordering = [o for o in (ORDERS[order],) if o] + keys
    return " ORDER BY " + ", ".join(ordering) if ordering else ""


@dataclass(frozen=True)
class ExpenseCriteria:
    customer_id: str | None = None
    restaurant_key: str | None = None
    customer_tier: str | None = None
    host: str | None = None
    meal_type: str | None = None
    signed_only: bool = False
    settled_only: bool = False


async def expense_groups(pool: asyncpg.Pool, tz: ZoneInfo, from_day: date, to_day: date,
                         dimensions: list[str], criteria: ExpenseCriteria,
                         owner: str | None, *, order: str = "key") -> list[asyncpg.Record]:
    """One row per group (labelled by the dimension's name), with `meals` and `total_fen`."""
    where = Where()
    # $1 (the time zone) typed here too, for queries that do not group by month.
    where.add("{}::text IS NOT NULL", tz.key)
    where.add("meal_at >= {}", datetime.combine(from_day, time(), tz))
    where.add("meal_at < {}", datetime.combine(to_day + timedelta(days=1), time(), tz))
    where.conditions += ["amount_fen IS NOT NULL", "NOT closed"]
    if criteria.signed_only:
        where.conditions.append("signed")
    if criteria.settled_only:
        where.conditions.append("settled")
    where.when(criteria.customer_id, "customer_id = {}")
    where.when(criteria.restaurant_key, "restaurant_key = {}")
    where.when(criteria.customer_tier, "customer_tier = {}")
    where.when(criteria.host, "host = {}")
    where.when(criteria.meal_type, "meal_type = {}")
    where.when(owner, "requested_by = {}")
    labels = ", ".join(f"{DIMENSIONS[d][1]} AS {d}" for d in dimensions)
    groups = ", ".join(DIMENSIONS[d][0] for d in dimensions)
    rows = await pool.fetch(
        f"SELECT {labels + ', ' if labels else ''}count(*) AS meals,"
        f" sum(amount_fen) AS total_fen FROM meal_expenses{where.sql}"
        f"{' GROUP BY ' + groups if groups else ''}{order_sql(order, dimensions)}",
        *where.params,
    )
    return [r for r in rows if r["meals"]]
