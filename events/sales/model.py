"""Sales (RULES T2): the product catalogue, recorded and imported sales, table sign-offs.

Pure decide/evolve, as for every aggregate. Streams:
- "catalogue": every ProductDefined, so the catalogue is one small stream folded on each
  command (a few dozen products, not worth a snapshot);
- "sale-<sale_id>": one stream per sale, recorded alone or imported. Expected version 0 makes
  PostgreSQL's unique (stream_id, version) key refuse a sale id twice, even across racing
  imports, with no separate uniqueness table;
- "sales-import-<import_id>": the import's own SalesImported record; version 0 again refuses
  the same import id twice;
- "sales-table-<year>": T2 sign-offs (a later sign-off supersedes, the history stays).

Interpretation (RULES is silent on who records sales): staff and managers record and import
sales; managers maintain the catalogue; a manager or the general manager signs a table off.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from events.sales.commands import (
    DefineProduct,
    ImportSales,
    ProductDefined,
    RecordSale,
    SaleRecorded,
    SalesImported,
    SalesTableSignedOff,
    SignOffSalesTable,
)
from events.shared.actors import Role
from events.shared.context import Context
from events.shared.errors import DomainError, InvalidState, Problem, ValidationFailed
from events.shared.money import MAX_FEN
from events.shared.validation import MAX_ID, MAX_NAME, Problems
from events.store.envelope import Event

CATALOGUE_STREAM = "catalogue"
CATALOGUE_TYPE = "catalogue"
SALE_TYPE = "sale"
IMPORT_TYPE = "sales-import"
TABLE_TYPE = "sales-table"
SALE_WRITERS = (Role.STAFF, Role.MANAGER)
CATALOGUE_WRITERS = (Role.MANAGER,)
SIGNERS = (Role.MANAGER, Role.GENERAL_MANAGER)
MAX_CODE = 20
MAX_REFERENCE = 200
MAX_IMPORT_ROWS = 100_000
FIRST_YEAR = 2000  # older sales are a typing mistake, not history this system holds

Catalogue = Mapping[str, str]  # product code -> name


def sale_stream(sale_id: str) -> str:
    return f"sale-{sale_id}"


def import_stream(import_id: str) -> str:
    return f"sales-import-{import_id}"


def table_stream(year: int) -> str:
    return f"sales-table-{year}"


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based: the n-th sale of the import (the CSV's n-th data line)
    field: str
    rule: str | None
    message: str


class ImportRejected(DomainError):
    """At least one row is bad: nothing of the import is written; every bad row is named."""

    code = "IMPORT_REJECTED"

    def __init__(self, rows: list[RowProblem], total_rows: int):
        bad = len({r.row for r in rows})
        super().__init__(f"{bad} of {total_rows} rows are invalid; nothing was imported",
                         rule="T2", field="rows")
        self.rows = rows
        self.total_rows = total_rows


# --- catalogue --------------------------------------------------------------------------------


def evolve_catalogue(state: dict[str, str] | None, event: Event) -> dict[str, str]:
    catalogue = dict(state or {})
    if isinstance(event, ProductDefined):
        catalogue[event.code] = event.name
    return catalogue


def decide_product(state: Catalogue | None, command: DefineProduct, ctx: Context) -> list[Event]:
    ctx.require_role(*CATALOGUE_WRITERS, action="change the product catalogue")
    p = Problems()
    p.text("code", command.code, limit=MAX_CODE)
    if command.code and (command.code != command.code.strip() or "," in command.code):
        p.add("code", "a product code has no surrounding spaces and no commas")
    p.text("name", command.name, limit=MAX_NAME)
    p.raise_if_any()
    if (state or {}).get(command.code) == command.name:
        return []
    return [ProductDefined(code=command.code, name=command.name)]


# --- sales ------------------------------------------------------------------------------------


def sale_problems(sale: RecordSale, products: Catalogue, customer_known: bool,
                  today: date) -> list[Problem]:
    """Everything wrong with one sale, so an import reports every problem of every row."""
    p = Problems()
    p.text("saleId", sale.sale_id, limit=MAX_ID, rule="T2")
    p.text("customerId", sale.customer_id, limit=MAX_ID, rule="T2")
    p.text("reference", sale.reference, limit=MAX_REFERENCE, required=False, rule="T2")
    if sale.product_code not in products:
        p.add("productCode", f"no product {sale.product_code!r} in the catalogue", "T2")
    if sale.customer_id and not customer_known:
        p.add("customerId", f"no customer {sale.customer_id}", "T2")
    if not 0 < sale.amount_fen <= MAX_FEN:
        p.add("amount", "a sale's amount is more than 0 and at most 10,000,000 yuan", "T2")
    if sale.sold_on > today:
        p.add("soldOn", "a sale is recorded on or after the day it was made", "T2")
    if sale.sold_on.year < FIRST_YEAR:
        p.add("soldOn", f"sales before {FIRST_YEAR} are not accepted", "T2")
    return p.found


def recorded(sale: RecordSale, import_id: str | None = None) -> SaleRecorded:
    return SaleRecorded(sale_id=sale.sale_id, customer_id=sale.customer_id,
                        product_code=sale.product_code, amount_fen=sale.amount_fen,
                        sold_on=sale.sold_on, reference=sale.reference, import_id=import_id)


def decide_sale(state: bool | None, command: RecordSale, ctx: Context, *, products: Catalogue,
                customer_known: bool) -> list[Event]:
    """`state` is True once the sale stream exists."""
    ctx.require_role(*SALE_WRITERS, action="record a sale", rule="T2")
    if state:
        raise InvalidState(f"sale {command.sale_id} is already recorded", field="saleId",
                           rule="T2")
    problems = sale_problems(command, products, customer_known, ctx.today)
    if problems:
        raise ValidationFailed(problems)
    return [recorded(command)]


def evolve_sale(state: bool | None, event: Event) -> bool:
    return True


def decide_import(command: ImportSales, ctx: Context, *, products: Catalogue,
                  known_customers: Collection[str], existing_sales: Collection[str],
                  row_numbers: Sequence[int] | None = None,
                  parse_problems: Mapping[int, list[Problem]] | None = None,
                  ) -> tuple[list[SaleRecorded], SalesImported]:
    """Validate every row first; any problem rejects the whole import (nothing is written).

    `parse_problems` are the rows (1-based) the edge could not even read (bad amount or date);
    they are reported together with the other rows' problems. `row_numbers` are the readable
    sales' row numbers (default 1..n).
    """
    ctx.require_role(*SALE_WRITERS, action="import sales", rule="T2")
    p = Problems()
    p.text("importId", command.import_id, limit=MAX_ID)
    p.raise_if_any()
    total_rows = len(command.sales) + len(parse_problems or {})
    if total_rows == 0 or total_rows > MAX_IMPORT_ROWS:
        p.add("rows", f"an import holds 1 to {MAX_IMPORT_ROWS} sales", "T2")
        p.raise_if_any()
    rows = [RowProblem(n, pr.field or "", pr.rule, pr.message)
            for n, found in (parse_problems or {}).items() for pr in found]
    seen: set[str] = set()
    numbers = row_numbers or range(1, len(command.sales) + 1)
    for n, sale in zip(numbers, command.sales, strict=True):
        found = sale_problems(sale, products, sale.customer_id in known_customers, ctx.today)
        if sale.sale_id in existing_sales:
            found.append(Problem("saleId", "T2", f"sale {sale.sale_id} is already recorded"))
        elif sale.sale_id in seen:
            found.append(Problem("saleId", "T2", f"sale {sale.sale_id} appears twice"))
        seen.add(sale.sale_id)
        rows.extend(RowProblem(n, pr.field or "", pr.rule, pr.message) for pr in found)
    if rows:
        raise ImportRejected(sorted(rows, key=lambda r: r.row), total_rows)
    events = [recorded(sale, command.import_id) for sale in command.sales]
    summary = SalesImported(import_id=command.import_id, rows=len(events),
                            total_fen=sum(e.amount_fen for e in events), imported_on=ctx.today)
    return events, summary


# --- T2 sign-off ------------------------------------------------------------------------------


def decide_sign_off(state: object, command: SignOffSalesTable, ctx: Context) -> list[Event]:
    ctx.require_role(*SIGNERS, action="sign off a sales analysis table", rule="T2")
    p = Problems()
    if not FIRST_YEAR <= command.year <= ctx.today.year:
        p.add("year", f"a table is signed off for a year from {FIRST_YEAR} to this year", "T2")
    for name, value in (("compiledBy", command.compiled_by), ("filledBy", command.filled_by),
                        ("reviewedBy", command.reviewed_by)):
        p.text(name, value, limit=MAX_NAME, rule="T2")
    p.raise_if_any()
    return [SalesTableSignedOff(year=command.year, compiled_by=command.compiled_by,
                                filled_by=command.filled_by, reviewed_by=command.reviewed_by,
                                signed_on=ctx.today)]


def evolve_table(state: object, event: Event) -> object:
    return event
