"""The rule book's versions (M15, V13): drafts and approvals, with their figures as JSON."""

from __future__ import annotations

from datetime import date

import asyncpg

from events.policy.model import PolicyApproved, PolicyDrafted
from events.store.codec import to_data
from events.store.envelope import StoredEvent
from projections.base import Projection

DDL = (
    """CREATE TABLE policy_versions (
        version int PRIMARY KEY,
        status text NOT NULL,               -- draft | approved
        figures jsonb NOT NULL,
        notes text NOT NULL,
        compiled_by text NOT NULL,
        drafted_by text NOT NULL,
        drafted_at timestamptz NOT NULL,
        effective_from date,
        reviewed_by text,
        approved_by text,
        approved_at timestamptz,
        position bigint NOT NULL
    )""",
    "CREATE INDEX policy_versions_effective ON policy_versions (effective_from)",
)


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    event = stored.event
    if isinstance(event, PolicyDrafted):
        await conn.execute(
            "INSERT INTO policy_versions (version, status, figures, notes, compiled_by,"
            " drafted_by, drafted_at, position) VALUES ($1, 'draft', $2, $3, $4, $5, $6, $7)",
            event.version, to_data(event.figures), event.notes, event.compiled_by,
            event.drafted_by, event.drafted_at, stored.position,
        )
    elif isinstance(event, PolicyApproved):
        await conn.execute(
            "UPDATE policy_versions SET status = 'approved', effective_from = $2,"
            " reviewed_by = $3, approved_by = $4, approved_at = $5, position = $6"
            " WHERE version = $1",
            event.version, event.effective_from, event.reviewed_by, event.approved_by,
            event.approved_at, stored.position,
        )


_COLUMNS = (
    "version, status, figures, notes, compiled_by, drafted_by, drafted_at, effective_from,"
    " reviewed_by, approved_by, approved_at"
)


async def version_in_force(pool: asyncpg.Pool, on: date) -> asyncpg.Record | None:
    """The approved version binding on a day: the latest whose effective date has come."""
    row: asyncpg.Record | None = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM policy_versions WHERE status = 'approved'"
        " AND effective_from <= $1 ORDER BY effective_from DESC LIMIT 1",
        on,
    )
    return row


async def all_versions(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT {_COLUMNS} FROM policy_versions ORDER BY version"
    )
    return rows


PROJECTIONS = [
    Projection(
        name="policies", version=1, tables=("policy_versions",), ddl=DDL, handle=handle,
        event_types=frozenset({"PolicyDrafted", "PolicyApproved"}),
    )
]
