"""Expense views: one fact row per meal for spend by month, restaurant, customer, tier, host and
meal type; and each restaurant's monthly bill beside the signed meals it is audited against.

Months are not stored: they are derived from `meal_at` in the company time zone at query time,
so changing KEHU_TIMEZONE never needs a rebuild.
"""

from __future__ import annotations

import asyncpg

from events.bills.matching import restaurant_key
from events.bills.model import RestaurantBillRecorded, RestaurantBillSettled
from events.meals.events import (
    MealApprovedVerbally,
    MealCostRecorded,
    MealCostSigned,
    MealPaperworkCompleted,
    MealReimbursementDenied,
    MealRejected,
    MealReportedUnapproved,
    MealRequested,
    MealSettled,
)
from events.store.codec import to_data
from events.store.envelope import StoredEvent
from projections import bulk
from projections.base import Projection
from projections.bulk import Row

DDL = (
    """CREATE TABLE meal_expenses (
        meal_id text PRIMARY KEY,
        meal_at timestamptz NOT NULL,
        restaurant text NOT NULL,
        restaurant_key text NOT NULL,
        customer_id text NOT NULL,
        organisation text NOT NULL,
        customer_tier text NOT NULL,
        host text NOT NULL,
        meal_type text NOT NULL,
        requested_by text NOT NULL,
        amount_fen bigint,          -- the actual cost (M12); NULL until recorded
        signed boolean NOT NULL DEFAULT false,
        settled boolean NOT NULL DEFAULT false,
        closed boolean NOT NULL DEFAULT false   -- rejected or reimbursement denied: no spend
    )""",
    "CREATE INDEX meal_expenses_meal_at ON meal_expenses (meal_at)",
    # The customer view sums a customer's meal spend (version 2 added this index).
    "CREATE INDEX meal_expenses_customer ON meal_expenses (customer_id)",
    "CREATE INDEX meal_expenses_restaurant ON meal_expenses (restaurant_key, meal_at)",
    # One row per bill: the month's first bill (corrected in place before settlement) and
    # each supplementary bill after it (M13).
    """CREATE TABLE restaurant_bills (
        stream_id text NOT NULL,
        bill_id text NOT NULL,
        restaurant text NOT NULL,
        restaurant_key text NOT NULL,
        month text NOT NULL,
        total_fen bigint NOT NULL,
        line_count int NOT NULL,
        recorded_by text NOT NULL,
        settled boolean NOT NULL DEFAULT false,
        settled_total_fen bigint,
        settled_by text,
        matched jsonb NOT NULL DEFAULT '[]',
        unmatched_lines jsonb NOT NULL DEFAULT '[]',
        unmatched_meals jsonb NOT NULL DEFAULT '[]',
        PRIMARY KEY (stream_id, bill_id)
    )""",
    "CREATE INDEX restaurant_bills_month ON restaurant_bills (month, restaurant_key)",
)

EVENT_TYPES = frozenset({
    "MealRequested", "MealApprovedVerbally", "MealReportedUnapproved", "MealPaperworkCompleted",
    "MealCostRecorded",
    "MealCostSigned", "MealSettled", "MealRejected", "MealReimbursementDenied",
    "RestaurantBillRecorded", "RestaurantBillSettled",
})


async def _meal(conn: asyncpg.Connection,
                e: MealRequested | MealApprovedVerbally | MealReportedUnapproved) -> None:
    if isinstance(e, MealRequested):
        f = e.form
        values = (e.meal_id, f.meal_at, f.restaurant, f.customer_id, f.organisation,
                  e.customer_tier.value, f.host.value, f.meal_type.value, e.requested_by)
    else:
        values = (e.meal_id, e.meal_at, e.restaurant, e.customer_id, e.organisation,
                  e.customer_tier.value, e.host.value, e.meal_type.value, e.requested_by)
    await conn.execute(
        "INSERT INTO meal_expenses (meal_id, meal_at, restaurant, customer_id, organisation,"
        " customer_tier, host, meal_type, requested_by, restaurant_key)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        *values, restaurant_key(values[2]),
    )


async def _bill(conn: asyncpg.Connection, stored: StoredEvent,
                e: RestaurantBillRecorded | RestaurantBillSettled) -> None:
    if isinstance(e, RestaurantBillRecorded):
        # A corrected bill (recorded again before settlement) replaces the earlier lines.
        await conn.execute(
            "INSERT INTO restaurant_bills (stream_id, bill_id, restaurant, restaurant_key, month,"
            " total_fen, line_count, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (stream_id, bill_id) DO UPDATE SET total_fen = $6, line_count = $7,"
            " recorded_by = $8",
            stored.stream_id, e.bill_id, e.restaurant, restaurant_key(e.restaurant), e.month,
            e.total_fen, len(e.lines), e.recorded_by,
        )
        return
    await conn.execute(
        "UPDATE restaurant_bills SET settled = true, settled_total_fen = $2, settled_by = $3,"
        " matched = $4, unmatched_lines = $5, unmatched_meals = $6"
        " WHERE stream_id = $1 AND bill_id = $7",
        stored.stream_id, e.settled_total_fen, e.settled_by, to_data(list(e.matched)),
        to_data(list(e.unmatched_lines)), to_data(list(e.unmatched_meals)), e.bill_id,
    )


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    e = stored.event
    if isinstance(e, MealRequested | MealApprovedVerbally | MealReportedUnapproved):
        await _meal(conn, e)
    elif isinstance(e, RestaurantBillRecorded | RestaurantBillSettled):
        await _bill(conn, stored, e)
    elif isinstance(e, MealPaperworkCompleted):
        await conn.execute(
            "UPDATE meal_expenses SET meal_at = $2, restaurant = $3, restaurant_key = $4,"
            " organisation = $5 WHERE meal_id = $1",
            e.meal_id, e.form.meal_at, e.form.restaurant, restaurant_key(e.form.restaurant),
            e.form.organisation,
        )
    elif isinstance(e, MealCostRecorded):
        await conn.execute("UPDATE meal_expenses SET amount_fen = $2 WHERE meal_id = $1",
                           e.meal_id, e.total_fen)
    elif isinstance(e, MealCostSigned):
        await conn.execute("UPDATE meal_expenses SET signed = true WHERE meal_id = $1",
                           e.meal_id)
    elif isinstance(e, MealSettled):
        await conn.execute("UPDATE meal_expenses SET settled = true WHERE meal_id = $1",
                           e.meal_id)
    elif isinstance(e, MealRejected | MealReimbursementDenied):
        await conn.execute("UPDATE meal_expenses SET closed = true WHERE meal_id = $1",
                           e.meal_id)


_MEAL_COLUMNS = ("meal_id", "meal_at", "restaurant", "customer_id", "organisation",
                 "customer_tier", "host", "meal_type", "requested_by")


def _meal_row(e: MealRequested | MealApprovedVerbally | MealReportedUnapproved) -> Row:
    """The row `_meal` inserts."""
    if isinstance(e, MealRequested):
        f = e.form
        values = (e.meal_id, f.meal_at, f.restaurant, f.customer_id, f.organisation,
                  e.customer_tier.value, f.host.value, f.meal_type.value, e.requested_by)
    else:
        values = (e.meal_id, e.meal_at, e.restaurant, e.customer_id, e.organisation,
                  e.customer_tier.value, e.host.value, e.meal_type.value, e.requested_by)
    return {**dict(zip(_MEAL_COLUMNS, values, strict=True)),
            "restaurant_key": restaurant_key(values[2])}


def _meal_changes(e: object) -> Row:
    """What `handle` sets on a meal's row for each later event."""
    if isinstance(e, MealPaperworkCompleted):
        return {"meal_at": e.form.meal_at, "restaurant": e.form.restaurant,
                "restaurant_key": restaurant_key(e.form.restaurant),
                "organisation": e.form.organisation}
    if isinstance(e, MealCostRecorded):
        return {"amount_fen": e.total_fen}
    if isinstance(e, MealCostSigned):
        return {"signed": True}
    if isinstance(e, MealSettled):
        return {"settled": True}
    return {"closed": True}  # MealRejected, MealReimbursementDenied


_CREATED = (MealRequested, MealApprovedVerbally, MealReportedUnapproved)


async def write_meals(conn: asyncpg.Connection, events: list[StoredEvent]) -> None:
    """A run of meal events: a meal new in the run is one INSERT row with its later changes
    folded in; a meal from an earlier page is one UPDATE row (last value wins)."""
    new: dict[str, Row] = {}
    old: dict[str, Row] = {}
    for stored in events:
        e = stored.event
        meal_id: str = getattr(e, "meal_id")  # noqa: B009
        if isinstance(e, _CREATED):
            new[meal_id] = _meal_row(e)
        else:
            row = new.get(meal_id) or old.setdefault(meal_id, {"meal_id": meal_id})
            row.update(_meal_changes(e))
    await bulk.insert(conn, "meal_expenses", list(new.values()))
    await bulk.update(conn, "meal_expenses", ("meal_id",), list(old.values()))


PROJECTIONS = [
    Projection(
        # v3: one row per bill (supplementary bills, M13) and meals reported unapproved (M14).
        name="expenses", version=3, tables=("meal_expenses", "restaurant_bills"), ddl=DDL,
        handle=handle, event_types=EVENT_TYPES,
        page_order=(frozenset({"MealRequested"}), frozenset({"MealApprovedVerbally"})),
        bulk=((EVENT_TYPES - {"RestaurantBillRecorded", "RestaurantBillSettled"}, write_meals),),
    )
]
