"""Connections to PostgreSQL: one asyncpg pool per process, JSONB decoded as Python data."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=_dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=_dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=init_connection, command_timeout=60
    )
    assert pool is not None
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn


def with_role(dsn: str, role: str | None) -> str:
    """The DSN whose sessions run as `role` from their first statement.

    asyncpg passes unknown query parameters as start-up settings, and `role` set that way
    survives the RESET ALL the pool runs between uses. Every connection the server opens
    (pool, notifier, projection runners, workers) takes the DSN, so none can forget it.
    """
    if not role:
        return dsn
    parts = urlsplit(dsn)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "role"] + [("role", role)]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def usable_role(dsn: str, role: str | None) -> str | None:
    """The app role if it exists and this login may become it; else None (connect as is)."""
    if not role:
        return None
    conn = await asyncpg.connect(dsn)
    try:
        usable = await conn.fetchval(
            "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)"
            " AND pg_has_role(current_user, $1, 'MEMBER')", role,
        )
    finally:
        await conn.close()
    return role if usable else None
