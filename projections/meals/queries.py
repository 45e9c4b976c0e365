"""The meals view's SELECTs: one request, keyset pages, the manager's work lists.

Filters go through the one WHERE helper (projections/paging.py): conditions written here,
values always as parameters. `owner` limits the rows to one requester (staff see their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from projections.errors import QueryRefused
from projections.paging import Where, cursor_values, fetch_page

# M6 exceptions awaiting the manager, and held meals whose actual bill breaks the rule book.
OPEN_EXCEPTION = (
    "((policy_exception AND status = 'requested') OR (cost_blocked AND status IN"
    " ('held', 'pending_paperwork', 'paperwork_completed')))"
)
PAPERWORK_OUTSTANDING = "status IN ('verbally_approved', 'pending_paperwork')"

_SELECT = "SELECT * FROM meal_requests"
_ORDER = "requested_at DESC, meal_id DESC"
_AFTER = "(requested_at, meal_id) < ({}, {})"


@dataclass(frozen=True)
class MealCriteria:
    statuses: list[str] | None = None
    customer_id: str | None = None
    requested_by: str | None = None
    restaurant: str | None = None
    meal_from: datetime | None = None
    meal_to: datetime | None = None


def meal_where(owner: str | None, criteria: MealCriteria) -> Where:
    where = Where()
    where.when(criteria.statuses or None, "status = ANY({})")
    where.when(criteria.customer_id, "customer_id = {}")
    where.when(criteria.requested_by, "requested_by = {}")
    where.when(criteria.restaurant, "restaurant = {}")
    where.when(criteria.meal_from, "meal_at >= {}")
    where.when(criteria.meal_to, "meal_at < {}")
    where.when(owner, "requested_by = {}")
    return where


def meal_cursor(after: str | None) -> list[Any] | None:
    values = cursor_values(after, str, str)
    if values is None:
        return None
    try:
        return [datetime.fromisoformat(values[0]), values[1]]
    except ValueError:
        raise QueryRefused("not a cursor of this query", field="after") from None


async def meal_page(pool: asyncpg.Pool, where: Where, after: list[Any] | None,
                    limit: int) -> tuple[list[asyncpg.Record], int]:
    return await fetch_page(pool, _SELECT, where, after=after, after_condition=_AFTER,
                            order_by=_ORDER, limit=limit)


async def meal_by_id(pool: asyncpg.Pool, meal_id: str,
                     owner: str | None) -> asyncpg.Record | None:
    where = meal_where(owner, MealCriteria())
    where.add("meal_id = {}", meal_id)
    row: asyncpg.Record | None = await pool.fetchrow(f"{_SELECT}{where.sql}", *where.params)
    return row


async def work_list(pool: asyncpg.Pool, condition: str, owner: str | None, limit: int, *,
                    due_before: date | None = None,
                    criteria: MealCriteria | None = None) -> list[asyncpg.Record]:
    """A manager's list (open exceptions, outstanding paperwork, unsettled meals), newest
    first. `condition` is one of this module's constants, never input."""
    where = meal_where(owner, criteria or MealCriteria())
    where.conditions.append(condition)
    where.when(due_before, "paperwork_due < {}")
    rows = await pool.fetch(f"{_SELECT}{where.sql} ORDER BY {_ORDER} LIMIT {int(limit)}",
                            *where.params)
    return list(rows)
