"""Sales aggregates for dashboards: group by any of customer, customer tier, product, region,
month, quarter, year; filter; sum/count/avg/min/max; order; page over groups.

Read from the rollups of projections/sales.py, never from the log or per-sale facts: the
tier x region x product x month rollup when neither the grouping nor the filter names a
customer (a few hundred rows a year), the customer x product x month rollup otherwise. Month is
therefore the finest bucket; date filters are whole months. Tier and region are the customer's
as of each sale. Quarter and month buckets belong to their year ("2024-Q1", "2024-03").
Groups are paged by offset in a total order (the chosen order, then the group keys), so pages
neither repeat nor skip groups while the data stands still.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from projections.paging import Where

# dimension -> the rollup columns that make its key
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "customer": ("customer_id",),
    "customer_tier": ("tier",),
    "product": ("product_code",),
    "region": ("region",),
    "month": ("month",),
    "quarter": ("year", "quarter"),
    "year": ("year",),
}
ORDERS = {
    "key": None,
    "sum_desc": "s DESC", "sum_asc": "s ASC", "count_desc": "n DESC", "count_asc": "n ASC",
    "avg_desc": "s::numeric / n DESC", "avg_asc": "s::numeric / n ASC",
    "min_asc": "lo ASC", "max_desc": "hi DESC",
}


@dataclass(frozen=True)
class AggregateFilter:
    years: list[int] | None = None
    from_month: date | None = None  # first day of a month, inclusive
    to_month: date | None = None  # first day of a month, inclusive
    customer_ids: list[str] | None = None
    product_codes: list[str] | None = None
    tiers: list[str] | None = None
    regions: list[str] | None = None  # '' = unknown


@dataclass(frozen=True)
class Group:
    key: dict[str, Any]  # rollup column -> value
    sum_fen: int
    count: int
    min_fen: int
    max_fen: int


def build_sql(group_by: list[str], f: AggregateFilter, order: str) -> tuple[str, list[Any]]:
    columns = list(dict.fromkeys(c for d in group_by for c in DIMENSIONS[d]))
    by_customer = "customer" in group_by or bool(f.customer_ids)
    table = "sales_rollup" if by_customer else "sales_dim_rollup"
    where = Where()
    where.when(f.years or None, "year = ANY({}::smallint[])")
    where.when(f.from_month, "month >= {}::date")
    where.when(f.to_month, "month <= {}::date")
    where.when(f.customer_ids or None, "customer_id = ANY({}::text[])")
    where.when(f.product_codes or None, "product_code = ANY({}::text[])")
    where.when(f.tiers or None, "tier = ANY({}::text[])")
    where.when(f.regions or None, "region = ANY({}::text[])")
    keys = ", ".join(columns)
    ordering = [o for o in (ORDERS[order],) if o] + columns
    sql = (
        f"SELECT {keys + ', ' if keys else ''}sum(total_fen) AS s, sum(sale_count) AS n,"
        " min(min_fen) AS lo, max(max_fen) AS hi, count(*) OVER () AS groups"
        f" FROM {table}{where.sql}"
        + (f" GROUP BY {keys}" if keys else "")
        + " HAVING sum(sale_count) > 0"
        + (" ORDER BY " + ", ".join(ordering) if ordering else "")
    )
    return sql, where.params


async def aggregate(pool: asyncpg.Pool, group_by: list[str], f: AggregateFilter, order: str,
                    *, limit: int, offset: int) -> tuple[list[Group], int]:
    """A page of groups (`limit + 1` fetched, the extra one says more exist) and their count."""
    sql, args = build_sql(group_by, f, order)
    n = len(args)
    rows = await pool.fetch(f"{sql} LIMIT ${n + 1} OFFSET ${n + 2}", *args, limit + 1, offset)
    if rows:
        total = int(rows[0]["groups"])
    else:  # past the last group: count them anyway, so totalCount stays true
        total = int(await pool.fetchval(f"SELECT count(*) FROM ({sql}) AS g", *args))
    skip = {"s", "n", "lo", "hi", "groups"}
    groups = [Group(key={k: v for k, v in r.items() if k not in skip}, sum_fen=int(r["s"]),
                    count=int(r["n"]), min_fen=int(r["lo"]), max_fen=int(r["hi"]))
              for r in rows]
    return groups, total


async def customer_names(pool: asyncpg.Pool, ids: list[str]) -> dict[str, str]:
    rows = await pool.fetch("SELECT customer_id, name FROM sales_customers"
                            " WHERE customer_id = ANY($1)", ids)
    return {r["customer_id"]: r["name"] for r in rows}
