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
from events.handling import execute, load, metadata_for
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
from events.shared.errors import InvalidState, Problem
from events.store.event_store import AppendResult, EventStore, StreamAppend, fingerprint


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
                         idempotency_key: str | None = None) -> AppendResult:
    return await execute(
        store, ctx, stream_id=CATALOGUE_STREAM, stream_type=CATALOGUE_TYPE,
        evolve=evolve_catalogue, decide=lambda state: decide_product(state, command, ctx),
        command=command, idempotency_key=idempotency_key,
    )


async def record_sale(store: EventStore, ctx: Context, command: RecordSale,
                      idempotency_key: str | None = None) -> AppendResult:
    products = await load_catalogue(store)
    customer = customers.stream_id(command.customer_id)
    known = customer in await existing_streams(store, [customer])
    return await execute(
        store, ctx, stream_id=sale_stream(command.sale_id), stream_type=SALE_TYPE,
        evolve=evolve_sale,
        decide=lambda state: decide_sale(state, command, ctx, products=products,
                                         customer_known=known),
        command=command, idempotency_key=idempotency_key,
    )


async def import_sales(store: EventStore, ctx: Context, import_id: str, parsed: ParsedRows,
                       idempotency_key: str | None = None) -> AppendResult:
    command = ImportSales(import_id=import_id, sales=tuple(parsed.sales))
    # Who may import is answered before anything about the import itself is revealed.
    ctx.require_role(*SALE_WRITERS, action="import sales", rule="T2")
    fp = fingerprint({"import": import_id, "command": command,
                      "unreadable": sorted(parsed.problems)})
    if idempotency_key is not None:
        earlier = await store.earlier_result(ctx.actor.user_id, idempotency_key, fp)
        if earlier is not None:
            return earlier
    if await existing_streams(store, [import_stream(import_id)]):
        raise InvalidState(f"import {import_id} was already carried out", field="importId",
                           rule="T2")
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
        parse_problems=_as_problems(parsed.problems),
    )
    appends = [StreamAppend(sale_stream(e.sale_id), SALE_TYPE, 0, [e]) for e in events]
    appends.append(StreamAppend(import_stream(import_id), IMPORT_TYPE, 0, [summary]))
    return await store.append(appends, metadata_for(ctx), idempotency_key=idempotency_key,
                              command_fingerprint=fp)


def _as_problems(problems: dict[int, list[Problem]]) -> dict[int, list[Problem]]:
    return dict(sorted(problems.items()))


async def sign_off_sales_table(store: EventStore, ctx: Context, command: SignOffSalesTable,
                               idempotency_key: str | None = None) -> AppendResult:
    return await execute(
        store, ctx, stream_id=table_stream(command.year), stream_type=TABLE_TYPE,
        evolve=evolve_table, decide=lambda state: decide_sign_off(state, command, ctx),
        command=command, idempotency_key=idempotency_key,
    )
