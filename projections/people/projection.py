"""The people directory as a table: who is registered, in which role, still active or not."""

from __future__ import annotations

import asyncpg

from events.people.events import PersonContactRecorded, PersonDeactivated, PersonRegistered
from events.people.values import person_key
from events.store.envelope import StoredEvent
from projections.base import Projection

DDL = (
    """CREATE TABLE people (
        person_key text PRIMARY KEY,        -- NFKC + case folded: one row per person
        user_id text NOT NULL,
        name text NOT NULL,
        role text NOT NULL,
        active boolean NOT NULL,
        registered_by text NOT NULL,
        registered_at timestamptz NOT NULL,
        deactivated_at timestamptz,
        email text,                         -- where reminders go (events/reminders)
        language text,                      -- en, zh; NULL: both
        position bigint NOT NULL
    )""",
)


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    event = stored.event
    if isinstance(event, PersonRegistered):
        await conn.execute(
            "INSERT INTO people (person_key, user_id, name, role, active, registered_by,"
            " registered_at, position) VALUES ($1, $2, $3, $4, true, $5, $6, $7)"
            " ON CONFLICT (person_key) DO UPDATE SET user_id = $2, name = $3, role = $4,"
            " active = true, registered_by = $5, registered_at = $6, deactivated_at = NULL,"
            " position = $7",
            person_key(event.user_id), event.user_id, event.name, event.role.value,
            event.registered_by, event.registered_at, stored.position,
        )
    elif isinstance(event, PersonDeactivated):
        await conn.execute(
            "UPDATE people SET active = false, deactivated_at = $2, position = $3"
            " WHERE person_key = $1",
            person_key(event.user_id), event.deactivated_at, stored.position,
        )
    elif isinstance(event, PersonContactRecorded):
        await conn.execute(
            "UPDATE people SET email = $2, language = $3, position = $4 WHERE person_key = $1",
            person_key(event.user_id), event.email, event.language, stored.position,
        )


_COLUMNS = ("user_id, name, role, active, registered_by, registered_at, deactivated_at, email,"
            " language")


async def person(pool: asyncpg.Pool, user_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM people WHERE person_key = $1", person_key(user_id))
    return row


async def people(pool: asyncpg.Pool, *, active_only: bool, limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT {_COLUMNS} FROM people WHERE active OR NOT $1 ORDER BY person_key LIMIT $2",
        active_only, limit,
    )
    return rows


async def active_managers(pool: asyncpg.Pool) -> list[str]:
    """The user ids reminders for "the managers" go to (M2, M13)."""
    rows = await pool.fetch("SELECT user_id FROM people WHERE active AND role = 'manager'"
                            " ORDER BY person_key LIMIT 1000")
    return [r["user_id"] for r in rows]


PROJECTIONS = [
    Projection(
        # v2: email and language (reminders).
        name="people", version=2, tables=("people",), ddl=DDL, handle=handle,
        event_types=frozenset({"PersonRegistered", "PersonDeactivated",
                               "PersonContactRecorded"}),
    )
]
