"""The one read of the log by position keeps an index-bounded plan however often it runs.

PostgreSQL switches a prepared statement to its generic plan after five runs. When the read was
one statement with `$n IS NULL OR ...` for every filter, that plan could not bound the index
scan by `upto`: a reader far behind (a rebuild, a subscription or webhook catching up) scanned
and sorted the whole rest of the log for every page. The plans are checked here as PostgreSQL
makes them for a sixth run (`force_generic_plan`)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from events.store.event_store import read_statement


async def generic_plan(pool: asyncpg.Pool, sql: str, args: list[Any]) -> dict[str, Any]:
    marks = ", ".join(literal(a) for a in args)  # EXECUTE takes values, not bind parameters
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await conn.execute(f"PREPARE read_plan AS {sql}")
        try:
            plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE read_plan({marks})")
        finally:
            await conn.execute("DEALLOCATE read_plan")
    found: dict[str, Any] = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return found


def literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return "ARRAY[" + ", ".join(literal(v) for v in value) + "]::text[]"


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in nodes(child))]


@pytest.mark.parametrize("filters", [
    {},
    {"types": ["MealRequested", "MealApproved"]},
    {"stream_type": "meal"},
    {"actor_id": "u1"},
])
async def test_a_window_of_positions_is_an_index_range_in_the_generic_plan(
        pool: asyncpg.Pool, filters: dict[str, Any]) -> None:
    sql, args = read_statement(1000, 500, upto=11_000, **filters)
    plan = await generic_plan(pool, sql, args)
    # An index scan in position order, or (a filter's own index) a bitmap scan then a sort of
    # the window: either way the positions bound what is read.
    bounds = [n.get("Index Cond", "") for n in nodes(plan) if "Index" in n["Node Type"]]
    assert any('"position" > $1' in b and '"position" <= $3' in b for b in bounds), plan
    assert not any(n["Node Type"] == "Seq Scan" for n in nodes(plan)), plan


async def test_only_the_filters_given_are_in_the_statement() -> None:
    sql, args = read_statement(5, 10)
    assert "IS NULL" not in sql and args == [5, 10]
    sql, args = read_statement(5, 10, ["A"], upto=9, recorded_to=None)
    assert args == [5, 10, 9, ["A"]] and "$4::text[]" in sql


async def test_the_former_single_statement_had_no_such_bound(pool: asyncpg.Pool) -> None:
    """The check above can fail: the one-statement form it replaced did not bound its scan."""
    sql, _ = read_statement(0, 1)
    former = sql.replace("WHERE position > $1", "WHERE position > $1"
                         " AND ($3::bigint IS NULL OR position <= $3)")
    plan = await generic_plan(pool, former, [1000, 500, 11_000])
    bounds = [n.get("Index Cond", "") for n in nodes(plan)]
    assert not any('"position" <= $3' in b for b in bounds), plan
