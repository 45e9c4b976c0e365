"""Sales over GraphQL (RULES T2): the product catalogue, recordSale, importSales (a list or a
CSV text), signOffSalesTable; and the products query."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry.types import Info

from events.sales.commands import DefineProduct, RecordSale, SignOffSalesTable
from events.sales.handlers import define_product, import_sales, record_sale, sign_off_sales_table
from events.sales.model import MAX_IMPORT_ROWS
from events.sales.rows import parse_rows, read_csv
from events.shared.context import Context
from events.shared.errors import ValidationFailed
from schema.common import MutationOk, fen, yuan
from schema.context import KehuContext, ctx_of, require_reader
from schema.errors import MutationErrors
from schema.mutations import IdempotencyKey, mutate, ok_fields
from schema.positions import Position

MAX_CSV_CHARS = 8_000_000  # ~100,000 rows; the request body limit applies first


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


DefineProductResult: TypeAlias = Annotated[ProductOk | MutationErrors,
                                            strawberry.union("DefineProductResult")]
RecordSaleResult: TypeAlias = Annotated[SaleOk | MutationErrors,
                                         strawberry.union("RecordSaleResult")]
ImportSalesResult: TypeAlias = Annotated[ImportSalesOk | MutationErrors,
                                          strawberry.union("ImportSalesResult")]
SignOffResult: TypeAlias = Annotated[SignOffOk | MutationErrors,
                                      strawberry.union("SignOffSalesTableResult")]

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


@strawberry.type
class SalesMutations:
    @strawberry.mutation(description="Add a product to the catalogue or rename it (managers).")
    async def define_product(self, info: Info[Any, Any], input: DefineProductInput,
                             idempotency_key: IdempotencyKey = None) -> DefineProductResult:
        async def run(ctx: KehuContext, command_ctx: Context, key: str | None) -> ProductOk:
            command = DefineProduct(code=input.code, name=input.name)
            result = await define_product(ctx.store, command_ctx, command, key)
            return ProductOk(**ok_fields(result), product=Product(code=input.code,
                                                                  name=input.name))
        return await mutate(info, idempotency_key, run)

    @strawberry.mutation(description="Record one sale (T2).")
    async def record_sale(self, info: Info[Any, Any], input: RecordSaleInput,
                          idempotency_key: IdempotencyKey = None) -> RecordSaleResult:
        async def run(ctx: KehuContext, command_ctx: Context, key: str | None) -> SaleOk:
            command = RecordSale(sale_id=input.sale_id, customer_id=input.customer_id,
                                 product_code=input.product_code,
                                 amount_fen=fen(input.amount, "amount") or 0,
                                 sold_on=input.sold_on, reference=input.reference)
            result = await record_sale(ctx.store, command_ctx, command, key)
            return SaleOk(**ok_fields(result), sale_id=strawberry.ID(input.sale_id))
        return await mutate(info, idempotency_key, run)

    @strawberry.mutation(description="Import many sales at once: all or nothing (T2).")
    async def import_sales(self, info: Info[Any, Any], input: ImportSalesInput,
                           idempotency_key: IdempotencyKey = None) -> ImportSalesResult:
        async def run(ctx: KehuContext, command_ctx: Context, key: str | None) -> ImportSalesOk:
            parsed = parse_rows(_import_rows(input))
            result = await import_sales(ctx.store, command_ctx, input.import_id, parsed, key)
            return ImportSalesOk(**ok_fields(result), import_id=strawberry.ID(input.import_id),
                                 imported=len(parsed.sales),
                                 total=yuan(sum(s.amount_fen for s in parsed.sales)) or "0.00")
        return await mutate(info, idempotency_key, run)

    @strawberry.mutation(description="Sign a year's sales analysis table off (T2 signatures).")
    async def sign_off_sales_table(self, info: Info[Any, Any], input: SignOffSalesTableInput,
                                   idempotency_key: IdempotencyKey = None) -> SignOffResult:
        async def run(ctx: KehuContext, command_ctx: Context, key: str | None) -> SignOffOk:
            command = SignOffSalesTable(year=input.year, compiled_by=input.compiled_by,
                                        filled_by=input.filled_by, reviewed_by=input.reviewed_by)
            result = await sign_off_sales_table(ctx.store, command_ctx, command, key)
            return SignOffOk(**ok_fields(result), year=input.year)
        return await mutate(info, idempotency_key, run)


@strawberry.type
class SalesQueries:
    @strawberry.field(description="The product catalogue, by code.")
    async def products(self, info: Info[Any, Any],
                       at_least: Position | None = None) -> list[Product]:
        require_reader(info)
        ctx = ctx_of(info)
        await ctx.read_after(at_least)
        rows = await ctx.pool.fetch("SELECT code, name FROM sales_products ORDER BY code")
        return [Product(code=r["code"], name=r["name"]) for r in rows]


QUERIES = [SalesQueries]
MUTATIONS = [SalesMutations]
SUBSCRIPTIONS: list[type] = []
