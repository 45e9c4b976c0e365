"""Sales over GraphQL (RULES T2): the product catalogue, recordSale, importSales (a list or a
CSV text), signOffSalesTable; and the products query."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry.types import Info

from events.sales.commands import DefineProduct, RecordSale, SignOffSalesTable
from events.sales.handlers import define_product, import_sales, record_sale, sign_off_sales_table
from events.sales.model import MAX_IMPORT_ROWS, ImportRejected
from events.sales.rows import parse_rows, read_csv
from events.shared.errors import ValidationFailed
from events.store.event_store import AppendResult
from schema.common import MutationOk, fen, ok_fields, yuan
from schema.context import ctx_of, require_reader
from schema.errors import MutationError, attempt, register_error, result_union

MAX_CSV_CHARS = 8_000_000  # ~100,000 rows; the request body limit applies first


@strawberry.type
class ImportRowError:
    row: int = strawberry.field(description="1-based: the n-th row of the list or CSV data.")
    field: str
    rule: str | None
    message: str


@strawberry.type(description="Some rows are invalid: nothing of the import was written.")
class ImportRejectedError(MutationError):
    field: str | None
    total_rows: int
    bad_rows: int
    rows: list[ImportRowError]


def _rejected(exc: ImportRejected) -> ImportRejectedError:
    return ImportRejectedError(
        message=exc.message, code=exc.code, rule=exc.rule, field=exc.field,
        total_rows=exc.total_rows, bad_rows=len({r.row for r in exc.rows}),
        rows=[ImportRowError(row=r.row, field=r.field, rule=r.rule, message=r.message)
              for r in exc.rows])


register_error(ImportRejected, ImportRejectedError, _rejected)  # before the unions below


@strawberry.type
class Product:
    code: str
    name: str


@strawberry.type
class ProductOk(MutationOk):
    product: Product


@strawberry.type
class SaleOk(MutationOk):
    sale_id: strawberry.ID


@strawberry.type
class ImportSalesOk(MutationOk):
    import_id: strawberry.ID
    imported: int = strawberry.field(description="How many sales were written.")
    total: str = strawberry.field(description="Yuan, the sum of the imported sales.")


@strawberry.type
class SignOffOk(MutationOk):
    year: int


DefineProductResult: TypeAlias = result_union("DefineProductResult", ProductOk)  # type: ignore[valid-type]
RecordSaleResult: TypeAlias = result_union("RecordSaleResult", SaleOk)  # type: ignore[valid-type]
ImportSalesResult: TypeAlias = result_union("ImportSalesResult", ImportSalesOk)  # type: ignore[valid-type]
SignOffResult: TypeAlias = result_union("SignOffSalesTableResult", SignOffOk)  # type: ignore[valid-type]

IdempotencyKey: TypeAlias = Annotated[str | None, strawberry.argument(
    description="Retrying with the same key writes nothing new and returns the first result.")]


@strawberry.input
class DefineProductInput:
    code: str = strawberry.field(description="Up to 20 characters, e.g. 'A'.")
    name: str


@strawberry.input
class RecordSaleInput:
    sale_id: str = strawberry.field(description="The sale's own id (invoice number); unique.")
    customer_id: str
    product_code: str
    amount: str = strawberry.field(description="Yuan, a decimal string with at most 2 decimals.")
    sold_on: date = strawberry.field(description="The day of the sale, in the company time zone.")
    reference: str | None = None


@strawberry.input(description="One row of an import; every value as text, so a bad value "
                  "is reported against its row instead of failing the whole request.")
class SaleRowInput:
    sale_id: str
    customer_id: str
    product_code: str
    amount: str
    sold_on: str = strawberry.field(description="YYYY-MM-DD")
    reference: str | None = None

    def as_row(self) -> dict[str, str | None]:
        return {"sale_id": self.sale_id, "customer_id": self.customer_id,
                "product_code": self.product_code, "amount": self.amount,
                "sold_on": self.sold_on, "reference": self.reference}


@strawberry.input(description="Give rows or csv (header: sale_id,customer_id,product_code,"
                  "amount,sold_on[,reference]). All rows are written in one transaction, or "
                  f"none (a per-row report names every bad row). At most {MAX_IMPORT_ROWS}.")
class ImportSalesInput:
    import_id: str = strawberry.field(description="Names the import; an id is imported once.")
    rows: list[SaleRowInput] | None = None
    csv: str | None = None


@strawberry.input
class SignOffSalesTableInput:
    year: int
    compiled_by: str = strawberry.field(description="编制")
    filled_by: str = strawberry.field(description="填写")
    reviewed_by: str = strawberry.field(description="审核")


def _import_rows(input: ImportSalesInput) -> list[dict[str, str | None]]:
    if (input.rows is None) == (input.csv is None):
        raise ValidationFailed.single("rows", "give either rows or csv", "T2")
    if input.csv is not None:
        if len(input.csv) > MAX_CSV_CHARS:
            raise ValidationFailed.single("csv", f"at most {MAX_CSV_CHARS} characters", "T2")
        return read_csv(input.csv)
    return [r.as_row() for r in input.rows or []]


async def _run(info: Info[Any, Any], action: Callable[[], Awaitable[Any]]) -> Any:
    ctx_of(info).require_actor()  # unauthenticated: a GraphQL error, not a result
    return await attempt(action)


@strawberry.type
class SalesMutations:
    @strawberry.mutation(description="Add a product to the catalogue or rename it (managers).")
    async def define_product(self, info: Info[Any, Any], input: DefineProductInput,
                             idempotency_key: IdempotencyKey = None) -> DefineProductResult:
        ctx = ctx_of(info)

        async def run() -> ProductOk:
            command = DefineProduct(code=input.code, name=input.name)
            result = await define_product(ctx.store, ctx.command_context(), command,
                                          idempotency_key)
            return ProductOk(**ok_fields(result), product=Product(code=input.code,
                                                                  name=input.name))
        return await _run(info, run)

    @strawberry.mutation(description="Record one sale (T2).")
    async def record_sale(self, info: Info[Any, Any], input: RecordSaleInput,
                          idempotency_key: IdempotencyKey = None) -> RecordSaleResult:
        ctx = ctx_of(info)

        async def run() -> SaleOk:
            command = RecordSale(sale_id=input.sale_id, customer_id=input.customer_id,
                                 product_code=input.product_code,
                                 amount_fen=fen(input.amount, "amount") or 0,
                                 sold_on=input.sold_on, reference=input.reference)
            result = await record_sale(ctx.store, ctx.command_context(), command,
                                       idempotency_key)
            return SaleOk(**ok_fields(result), sale_id=strawberry.ID(input.sale_id))
        return await _run(info, run)

    @strawberry.mutation(description="Import many sales at once: all or nothing (T2).")
    async def import_sales(self, info: Info[Any, Any], input: ImportSalesInput,
                           idempotency_key: IdempotencyKey = None) -> ImportSalesResult:
        ctx = ctx_of(info)

        async def run() -> ImportSalesOk:
            parsed = parse_rows(_import_rows(input))
            result: AppendResult = await import_sales(ctx.store, ctx.command_context(),
                                                      input.import_id, parsed, idempotency_key)
            return ImportSalesOk(**ok_fields(result), import_id=strawberry.ID(input.import_id),
                                 imported=len(parsed.sales),
                                 total=yuan(sum(s.amount_fen for s in parsed.sales)) or "0.00")
        return await _run(info, run)

    @strawberry.mutation(description="Sign a year's sales analysis table off (T2 signatures).")
    async def sign_off_sales_table(self, info: Info[Any, Any], input: SignOffSalesTableInput,
                                   idempotency_key: IdempotencyKey = None) -> SignOffResult:
        ctx = ctx_of(info)

        async def run() -> SignOffOk:
            command = SignOffSalesTable(year=input.year, compiled_by=input.compiled_by,
                                        filled_by=input.filled_by, reviewed_by=input.reviewed_by)
            result = await sign_off_sales_table(ctx.store, ctx.command_context(), command,
                                                idempotency_key)
            return SignOffOk(**ok_fields(result), year=input.year)
        return await _run(info, run)


@strawberry.type
class SalesQueries:
    @strawberry.field(description="The product catalogue, by code.")
    async def products(self, info: Info[Any, Any], at_least: int | None = None) -> list[Product]:
        require_reader(info)
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        rows = await ctx.pool.fetch("SELECT code, name FROM sales_products ORDER BY code")
        return [Product(code=r["code"], name=r["name"]) for r in rows]


QUERIES = [SalesQueries]
MUTATIONS = [SalesMutations]
SUBSCRIPTIONS: list[type] = []
