"""A run of sales in one statement: the facts inserted, each rollup upserted once per key.

The per-event path (`projection._SALE`) adds one sale to five rollups; here the run's sales are
summed per rollup key in SQL first, so a page of sales touches each rollup row once. Within a
run no customer event intervenes, so every sale of a customer reads the same name, tier and
region from `sales_customers`, exactly as it would one by one. Sums of integers are exact in
any order; min/max fold the same way.
"""

from __future__ import annotations

import asyncpg

from events.sales.commands import SaleRecorded
from events.store.envelope import StoredEvent

_ADD = ("total_fen = t.total_fen + excluded.total_fen,"
        " sale_count = t.sale_count + excluded.sale_count,"
        " min_fen = least(t.min_fen, excluded.min_fen),"
        " max_fen = greatest(t.max_fen, excluded.max_fen)")
_SUMS = "sum(amount_fen), count(*), min(amount_fen), max(amount_fen)"

_SALES = f"""
WITH s AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::date[],
                         $6::text[], $7::text[], $8::bigint[])
        AS s(sale_id, customer_id, product_code, amount_fen, sold_on, reference, import_id,
             position)
), d AS (
    SELECT s.*, date_trunc('month', s.sold_on)::date AS month,
           extract(quarter FROM s.sold_on)::smallint AS quarter,
           extract(year FROM s.sold_on)::smallint AS year,
           coalesce(c.name, s.customer_id) AS name, coalesce(c.tier, '') AS tier,
           coalesce(c.region, '') AS region
    FROM s LEFT JOIN sales_customers c ON c.customer_id = s.customer_id
), f AS (
    INSERT INTO sales_facts (sale_id, customer_id, product_code, amount_fen, sold_on, month,
                             quarter, year, tier, region, reference, import_id, position)
    SELECT sale_id, customer_id, product_code, amount_fen, sold_on, month, quarter, year, tier,
           region, reference, import_id, position FROM d
), r AS (
    INSERT INTO sales_rollup AS t (customer_id, product_code, month, tier, region, year, quarter,
                                   total_fen, sale_count, min_fen, max_fen)
    SELECT customer_id, product_code, month, tier, region, year, quarter, {_SUMS} FROM d
    GROUP BY customer_id, product_code, month, tier, region, year, quarter
    ON CONFLICT (customer_id, product_code, month, tier, region) DO UPDATE SET {_ADD}
), g AS (
    INSERT INTO sales_dim_rollup AS t (tier, region, product_code, month, year, quarter,
                                       total_fen, sale_count, min_fen, max_fen)
    SELECT tier, region, product_code, month, year, quarter, {_SUMS} FROM d
    GROUP BY tier, region, product_code, month, year, quarter
    ON CONFLICT (tier, region, product_code, month) DO UPDATE SET {_ADD}
), y AS (
    INSERT INTO sales_year_totals AS t (year, customer_id, product_code, total_fen)
    SELECT year, customer_id, product_code, sum(amount_fen) FROM d
    GROUP BY year, customer_id, product_code
    ON CONFLICT (year, customer_id, product_code) DO UPDATE
        SET total_fen = t.total_fen + excluded.total_fen
), p AS (
    INSERT INTO sales_product_year AS t (year, product_code, total_fen)
    SELECT year, product_code, sum(amount_fen) FROM d GROUP BY year, product_code
    ON CONFLICT (year, product_code) DO UPDATE SET total_fen = t.total_fen + excluded.total_fen
)
INSERT INTO sales_customer_year AS t (customer_id, year, name, tier, region, total_fen)
SELECT customer_id, year, name, tier, region, sum(amount_fen) FROM d
GROUP BY customer_id, year, name, tier, region
ON CONFLICT (customer_id, year) DO UPDATE SET total_fen = t.total_fen + excluded.total_fen
"""


async def write_sales(conn: asyncpg.Connection, events: list[StoredEvent]) -> None:
    columns: tuple[list[object], ...] = ([], [], [], [], [], [], [], [])
    for stored in events:
        e = stored.event
        assert isinstance(e, SaleRecorded)
        for column, value in zip(columns, (e.sale_id, e.customer_id, e.product_code,
                                           e.amount_fen, e.sold_on, e.reference, e.import_id,
                                           stored.position), strict=True):
            column.append(value)
    await conn.execute(_SALES, *columns)
