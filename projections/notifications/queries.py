"""The notifications view's SELECTs: one person's own, newest first, as keyset pages."""

from __future__ import annotations

import asyncpg

from events.people.values import person_key


async def page(pool: asyncpg.Pool, user_id: str, *, unread: bool | None, after: int | None,
               limit: int) -> tuple[list[asyncpg.Record], int]:
    """Rows newest first after the cursor (a position), and how many match in all."""
    key = person_key(user_id)
    condition = ("recipient_key = $1 AND ($2::boolean IS NULL OR (read_at IS NULL) = $2)")
    rows = await pool.fetch(
        f"SELECT * FROM notifications WHERE {condition} AND ($3::bigint IS NULL OR position < $3)"
        f" ORDER BY position DESC, notification_id LIMIT {int(limit)}", key, unread, after)
    total = await pool.fetchval(f"SELECT count(*) FROM notifications WHERE {condition}",
                                key, unread)
    return list(rows), int(total)


async def unread_count(pool: asyncpg.Pool, user_id: str) -> int:
    return int(await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE recipient_key = $1 AND read_at IS NULL",
        person_key(user_id)))


async def by_reminder(pool: asyncpg.Pool, user_id: str,
                      reminder_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT * FROM notifications WHERE recipient_key = $1 AND reminder_id = $2",
        person_key(user_id), reminder_id)
    return row
