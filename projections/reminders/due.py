"""The deadlines reminders watch, read from the views that already list them: the meals view's
outstanding paperwork (`pendingPaperwork`) and requests awaiting approval, the visits view's
open commitments (`commitments(overdue)`) and follow-ups (`followUps(due)`), and its signed,
unsettled meals by restaurant and month (`unsettledSignedMeals`). Nothing is recomputed: a
deadline met in the view (paperwork completed, commitment fulfilled, bill settled) is no longer
listed, so its reminders stop.

Each query is bounded: a window of days around today and at most LIMIT subjects per check.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from events.reminders.schedule import Subject
from events.reminders.values import Deadline
from projections.meals.queries import PAPERWORK_OUTSTANDING

LIMIT = 5000
WINDOW = timedelta(days=120)  # beyond any offset and repeat series of the policy's bounds


async def _paperwork(pool: asyncpg.Pool, today: date) -> list[Subject]:
    rows = await pool.fetch(
        "SELECT meal_id, requested_by, organisation, paperwork_due, unapproved FROM meal_requests"
        f" WHERE {PAPERWORK_OUTSTANDING} AND paperwork_due BETWEEN $1 AND $2"
        f" ORDER BY paperwork_due, meal_id LIMIT {LIMIT}", today - WINDOW, today + WINDOW)
    # A meal held without approval owes its paperwork under M14, a verbal approval under M11.
    return [Subject("meal", r["meal_id"], r["organisation"], r["paperwork_due"],
                    owner=r["requested_by"], rule="M14" if r["unapproved"] else None)
            for r in rows]


async def _approvals(pool: asyncpg.Pool, now: datetime, wait: timedelta) -> list[Subject]:
    rows = await pool.fetch(
        "SELECT meal_id, requested_by, organisation, requested_at FROM meal_requests"
        " WHERE status = 'requested' AND requested_at BETWEEN $1 AND $2"
        f" ORDER BY requested_at, meal_id LIMIT {LIMIT}", now - WINDOW, now - wait)
    return [Subject("meal", r["meal_id"], r["organisation"], None, owner=r["requested_by"],
                    since=r["requested_at"]) for r in rows]


async def _commitments(pool: asyncpg.Pool, today: date, follow_up: bool) -> list[Subject]:
    status, column = ("fulfilled", "follow_up_due") if follow_up else ("open", "due_date")
    rows = await pool.fetch(
        f"SELECT visit_id, commitment_id, owner_id, what, {column} AS due FROM commitments"
        f" WHERE status = $1 AND {column} BETWEEN $2 AND $3"
        f" ORDER BY {column}, visit_id, commitment_id LIMIT {LIMIT}",
        status, today - WINDOW, today + WINDOW)
    return [Subject("commitment", f"{r['visit_id']}/{r['commitment_id']}", r["what"][:200],
                    r["due"], owner=r["owner_id"]) for r in rows]


async def _bills(pool: asyncpg.Pool, today: date, tz: ZoneInfo) -> list[Subject]:
    # M13: signed meals of a month that has ended (company time) and that no bill settled.
    first_of_month = today.replace(day=1)
    rows = await pool.fetch(
        "SELECT restaurant_key, min(restaurant) AS restaurant,"
        " to_char(meal_at AT TIME ZONE $1, 'YYYY-MM') AS month FROM meal_requests"
        " WHERE status = 'signed' AND (meal_at AT TIME ZONE $1)::date < $2"
        " AND (meal_at AT TIME ZONE $1)::date >= $3"
        f" GROUP BY restaurant_key, month ORDER BY month, restaurant_key LIMIT {LIMIT}",
        tz.key, first_of_month, first_of_month - WINDOW)
    subjects = []
    for r in rows:
        year, month = (int(p) for p in r["month"].split("-"))
        following = date(year + month // 12, month % 12 + 1, 1)
        subjects.append(Subject("bill", f"{r['restaurant_key']}/{r['month']}",
                                f"{r['restaurant']} ({r['month']})",
                                following - timedelta(days=1)))
    return subjects


async def subjects(pool: asyncpg.Pool, deadline: Deadline, now: datetime, *,
                   approval_wait: timedelta, tz: ZoneInfo) -> list[Subject]:
    today = now.astimezone(tz).date()
    if deadline is Deadline.PAPERWORK:
        return await _paperwork(pool, today)
    if deadline is Deadline.APPROVAL:
        return await _approvals(pool, now, approval_wait)
    if deadline in (Deadline.COMMITMENT, Deadline.FOLLOW_UP):
        return await _commitments(pool, today, deadline is Deadline.FOLLOW_UP)
    return await _bills(pool, today, tz)


async def already_sent(pool: asyncpg.Pool, streams: list[str]) -> set[str]:
    """Which reminder streams exist (one query for a whole check, not one per reminder)."""
    if not streams:
        return set()
    rows = await pool.fetch("SELECT DISTINCT stream_id FROM kehu_log.events"
                            " WHERE stream_id = ANY($1::text[])", streams)
    return {r["stream_id"] for r in rows}
