"""Sales read models (RULES T2), maintained incrementally so no query ever scans the log.

- sales_facts: one row per sale, with its day and month/quarter/year. `sold_on` is already a
  calendar day in the company time zone (the day the sale was booked), so its buckets need no
  conversion.
- sales_rollup: customer x product x month (x tier x region as of the sale), the source of
  aggregates that group or filter by customer;
- sales_dim_rollup: tier x region x product x month, a few hundred rows a year, the source of
  aggregates that do not mention customers;
- sales_year_totals (customer x product x year), sales_customer_year (row totals, with the
  customer's current name, tier and region for T2's ordering and filters) and
  sales_product_year (column totals): T2 reads these directly.
Tier and region in the rollups are the customer's as of the sale (how the sale was made; stable
on rebuild and not rewritten by a later reclassification); T2's filter uses current values.
Unknown tier or region is '' in keys (primary keys cannot hold NULL).
"""

from __future__ import annotations

import asyncpg

from events.customers.commands import (
    CustomerProfileUpdated,
    CustomerRegistered,
    CustomerTierChanged,
)
from events.sales.commands import ProductDefined, SaleRecorded, SalesTableSignedOff
from events.store.envelope import StoredEvent
from projections import bulk
from projections.base import Projection
from projections.sales.page import write_sales

_MONEY = "total_fen bigint NOT NULL, sale_count int NOT NULL, min_fen bigint NOT NULL," \
         " max_fen bigint NOT NULL"
DDL = (
    "CREATE TABLE sales_products (code text PRIMARY KEY, name text NOT NULL)",
    "CREATE TABLE sales_customers (customer_id text PRIMARY KEY, name text NOT NULL,"
    " tier text NOT NULL, region text NOT NULL)",
    "CREATE TABLE sales_facts (sale_id text PRIMARY KEY, customer_id text NOT NULL,"
    " product_code text NOT NULL, amount_fen bigint NOT NULL, sold_on date NOT NULL,"
    " month date NOT NULL, quarter smallint NOT NULL, year smallint NOT NULL, tier text NOT NULL,"
    " region text NOT NULL, reference text, import_id text, position bigint NOT NULL)",
    "CREATE INDEX sales_facts_customer ON sales_facts (customer_id, sold_on)",
    "CREATE INDEX sales_facts_day ON sales_facts (sold_on)",
    "CREATE TABLE sales_rollup (customer_id text NOT NULL, product_code text NOT NULL,"
    " month date NOT NULL, tier text NOT NULL, region text NOT NULL, year smallint NOT NULL,"
    f" quarter smallint NOT NULL, {_MONEY},"
    " PRIMARY KEY (customer_id, product_code, month, tier, region))",
    "CREATE INDEX sales_rollup_month ON sales_rollup (month)",
    "CREATE TABLE sales_dim_rollup (tier text NOT NULL, region text NOT NULL,"
    " product_code text NOT NULL, month date NOT NULL, year smallint NOT NULL,"
    f" quarter smallint NOT NULL, {_MONEY}, PRIMARY KEY (tier, region, product_code, month))",
    "CREATE TABLE sales_year_totals (year smallint NOT NULL, customer_id text NOT NULL,"
    " product_code text NOT NULL, total_fen bigint NOT NULL,"
    " PRIMARY KEY (year, customer_id, product_code))",
    "CREATE TABLE sales_customer_year (customer_id text NOT NULL, year smallint NOT NULL,"
    " name text NOT NULL, tier text NOT NULL, region text NOT NULL, total_fen bigint NOT NULL,"
    " PRIMARY KEY (customer_id, year))",
    # T2 pages its rows by (name, id) within a year: an index walk, no sort.
    "CREATE INDEX sales_customer_year_page ON sales_customer_year (year, name, customer_id)",
    "CREATE TABLE sales_product_year (year smallint NOT NULL, product_code text NOT NULL,"
    " total_fen bigint NOT NULL, PRIMARY KEY (year, product_code))",
    "CREATE TABLE sales_signoffs (year smallint PRIMARY KEY, compiled_by text NOT NULL,"
    " filled_by text NOT NULL, reviewed_by text NOT NULL, signed_on date NOT NULL,"
    " signed_by text NOT NULL, position bigint NOT NULL)",
)

_ADD = ("total_fen = t.total_fen + excluded.total_fen, sale_count = t.sale_count + 1,"
        " min_fen = least(t.min_fen, excluded.min_fen),"
        " max_fen = greatest(t.max_fen, excluded.max_fen)")

# One round trip per sale: every table it touches, in one statement.
_SALE = f"""
WITH d AS (
    SELECT coalesce(c.name, $2) AS name, coalesce(c.tier, '') AS tier,
           coalesce(c.region, '') AS region
    FROM (SELECT 1) AS one LEFT JOIN sales_customers c ON c.customer_id = $2
), f AS (
    INSERT INTO sales_facts (sale_id, customer_id, product_code, amount_fen, sold_on, month,
                             quarter, year, tier, region, reference, import_id, position)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, d.tier, d.region, $9, $10, $11 FROM d
), r AS (
    INSERT INTO sales_rollup AS t (customer_id, product_code, month, tier, region, year, quarter,
                                   total_fen, sale_count, min_fen, max_fen)
    SELECT $2, $3, $6, d.tier, d.region, $8, $7, $4, 1, $4, $4 FROM d
    ON CONFLICT (customer_id, product_code, month, tier, region) DO UPDATE SET {_ADD}
), g AS (
    INSERT INTO sales_dim_rollup AS t (tier, region, product_code, month, year, quarter,
                                       total_fen, sale_count, min_fen, max_fen)
    SELECT d.tier, d.region, $3, $6, $8, $7, $4, 1, $4, $4 FROM d
    ON CONFLICT (tier, region, product_code, month) DO UPDATE SET {_ADD}
), y AS (
    INSERT INTO sales_year_totals AS t (year, customer_id, product_code, total_fen)
    VALUES ($8, $2, $3, $4)
    ON CONFLICT (year, customer_id, product_code) DO UPDATE SET total_fen = t.total_fen + $4
), p AS (
    INSERT INTO sales_product_year AS t (year, product_code, total_fen) VALUES ($8, $3, $4)
    ON CONFLICT (year, product_code) DO UPDATE SET total_fen = t.total_fen + $4
)
INSERT INTO sales_customer_year AS t (customer_id, year, name, tier, region, total_fen)
SELECT $2, $8, d.name, d.tier, d.region, $4 FROM d
ON CONFLICT (customer_id, year) DO UPDATE SET total_fen = t.total_fen + $4
"""


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    e = stored.event
    if isinstance(e, SaleRecorded):
        month = e.sold_on.replace(day=1)
        await conn.execute(_SALE, e.sale_id, e.customer_id, e.product_code, e.amount_fen,
                           e.sold_on, month, (e.sold_on.month - 1) // 3 + 1, e.sold_on.year,
                           e.reference, e.import_id, stored.position)
    elif isinstance(e, ProductDefined):
        await conn.execute("INSERT INTO sales_products (code, name) VALUES ($1, $2)"
                           " ON CONFLICT (code) DO UPDATE SET name = $2", e.code, e.name)
    elif isinstance(e, SalesTableSignedOff):
        await conn.execute(
            "INSERT INTO sales_signoffs (year, compiled_by, filled_by, reviewed_by, signed_on,"
            " signed_by, position) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (year) DO"
            " UPDATE SET compiled_by = $2, filled_by = $3, reviewed_by = $4, signed_on = $5,"
            " signed_by = $6, position = $7",
            e.year, e.compiled_by, e.filled_by, e.reviewed_by, e.signed_on,
            stored.metadata.actor_name, stored.position)
    elif isinstance(e, CustomerRegistered):
        region = e.classification.region.value if e.classification.region else ""
        await conn.execute(
            "INSERT INTO sales_customers (customer_id, name, tier, region)"
            " VALUES ($1, $2, $3, $4)", e.customer_id, e.organisation_name, e.tier.value, region)
    elif isinstance(e, CustomerTierChanged):
        await _set_current(conn, e.customer_id, "tier", e.tier.value)
    elif isinstance(e, CustomerProfileUpdated):
        if e.organisation_name is not None:
            await _set_current(conn, e.customer_id, "name", e.organisation_name)
        if e.classification is not None:
            region = e.classification.region.value if e.classification.region else ""
            await _set_current(conn, e.customer_id, "region", region)


async def _set_current(conn: asyncpg.Connection, customer_id: str, column: str,
                       value: str) -> None:
    """The customer's current name/tier/region, for T2's rows (past rollups keep theirs)."""
    assert column in {"name", "tier", "region"}
    await conn.execute(f"UPDATE sales_customers SET {column} = $2 WHERE customer_id = $1",
                       customer_id, value)
    await conn.execute(f"UPDATE sales_customer_year SET {column} = $2 WHERE customer_id = $1",
                       customer_id, value)


async def write_customers(conn: asyncpg.Connection, events: list[StoredEvent]) -> None:
    rows = []
    for stored in events:
        e = stored.event
        assert isinstance(e, CustomerRegistered)
        region = e.classification.region.value if e.classification.region else ""
        rows.append({"customer_id": e.customer_id, "name": e.organisation_name,
                     "tier": e.tier.value, "region": region})
    await bulk.insert(conn, "sales_customers", rows)


PROJECTIONS = [
    Projection(
        name="sales",
        version=1,
        tables=("sales_products", "sales_customers", "sales_facts", "sales_rollup",
                "sales_dim_rollup", "sales_year_totals", "sales_customer_year",
                "sales_product_year", "sales_signoffs"),
        ddl=DDL,
        handle=handle,
        event_types=frozenset({
            "SaleRecorded", "ProductDefined", "SalesTableSignedOff", "CustomerRegistered",
            "CustomerTierChanged", "CustomerProfileUpdated",
        }),
        page_order=(frozenset({"CustomerRegistered"}),),
        bulk=((frozenset({"SaleRecorded"}), write_sales),
              (frozenset({"CustomerRegistered"}), write_customers)),
    )
]
