"""A WHERE clause built from optional filters, with numbered asyncpg parameters.

Only conditions written in this code base go in; values always travel as parameters.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import asyncpg

from projections.errors import QueryRefused


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


def decode_cursor(cursor: str | None, field: str = "after") -> list[Any] | None:
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise QueryRefused("not a cursor returned by this API", field=field) from None
    if not isinstance(values, list):
        raise QueryRefused("not a cursor returned by this API", field=field)
    return values


class Where:
    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list[Any] = []

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"

    def add(self, condition: str, *values: Any) -> None:
        """`condition` uses {} for each value, in order: add("owner_id = {}", owner)."""
        self.conditions.append(condition.format(*(self.param(v) for v in values)))

    def when(self, value: Any, condition: str) -> None:
        if value is not None:
            self.add(condition, value)

    @property
    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.conditions) if self.conditions else ""


def cursor_values(after: str | None, *kinds: type) -> list[Any] | None:
    """Decode a cursor and check the shape this query wrote, so a forged one is a BadInput,
    not a database error."""
    values = decode_cursor(after)
    if values is None:
        return None
    if len(values) != len(kinds):
        raise QueryRefused("not a cursor of this query", field="after")
    try:
        decoded = [_cursor_value(v, kind) for v, kind in zip(values, kinds, strict=True)]
    except (TypeError, ValueError, OverflowError):
        raise QueryRefused("not a cursor of this query", field="after") from None
    return decoded


def _cursor_value(value: Any, kind: type) -> Any:
    if kind is int:
        number = int(value)
        if not -(2**63) <= number < 2**63:  # a bigint position
            raise ValueError("out of range")
        return number
    if not isinstance(value, str) or "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise ValueError("not a text value")
    return date.fromisoformat(value) if kind is date else value


def text_filter(value: str | None, field: str, limit: int = 200) -> str | None:
    if value is not None and len(value) > limit:
        raise QueryRefused(f"at most {limit} characters", field=field)
    return value


def date_range(start: date | None, end: date | None, field: str) -> None:
    if start is not None and end is not None and start > end:
        raise QueryRefused("the range ends before it starts", field=field)


async def fetch_page(pool: asyncpg.Pool, select: str, where: Where, *, after: list[Any] | None,
                     after_condition: str, order_by: str, limit: int) -> tuple[list[Any], int]:
    """`limit + 1` rows of `select` after the cursor position (keyset paging, so a page never
    skips or repeats a row when rows are added meanwhile), and the filter's total count."""
    total = await pool.fetchval(f"SELECT count(*) FROM ({select}{where.sql}) q", *where.params)
    page = Where()
    page.conditions, page.params = list(where.conditions), list(where.params)
    if after is not None:
        page.add(after_condition, *after)
    rows = await pool.fetch(f"{select}{page.sql} ORDER BY {order_by} LIMIT {limit + 1}",
                            *page.params)
    return list(rows), int(total)
