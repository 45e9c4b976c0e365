"""SQL of the customer view. Commitment and follow-up counts are taken from the visits
projection at read time, against the company time zone's today (V11, V12)."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from projections.paging import Where, fetch_page

# $1 is always today. A customer with no commitments gets zeros, not nulls.
_SELECT = """
SELECT c.*, k.open_commitments, k.overdue_commitments, k.follow_ups_due, k.follow_ups_overdue,
       s.meal_spend_fen, s.meals_held
FROM customers c
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE m.status = 'open') AS open_commitments,
           count(*) FILTER (WHERE m.status = 'open' AND m.due_date < $1) AS overdue_commitments,
           count(*) FILTER (WHERE m.status = 'fulfilled') AS follow_ups_due,
           count(*) FILTER (WHERE m.status = 'fulfilled' AND m.follow_up_due < $1)
               AS follow_ups_overdue
    FROM commitments m WHERE m.customer_id = c.customer_id
) k
CROSS JOIN LATERAL (
    -- Meal spend from the expenses read model: actual costs recorded (M12), not refused ones.
    SELECT coalesce(sum(e.amount_fen) FILTER (WHERE NOT e.closed), 0)::bigint AS meal_spend_fen,
           count(e.amount_fen) FILTER (WHERE NOT e.closed) AS meals_held
    FROM meal_expenses e WHERE e.customer_id = c.customer_id
) s
"""


async def customer_by_id(pool: asyncpg.Pool, customer_id: str, today: date) -> Any:
    return await pool.fetchrow(_SELECT + " WHERE c.customer_id = $2", today, customer_id)


def customer_where(today: date, *, tier: str | None, status: str | None,
                   region: str | None, name_contains: str | None) -> Where:
    where = Where()
    where.param(today)
    where.when(tier, "c.tier = {}")
    where.when(status, "c.status = {}")
    where.when(region, "c.region = {}")
    if name_contains:
        escaped = name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.add("c.organisation_name ILIKE {}", f"%{escaped}%")
    return where


async def customer_page(pool: asyncpg.Pool, where: Where, after: list[Any] | None,
                        limit: int) -> tuple[list[Any], int]:
    """Ordered by (organisation name, id)."""
    return await fetch_page(
        pool, _SELECT, where, after=after,
        after_condition="(c.organisation_name, c.customer_id) > ({}, {})",
        order_by="c.organisation_name, c.customer_id", limit=limit,
    )
