"""T2, the customer sales analysis table (客户销售分析表), read from the sales projection.

Rows are the customers with sales in the year (matching the filter), ordered by name then id
and paged by that key; columns are the catalogue's products (all, or the filter's), ordered by
code. Cells, row totals, column totals and the grand total are exact fen; the API and exports
render them in yuan and 万元 (schema/report_figures.py). Column and grand totals cover every row
of the table, not only the page. Every query reads the incrementally maintained totals of
projections/sales.py: a page is an index walk, the column totals a handful of rows when the
filter does not narrow the customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg

TITLE = "客户销售分析表"


@dataclass(frozen=True)
class T2Filter:
    tiers: list[str] | None = None  # current tier
    regions: list[str] | None = None  # current region
    customer_ids: list[str] | None = None
    product_codes: list[str] | None = None

    @property
    def narrows_customers(self) -> bool:
        return bool(self.tiers or self.regions or self.customer_ids)


@dataclass(frozen=True)
class Signature:
    compiled_by: str
    filled_by: str
    reviewed_by: str
    signed_on: date
    signed_by: str


@dataclass
class T2Row:
    customer_id: str
    customer_name: str
    cells: list[int]  # fen, one per column
    total: int = 0


@dataclass
class SalesTable:
    year: int
    products: list[tuple[str, str]]  # (code, name), the columns
    rows: list[T2Row]
    total_rows: int
    column_totals: list[int]
    grand_total: int
    signature: Signature | None
    has_next_page: bool = False
    cursor_of: dict[str, tuple[str, str]] = field(default_factory=dict)


_CUSTOMERS = (
    " FROM sales_customer_year WHERE year = $1"
    " AND ($2::text[] IS NULL OR tier = ANY($2)) AND ($3::text[] IS NULL OR region = ANY($3))"
    " AND ($4::text[] IS NULL OR customer_id = ANY($4))"
)


def _customer_args(year: int, f: T2Filter) -> list[Any]:
    return [year, f.tiers or None, f.regions or None, f.customer_ids or None]


async def sales_table(pool: asyncpg.Pool, year: int, f: T2Filter, *, limit: int | None,
                      after: tuple[str, str] | None = None) -> SalesTable:
    """One page of T2 (limit None: every row, for exports) with the whole table's totals."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                        readonly=True):
        # One snapshot, so the page and the totals agree even while projections move.
        products = await _products(conn, f.product_codes)
        codes = [code for code, _ in products]
        args = _customer_args(year, f)
        page = await conn.fetch(
            "SELECT customer_id, name" + _CUSTOMERS
            + " AND ($5::text IS NULL OR (name, customer_id) > ($5, $6))"
            " ORDER BY name, customer_id LIMIT $7",
            *args, after[0] if after else None, after[1] if after else None,
            None if limit is None else limit + 1)
        total_rows = await conn.fetchval("SELECT count(*)" + _CUSTOMERS, *args)
        has_next = limit is not None and len(page) > limit
        page = page[:limit] if limit is not None else page
        cells = await _cells(conn, year, [r["customer_id"] for r in page], codes)
        columns = await _column_totals(conn, year, f, args, codes)
        signature = await _signature(conn, year)
    rows = []
    for r in page:
        values = [cells.get((r["customer_id"], code), 0) for code in codes]
        rows.append(T2Row(r["customer_id"], r["name"], values, sum(values)))
    column_totals = [columns.get(code, 0) for code in codes]
    return SalesTable(year=year, products=products, rows=rows, total_rows=int(total_rows),
                      column_totals=column_totals, grand_total=sum(column_totals),
                      signature=signature, has_next_page=has_next,
                      cursor_of={r["customer_id"]: (r["name"], r["customer_id"]) for r in page})


async def _products(conn: asyncpg.Connection, codes: list[str] | None) -> list[tuple[str, str]]:
    rows = await conn.fetch("SELECT code, name FROM sales_products"
                            " WHERE $1::text[] IS NULL OR code = ANY($1) ORDER BY code",
                            codes or None)
    return [(r["code"], r["name"]) for r in rows]


async def _cells(conn: asyncpg.Connection, year: int, customer_ids: list[str],
                 codes: list[str]) -> dict[tuple[str, str], int]:
    rows = await conn.fetch(
        "SELECT customer_id, product_code, total_fen FROM sales_year_totals"
        " WHERE year = $1 AND customer_id = ANY($2) AND product_code = ANY($3)",
        year, customer_ids, codes)
    return {(r["customer_id"], r["product_code"]): r["total_fen"] for r in rows}


async def _column_totals(conn: asyncpg.Connection, year: int, f: T2Filter, args: list[Any],
                         codes: list[str]) -> dict[str, int]:
    if not f.narrows_customers:  # the maintained per-product totals: a few rows
        rows = await conn.fetch("SELECT product_code, total_fen FROM sales_product_year"
                                " WHERE year = $1 AND product_code = ANY($2)", year, codes)
    else:
        rows = await conn.fetch(
            "SELECT t.product_code, sum(t.total_fen) AS total_fen FROM sales_year_totals t"
            " WHERE t.year = $1 AND t.product_code = ANY($5) AND t.customer_id IN"
            " (SELECT customer_id" + _CUSTOMERS + ") GROUP BY t.product_code", *args, codes)
    return {r["product_code"]: int(r["total_fen"]) for r in rows}


async def _signature(conn: asyncpg.Connection, year: int) -> Signature | None:
    row = await conn.fetchrow("SELECT compiled_by, filled_by, reviewed_by, signed_on, signed_by"
                              " FROM sales_signoffs WHERE year = $1", year)
    return None if row is None else Signature(**dict(row))
