"""SQL of the visit list, commitments (V11) and follow-ups (V12).

Staff see only their own visits, and the commitments of their visits or that they own, unless
KEHU_STAFF_SEE_ALL; `owner` is None for callers who see everything. Overdue is computed against
`today` (company time zone), passed as $1 of every commitment query.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from projections.paging import Where, fetch_page

_VISITS = """
SELECT v.*, c.organisation_name
FROM visits v LEFT JOIN customers c ON c.customer_id = v.customer_id
"""

_COMMITMENTS = """
SELECT m.*,
       (m.status = 'open' AND m.due_date < $1) AS overdue,
       (m.status = 'fulfilled' AND m.follow_up_due < $1) AS follow_up_overdue
FROM commitments m
"""


async def visit_by_id(pool: asyncpg.Pool, visit_id: str, owner: str | None) -> Any:
    where = Where()
    where.add("v.visit_id = {}", visit_id)
    where.when(owner, "v.owner_id = {}")
    return await pool.fetchrow(_VISITS + where.sql, *where.params)


def visit_where(owner: str | None, *, customer_id: str | None, staff_id: str | None,
                date_from: date | None, date_to: date | None, status: str | None,
                purpose: str | None, unplanned: bool | None) -> Where:
    where = Where()
    where.when(owner, "v.owner_id = {}")
    where.when(customer_id, "v.customer_id = {}")
    where.when(staff_id, "v.owner_id = {}")
    where.when(date_from, "v.visit_date >= {}")
    where.when(date_to, "v.visit_date <= {}")
    where.when(status, "v.status = {}")
    where.when(purpose, "{} = ANY(v.purposes)")
    where.when(unplanned, "v.unplanned = {}")
    return where


async def visit_page(pool: asyncpg.Pool, where: Where, after: list[Any] | None,
                     limit: int) -> tuple[list[Any], int]:
    """Newest first (by the position of the visit's first event)."""
    return await fetch_page(pool, _VISITS, where, after=after, after_condition="v.seq < {}",
                            order_by="v.seq DESC", limit=limit)


def commitment_where(today: date, owner: str | None, *, customer_id: str | None,
                     visit_id: str | None, owner_id: str | None) -> Where:
    where = Where()
    where.param(today)
    if owner is not None:
        where.add("(m.visit_owner_id = {} OR m.owner_id = {})", owner, owner)
    where.when(customer_id, "m.customer_id = {}")
    where.when(visit_id, "m.visit_id = {}")
    where.when(owner_id, "m.owner_id = {}")
    return where


def only_overdue(where: Where, overdue: bool | None) -> None:
    """V11: open and past its due date; false: everything else."""
    if overdue is not None:
        where.conditions.append(("" if overdue else "NOT ")
                                + "(m.status = 'open' AND m.due_date < $1)")


def only_follow_ups(where: Where, due: bool | None, overdue: bool | None) -> None:
    """V12: due = fulfilled and waiting for the follow-up; false: already followed up."""
    states = {True: "('fulfilled')", False: "('followed_up')", None: "('fulfilled', 'followed_up')"}
    where.conditions.append(f"m.status IN {states[due]}")
    if overdue is not None:
        where.conditions.append(("" if overdue else "NOT ")
                                + "(m.status = 'fulfilled' AND m.follow_up_due < $1)")


async def commitment_page(pool: asyncpg.Pool, where: Where, after: list[Any] | None,
                          limit: int, *, by: str) -> tuple[list[Any], int]:
    """Soonest first by `by` (due_date or follow_up_due), then visit and commitment id."""
    return await fetch_page(
        pool, _COMMITMENTS, where, after=after,
        after_condition=f"(m.{by}, m.visit_id, m.commitment_id) > ({{}}, {{}}, {{}})",
        order_by=f"m.{by}, m.visit_id, m.commitment_id", limit=limit,
    )
