"""T1, T2 and the aggregates against figures computed here, in Python, from the rows this test
wrote, in a database of the test's own (so unfiltered totals are exact)."""

from __future__ import annotations

import io
import random
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from events.customers.commands import ChangeCustomerTier
from events.customers.handlers import handle_customer, load_customer
from events.customers.values import Tier
from events.sales.commands import RecordSale, SignOffSalesTable
from events.sales.handlers import record_sale, sign_off_sales_table
from events.shared.errors import Forbidden
from events.store.db import create_pool
from events.store.event_store import EventStore
from projections.classification.projection import CRITERIA
from projections.classification.queries import T1Filter, classification
from projections.figures import wan_yuan
from projections.sales.aggregate import AggregateFilter, aggregate
from projections.sales.analysis import T2Filter, sales_table
from schema.reports.exports import sales_grid, to_xlsx
from tests.analytics import builders as b
from tests.random_refs import random_id


@pytest.fixture
async def own_store(fresh_dsn: str) -> AsyncIterator[EventStore]:
    pool = await create_pool(fresh_dsn)
    yield EventStore(pool)
    await pool.close()


async def _world(store: EventStore, dsn: str, seed: int = 1):
    rng = random.Random(seed)
    codes = await b.products(store, 3)
    ids = await b.customers(store, 12, rng)
    written = await b.sales(store, ids, codes, 150, rng)
    await b.catch_up(dsn)
    return codes, ids, written


async def test_T2_cells_and_totals_match_sums_of_the_written_sales(
    own_store: EventStore, fresh_dsn: str
) -> None:
    codes, _ids, written = await _world(own_store, fresh_dsn)
    expected: dict[tuple[str, str], int] = defaultdict(int)
    for s in written:
        if s.day.year == 2024:
            expected[(s.customer_id, s.product)] += s.fen
    table = await sales_table(own_store.pool, 2024, T2Filter(), limit=None)
    assert [c for c, _ in table.products] == sorted(codes)
    customers_2024 = {c for c, _ in expected}
    assert {r.customer_id for r in table.rows} == customers_2024
    assert table.total_rows == len(customers_2024)
    assert [r.customer_name for r in table.rows] == sorted(r.customer_name for r in table.rows)
    for row in table.rows:
        assert row.cells == [expected.get((row.customer_id, c), 0) for c in sorted(codes)]
        assert row.total == sum(expected.get((row.customer_id, c), 0) for c in codes)
    assert table.column_totals == [sum(v for (_, p), v in expected.items() if p == c)
                                   for c in sorted(codes)]
    assert table.grand_total == sum(s.fen for s in written if s.day.year == 2024)
    # Pages of 5 walk the same rows, and every page carries the whole table's totals.
    paged, after = [], None
    while True:
        page = await sales_table(own_store.pool, 2024, T2Filter(), limit=5, after=after)
        paged += page.rows
        assert page.grand_total == table.grand_total
        if not page.has_next_page:
            break
        after = page.cursor_of[page.rows[-1].customer_id]
    assert [r.customer_id for r in paged] == [r.customer_id for r in table.rows]


async def test_T2_filter_by_current_tier_and_products(own_store: EventStore,
                                                      fresh_dsn: str) -> None:
    codes, ids, written = await _world(own_store, fresh_dsn, seed=2)
    tiers = {c: (await load_customer(own_store, c)).tier.value for c in ids}  # type: ignore[union-attr]
    f = T2Filter(tiers=["important"], product_codes=[codes[0]])
    table = await sales_table(own_store.pool, 2023, f, limit=None)
    wanted = [s for s in written if s.day.year == 2023 and tiers[s.customer_id] == "important"]
    assert table.grand_total == sum(s.fen for s in wanted if s.product == codes[0])
    assert {r.customer_id for r in table.rows} == {s.customer_id for s in wanted}


async def test_T2_xlsx_reads_back_with_the_forms_layout_and_figures(
    own_store: EventStore, fresh_dsn: str
) -> None:
    codes, _ids, written = await _world(own_store, fresh_dsn, seed=3)
    await sign_off_sales_table(own_store, b.ctx(), SignOffSalesTable(
        year=2024, compiled_by="王丽", filled_by="李强", reviewed_by="张经理"))
    await b.catch_up(fresh_dsn)
    table = await sales_table(own_store.pool, 2024, T2Filter(), limit=None)
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(sales_grid(table), "T2", "0.0000"))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "客户销售分析表" and rows[1][0] == "年度：2024"
    assert rows[2] == ["客户名称", *[f"{c}产品" for c in sorted(codes)], "合计"]
    by_name = {r.customer_name: r.customer_id for r in table.rows}
    for line in rows[3:-2]:
        cid = by_name[line[0]]
        for code, value in zip(sorted(codes), line[1:-1], strict=True):
            fen = sum(s.fen for s in written
                      if s.customer_id == cid and s.product == code and s.day.year == 2024)
            assert Decimal(str(value)).quantize(Decimal("0.0001")) == Decimal(wan_yuan(fen))
    total = sum(s.fen for s in written if s.day.year == 2024)
    assert rows[-2][0] == "合计"
    assert Decimal(str(rows[-2][-1])).quantize(Decimal("0.0001")) == Decimal(wan_yuan(total))
    assert rows[-1][:3] == ["审核：张经理", "填写：李强", "编制：王丽"]


async def test_T1_counts_and_shares_match_the_registered_customers(
    own_store: EventStore, fresh_dsn: str
) -> None:
    _, ids, _ = await _world(own_store, fresh_dsn, seed=4)
    states = [await load_customer(own_store, c) for c in ids]
    result = await classification(own_store.pool, T1Filter())
    assert result.customers == len(ids) and result.customer_share == "100.00"
    for criterion in result.criteria:
        values = [getattr(s.classification, criterion.criterion) for s in states]  # type: ignore[union-attr]
        for v in criterion.values:
            want = sum(1 for x in values
                       if (x is None and v.value == "unknown") or (x is not None
                                                                    and x.value == v.value))
            assert v.count == want, (criterion.criterion, v.value)
        assert sum(Decimal(v.share) for v in criterion.values) == Decimal("100.00")
    assert [c.criterion for c in result.criteria] == list(CRITERIA)
    important = await classification(own_store.pool, T1Filter(tiers=["important"]))
    important_ids = [s.customer_id for s in states if s and s.tier is Tier.IMPORTANT]
    assert important.customers == len(important_ids)


async def test_T2_three_level_group_by_matches_python_grouping(
    own_store: EventStore, fresh_dsn: str
) -> None:
    codes, ids, written = await _world(own_store, fresh_dsn, seed=5)
    tiers = {c: (await load_customer(own_store, c)).tier.value for c in ids}  # type: ignore[union-attr]
    groups, total = await aggregate(own_store.pool, ["customer_tier", "product", "quarter"],
                                    AggregateFilter(years=[2024]), "sum_desc", limit=1000,
                                    offset=0)
    want: dict[tuple[str, str, int, int], list[int]] = defaultdict(list)
    for s in written:
        if s.day.year == 2024:
            want[(tiers[s.customer_id], s.product, 2024, (s.day.month - 1) // 3 + 1)].append(s.fen)
    got = {(g.key["tier"], g.key["product_code"], g.key["year"], g.key["quarter"]):
           (g.sum_fen, g.count, g.min_fen, g.max_fen) for g in groups}
    assert got == {k: (sum(v), len(v), min(v), max(v)) for k, v in want.items()}
    assert total == len(want)
    assert [g.sum_fen for g in groups] == sorted((g.sum_fen for g in groups), reverse=True)
    # By customer (the customer rollup), one product, paged by offset: the same figures.
    one = codes[1]
    by_customer, n = await aggregate(own_store.pool, ["customer"],
                                     AggregateFilter(product_codes=[one]), "key", limit=4,
                                     offset=4)
    sums: dict[str, int] = defaultdict(int)
    for s in written:
        if s.product == one:
            sums[s.customer_id] += s.fen
    assert n == len(sums)
    assert [(g.key["customer_id"], g.sum_fen) for g in by_customer[:4]] == sorted(sums.items())[4:8]


async def test_T2_tier_of_a_sale_is_kept_in_aggregates_current_tier_in_the_table(
    own_store: EventStore, fresh_dsn: str
) -> None:
    codes, ids, _ = await _world(own_store, fresh_dsn, seed=6)
    cid = ids[0]
    before = (await load_customer(own_store, cid)).tier  # type: ignore[union-attr]
    after = Tier.GENERAL if before is Tier.IMPORTANT else Tier.IMPORTANT
    await record_sale(own_store, b.ctx(), RecordSale(random_id("s-"), cid, codes[0], 100_00,
                                                      date(2022, 5, 5)))
    await handle_customer(own_store, b.ctx(), ChangeCustomerTier(cid, after))
    await record_sale(own_store, b.ctx(), RecordSale(random_id("s-"), cid, codes[0], 300_00,
                                                      date(2022, 6, 5)))
    await b.catch_up(fresh_dsn)
    groups, _ = await aggregate(own_store.pool, ["customer_tier"],
                                AggregateFilter(years=[2022], customer_ids=[cid]), "key",
                                limit=10, offset=0)
    assert {g.key["tier"]: g.sum_fen for g in groups} == {before.value: 100_00,
                                                           after.value: 300_00}
    table = await sales_table(own_store.pool, 2022, T2Filter(tiers=[after.value]), limit=None)
    assert [(r.customer_id, r.total) for r in table.rows] == [(cid, 400_00)]


async def test_T2_only_a_manager_or_general_manager_signs_a_table_off(
    own_store: EventStore,
) -> None:
    with pytest.raises(Forbidden):
        await sign_off_sales_table(own_store, b.ctx(b.STAFF), SignOffSalesTable(
            year=2024, compiled_by="a", filled_by="b", reviewed_by="c"))
