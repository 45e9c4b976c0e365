"""Set-based writes for a run of events: the rows are built in Python, then one statement.

A projection may give the runner `bulk` writers (projections/base.py): each takes a run of
consecutive events of its types and must leave exactly the rows that its per-event `handle`
would, event by event, in log order (tests/projections/test_batched_pages.py compares them
on every projection, with large pages and with small ones). Writers fold what happens to one
row within the run in memory (last value wins, counters add up) and then send the rows in one
statement, so a page costs a few statements instead of one execution per event.

Rows travel as one JSONB array read back with `jsonb_populate_recordset(NULL::table, ...)`:
PostgreSQL converts every value to its column's own type, so a writer never lists types.
The array is encoded by msgspec (events/store/fastjson.py), in C: `as_json` lets a dataclass
for a JSONB column go in as it is, instead of walking it in Python with `codec.to_data`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from events.store.codec import to_data

Row = dict[str, Any]


_SAME: dict[Any, bool] = {}


def _writes_like_to_data(tp: Any) -> bool:
    """Whether msgspec writes values of this type exactly as `to_data` does: it does for
    dataclasses, enums, dates, strings, numbers and their collections, but writes a UTC
    datetime as "...Z" where `to_data` writes "...+00:00"."""
    found = _SAME.get(tp)
    if found is None:
        if tp is Any or (isinstance(tp, type) and issubclass(tp, datetime)):
            found = False
        elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
            found = all(_writes_like_to_data(t) for t in typing.get_type_hints(tp).values())
        else:
            found = all(_writes_like_to_data(t) for t in typing.get_args(tp))
        _SAME[tp] = found
    return found


def as_json(value: Any) -> Any:
    """`to_data(value)` for a JSONB column, or `value` itself where msgspec writes the same."""
    if isinstance(value, tuple | list):
        same = all(_writes_like_to_data(type(v)) for v in value)
    else:
        same = _writes_like_to_data(type(value))
    return value if same else to_data(value)


def by_columns(rows: Sequence[Row]) -> dict[tuple[str, ...], list[Row]]:
    """Rows grouped by the set of columns they give, in first-seen order."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    return groups


async def insert(conn: asyncpg.Connection, table: str, rows: Sequence[Row],
                 conflict: str = "") -> None:
    """INSERT every row; `conflict` is an ON CONFLICT clause (rows may be folded ahead)."""
    for columns, group in by_columns(rows).items():
        names = ", ".join(columns)
        await conn.execute(
            f"INSERT INTO {table} ({names}) SELECT {names}"
            f" FROM jsonb_populate_recordset(NULL::{table}, $1) {conflict}", group)


async def update(conn: asyncpg.Connection, table: str, key: tuple[str, ...],
                 rows: Sequence[Row], sets: Mapping[str, str] | None = None) -> None:
    """UPDATE the row named by `key` of each row with the row's other columns.

    Each key must appear once (fold first). `sets` assigns columns by SQL expressions instead,
    which may read the target row as `t` and the given row as `r`.
    """
    sets = sets or {}
    for columns, group in by_columns(rows).items():
        assignments = [f"{c} = r.{c}" for c in columns if c not in key and c not in sets]
        assignments += [f"{c} = {expression}" for c, expression in sets.items()]
        match = " AND ".join(f"t.{k} = r.{k}" for k in key)
        await conn.execute(
            f"UPDATE {table} AS t SET {', '.join(assignments)}"
            f" FROM jsonb_populate_recordset(NULL::{table}, $1) AS r WHERE {match}", group)


def unique_runs(rows: Sequence[Row], key: str) -> list[list[Row]]:
    """Split rows, in order, wherever a key repeats, so each part names a row at most once."""
    parts: list[list[Row]] = [[]]
    seen: set[Any] = set()
    for row in rows:
        if row[key] in seen:
            parts.append([])
            seen = set()
        seen.add(row[key])
        parts[-1].append(row)
    return parts
