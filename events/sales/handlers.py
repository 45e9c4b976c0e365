"""Command handlers of the sales side: plain functions taking the store and the context.

Import, and why it is one append of many streams: every sale is its own stream ("sale-<id>",
expected version 0), so a sale id is unique whether recorded alone or imported, enforced by
PostgreSQL's unique (stream_id, version) key even against a racing import. All streams of an
import go to the store in ONE `append`, i.e. one transaction and one multi-row INSERT (unnest
arrays): all or nothing, and the cost per row is one index probe for the version check plus
the row itself (tests/analytics/test_import.py and the note give the measured rate). A single
"sales-import-<id>" stream holding every SaleRecorded would save the probes but give up the
per-sale uniqueness, so that stream holds only the import's summary event.
"""

from __future__ import annotations

from collections.abc import Collection

from events.customers import model as customers
from events.handling import Decision, Outcome, Stream, execute, load, run
from events.sales.commands import DefineProduct, ImportSales, RecordSale, SignOffSalesTable
from events.sales.model import (
    CATALOGUE_STREAM,
    CATALOGUE_TYPE,
    IMPORT_TYPE,
    SALE_TYPE,
    SALE_WRITERS,
    TABLE_TYPE,
    Catalogue,
    decide_import,
    decide_product,
    decide_sale,
    decide_sign_off,
    evolve_catalogue,
    evolve_sale,
    evolve_table,
    import_stream,
    sale_stream,
    table_stream,
)
from events.sales.rows import ParsedRows
from events.shared.context import Context
from events.shared.errors import InvalidState
from events.store.event_store import EventStore, StreamAppend

CATALOGUE: Stream[dict[str, str]] = Stream(CATALOGUE_STREAM, CATALOGUE_TYPE, evolve_catalogue)


def _sale(sale_id: str) -> Stream[bool]:
    return Stream(sale_stream(sale_id), SALE_TYPE, evolve_sale)


def _import(import_id: str) -> Stream[bool]:
    # An import's own stream holds only its summary: it exists once carried out.
    return Stream(import_stream(import_id), IMPORT_TYPE, evolve_sale)


def _table(year: int) -> Stream[object]:
    return Stream(table_stream(year), TABLE_TYPE, evolve_table)


async def load_catalogue(store: EventStore) -> Catalogue:
    catalogue, _ = await load(store, CATALOGUE_STREAM, evolve_catalogue)
    return catalogue or {}


async def existing_streams(store: EventStore, stream_ids: Collection[str]) -> set[str]:
    """Which of these streams have any event (version 1 exists), by the unique key's index."""
    if not stream_ids:
        return set()
    rows = await store.pool.fetch(
        "SELECT stream_id FROM events WHERE stream_id = ANY($1::text[]) AND version = 1",
        list(stream_ids),
    )
    return {r["stream_id"] for r in rows}


async def define_product(store: EventStore, ctx: Context, command: DefineProduct,
                         idempotency_key: str | None = None) -> Outcome[dict[str, str]]:
    return await execute(store, ctx, CATALOGUE, command,
                         lambda state: decide_product(state, command, ctx),
                         idempotency_key=idempotency_key)


async def record_sale(store: EventStore, ctx: Context, command: RecordSale,
                      idempotency_key: str | None = None) -> Outcome[bool]:
    products = await load_catalogue(store)
    customer = customers.stream_id(command.customer_id)
    known = customer in await existing_streams(store, [customer])
    return await execute(store, ctx, _sale(command.sale_id), command,
                         lambda state: decide_sale(state, command, ctx, products=products,
                                                   customer_known=known),
                         idempotency_key=idempotency_key)


async def import_sales(store: EventStore, ctx: Context, import_id: str, parsed: ParsedRows,
                       idempotency_key: str | None = None) -> Outcome[bool]:
    command = ImportSales(import_id=import_id, sales=tuple(parsed.sales))
    # Who may import is answered before anything about the import itself is revealed.
    ctx.require_role(*SALE_WRITERS, action="import sales", rule="T2")
    identity = {"import": import_id, "command": command, "unreadable": sorted(parsed.problems)}

    async def decide(done: bool | None) -> Decision:
        if done:
            raise InvalidState(f"import {import_id} was already carried out", field="importId",
                               rule="T2")
        return await _decide_import(store, ctx, command, parsed)

    return await run(store, ctx, _import(import_id), command, decide,
                     idempotency_key=idempotency_key, identity=identity)


async def _decide_import(store: EventStore, ctx: Context, command: ImportSales,
                         parsed: ParsedRows) -> Decision:
    products = await load_catalogue(store)
    wanted_customers = {customers.stream_id(s.customer_id) for s in parsed.sales}
    found = await existing_streams(store, wanted_customers)
    known_customers = {s.customer_id for s in parsed.sales
                       if customers.stream_id(s.customer_id) in found}
    found_sales = await existing_streams(store, [sale_stream(s.sale_id) for s in parsed.sales])
    existing = {s.sale_id for s in parsed.sales if sale_stream(s.sale_id) in found_sales}
    events, summary = decide_import(
        command, ctx, products=products, known_customers=known_customers,
        existing_sales=existing, row_numbers=parsed.numbers,
        parse_problems=dict(sorted(parsed.problems.items())),
    )
    sales = [StreamAppend(sale_stream(e.sale_id), SALE_TYPE, 0, [e]) for e in events]
    return Decision([summary], sales)


async def sign_off_sales_table(store: EventStore, ctx: Context, command: SignOffSalesTable,
                               idempotency_key: str | None = None) -> Outcome[object]:
    return await execute(store, ctx, _table(command.year), command,
                         lambda state: decide_sign_off(state, command, ctx),
                         idempotency_key=idempotency_key)
