"""importSales: every row validated first; one bad row means nothing is written (T2)."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

import pytest

from events.sales.handlers import existing_streams, import_sales
from events.sales.model import ImportRejected, sale_stream
from events.sales.rows import parse_rows, read_csv
from events.shared.errors import InvalidState
from events.store.event_store import EventStore
from tests.analytics import builders as b
from tests.random_refs import random_id


def _csv(rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["sale_id,customer_id,product_code,amount,sold_on,reference"]
    lines += [",".join(r) for r in rows]
    return "\n".join(lines) + "\n"


async def test_T2_import_with_bad_rows_writes_nothing_and_names_each_row(
    store: EventStore,
) -> None:
    [code] = await b.products(store, 1)
    [cid] = await b.customers(store, 1, random.Random(1))
    ids = [random_id("s-") for _ in range(5)]
    text = _csv([
        (ids[0], cid, code, "100.00", "2024-03-01", "ok"),
        (ids[1], cid, "NO-SUCH", "100.00", "2024-03-01", ""),  # unknown product
        (ids[2], cid, code, "12.345", "2024-03-01", ""),  # three decimals
        (ids[3], cid, code, "5.00", "2024-02-30", ""),  # no such day
        (ids[0], "nobody", code, "1.00", "2024-03-02", ""),  # duplicate id, unknown customer
    ])
    with pytest.raises(ImportRejected) as caught:
        await import_sales(store, b.ctx(b.STAFF), random_id("imp-"), parse_rows(read_csv(text)))
    report = caught.value
    assert report.total_rows == 5
    assert sorted({(r.row, r.field) for r in report.rows}) == [
        (2, "productCode"), (3, "amount"), (4, "soldOn"), (5, "customerId"), (5, "saleId")]
    assert await existing_streams(store, [sale_stream(i) for i in ids]) == set()


async def test_T2_import_of_twenty_thousand_rows_is_one_append(store: EventStore) -> None:
    codes = await b.products(store, 2)
    customers = await b.customers(store, 3, random.Random(2))
    rng = random.Random(3)
    rows = [(random_id("s-"), rng.choice(customers), rng.choice(codes),
             f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}",
             f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "") for _ in range(20_000)]
    import_id = random_id("imp-")
    parsed = parse_rows(read_csv(_csv(rows)))
    started = time.perf_counter()
    result = (await import_sales(store, b.ctx(b.STAFF), import_id, parsed)).result
    elapsed = time.perf_counter() - started
    print(f"import of 20,000 rows: {elapsed:.2f} s ({20_000 / elapsed:,.0f} rows/s)")
    assert result.last_position - result.first_position + 1 == 20_001  # sales + the summary
    assert len(await existing_streams(store, [sale_stream(r[0]) for r in rows])) == 20_000
    with pytest.raises(InvalidState):  # the same import id twice
        await import_sales(store, b.ctx(b.STAFF), import_id, parsed)


async def test_T2_auditors_never_import(store: EventStore) -> None:
    from events.shared.actors import Actor, Role
    from events.shared.errors import Forbidden

    auditor = Actor("aud", "审计", Role.AUDITOR)
    parsed = parse_rows([{"sale_id": "x", "customer_id": "y", "product_code": "A",
                          "amount": "1.00", "sold_on": "2024-01-01"}])
    with pytest.raises(Forbidden):
        await import_sales(store, b.ctx(auditor), random_id("imp-"), parsed)
