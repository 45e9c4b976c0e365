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
    MealRequested,
    MealSettled,
)
from events.store.codec import to_data
from events.store.envelope import StoredEvent
from projections.base import Projection

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
    """CREATE TABLE restaurant_bills (
        stream_id text PRIMARY KEY,
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
        unmatched_meals jsonb NOT NULL DEFAULT '[]'
    )""",
    "CREATE INDEX restaurant_bills_month ON restaurant_bills (month, restaurant_key)",
)

EVENT_TYPES = frozenset({
    "MealRequested", "MealApprovedVerbally", "MealPaperworkCompleted", "MealCostRecorded",
    "MealCostSigned", "MealSettled", "MealRejected", "MealReimbursementDenied",
    "RestaurantBillRecorded", "RestaurantBillSettled",
})


async def _meal(conn: asyncpg.Connection, e: MealRequested | MealApprovedVerbally) -> None:
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
            " ON CONFLICT (stream_id) DO UPDATE SET total_fen = $6, line_count = $7,"
            " recorded_by = $8",
            stored.stream_id, e.bill_id, e.restaurant, restaurant_key(e.restaurant), e.month,
            e.total_fen, len(e.lines), e.recorded_by,
        )
        return
    await conn.execute(
        "UPDATE restaurant_bills SET settled = true, settled_total_fen = $2, settled_by = $3,"
        " matched = $4, unmatched_lines = $5, unmatched_meals = $6 WHERE stream_id = $1",
        stored.stream_id, e.settled_total_fen, e.settled_by, to_data(list(e.matched)),
        to_data(list(e.unmatched_lines)), to_data(list(e.unmatched_meals)),
    )


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    e = stored.event
    if isinstance(e, MealRequested | MealApprovedVerbally):
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


PROJECTIONS = [
    Projection(
        name="expenses", version=2, tables=("meal_expenses", "restaurant_bills"), ddl=DDL,
        handle=handle, event_types=EVENT_TYPES,
    )
]
