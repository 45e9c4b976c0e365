"""End to end on a real server: sales in through GraphQL, T1/T2 and aggregates out through
GraphQL and the export routes (RULES T1, T2)."""

from __future__ import annotations

import io
import random
from decimal import Decimal

import httpx
import openpyxl

from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.analytics import builders as b
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id

YEAR = 2011  # a year no other test writes sales in, so the export holds only ours
MANAGER = token("mgr-e2e", Role.MANAGER, "张经理")
STAFF = token("staff-e2e", Role.STAFF, "王丽")
AUDITOR = token("aud-e2e", Role.AUDITOR)

DEFINE = """mutation($i: DefineProductInput!) { defineProduct(input: $i) {
  __typename ... on ProductOk { position product { code } } } }"""
RECORD = """mutation($i: RecordSaleInput!) { recordSale(input: $i) {
  __typename ... on SaleOk { position } ... on ValidationError { field rule } } }"""
IMPORT = """mutation($i: ImportSalesInput!) { importSales(input: $i) { __typename
  ... on ImportSalesOk { position imported total }
  ... on ImportRejectedError { badRows totalRows rows { row field rule } } } }"""
T2 = """query($y: Int!, $f: SalesAnalysisFilter, $a: Int) {
  salesAnalysis(year: $y, filter: $f, atLeast: $a) { title unit totalCount
    columns { code } rows { customerId cells { yuan wanYuan } total { yuan wanYuan } }
    columnTotals { yuan wanYuan } grandTotal { yuan wanYuan } } }"""
AGG = """query($f: SalesAggregateFilter, $a: Int) {
  salesAggregate(groupBy: [CUSTOMER, PRODUCT, QUARTER], filter: $f, orderBy: SUM_DESC,
                 first: 10, atLeast: $a) {
    totalCount nodes { customerId productCode quarter sum count avg min max } } }"""
PAGE = """query($f: SalesAggregateFilter, $after: String) { salesAggregate(groupBy: [CUSTOMER],
  filter: $f, first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor }
  nodes { customerId } } }"""


async def test_T2_sales_in_by_graphql_match_the_table_and_the_export(
    live_server: LiveServer, store: EventStore
) -> None:
    code = random_id("E")[:8]
    body = await gql(live_server, DEFINE, {"i": {"code": code, "name": f"{code}产品"}},
                     auth=MANAGER)
    assert body["data"]["defineProduct"]["__typename"] == "ProductOk"
    [c1, c2] = await b.customers(store, 2, random.Random(9))
    sale = {"saleId": random_id("s-"), "customerId": c1, "productCode": code,
            "amount": "12345.50", "soldOn": f"{YEAR}-02-03"}
    one = (await gql(live_server, RECORD, {"i": sale}, auth=STAFF))["data"]["recordSale"]
    assert one["__typename"] == "SaleOk"
    again = (await gql(live_server, RECORD, {"i": {**sale, "saleId": random_id("s-"),
                                                   "amount": "1.999"}}, auth=STAFF))
    assert again["data"]["recordSale"] == {"__typename": "ValidationError", "field": "amount",
                                           "rule": None}
    rows = [{"saleId": random_id("s-"), "customerId": c2, "productCode": code,
             "amount": "0.50", "soldOn": f"{YEAR}-11-30"},
            {"saleId": random_id("s-"), "customerId": c2, "productCode": "NOPE",
             "amount": "1.00", "soldOn": f"{YEAR}-11-30"}]
    bad = (await gql(live_server, IMPORT, {"i": {"importId": random_id("i-"), "rows": rows}},
                     auth=STAFF))["data"]["importSales"]
    assert bad == {"__typename": "ImportRejectedError", "badRows": 1, "totalRows": 2,
                   "rows": [{"row": 2, "field": "productCode", "rule": "T2"}]}
    good = (await gql(live_server, IMPORT, {"i": {"importId": random_id("i-"),
                                                  "rows": rows[:1]}}, auth=STAFF))
    imported = good["data"]["importSales"]
    assert imported["imported"] == 1 and imported["total"] == "0.50"

    table = (await gql(live_server, T2, {"y": YEAR, "f": {"customerIds": [c1, c2],
                                                          "productCodes": [code]},
                                         "a": imported["position"]}, auth=AUDITOR))
    t2 = table["data"]["salesAnalysis"]
    assert t2["title"] == "客户销售分析表" and t2["unit"] == "万元" and t2["totalCount"] == 2
    assert [c["code"] for c in t2["columns"]] == [code]
    cells = {r["customerId"]: r["cells"] for r in t2["rows"]}
    assert cells[c1] == {"yuan": ["12345.50"], "wanYuan": ["1.2346"]}  # half a yuan: up
    assert cells[c2] == {"yuan": ["0.50"], "wanYuan": ["0.0001"]}
    assert t2["columnTotals"] == {"yuan": ["12346.00"], "wanYuan": ["1.2346"]}
    assert t2["grandTotal"] == {"yuan": "12346.00", "wanYuan": "1.2346"}

    agg = (await gql(live_server, AGG, {"f": {"customerIds": [c1, c2], "years": [YEAR]},
                                        "a": imported["position"]}, auth=MANAGER))
    nodes = agg["data"]["salesAggregate"]["nodes"]
    assert [(n["customerId"], n["quarter"], n["sum"]) for n in nodes] == [
        (c1, f"{YEAR}-Q1", "12345.50"), (c2, f"{YEAR}-Q4", "0.50")]

    pages = []
    after = None
    for _ in range(3):
        page = (await gql(live_server, PAGE, {"f": {"customerIds": [c1, c2]}, "after": after},
                          auth=MANAGER))["data"]["salesAggregate"]
        pages.append([n["customerId"] for n in page["nodes"]])
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert pages == [[min(c1, c2)], [max(c1, c2)]] and page["totalCount"] == 2

    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        url = f"/exports/sales-analysis.xlsx?year={YEAR}"
        assert (await client.get(url)).status_code == 401
        staff = await client.get(url, headers={"Authorization": f"Bearer {STAFF}"})
        assert staff.status_code == 403
        xlsx = await client.get(url, headers={"Authorization": f"Bearer {AUDITOR}"})
        csv = await client.get(f"/exports/sales-analysis.csv?year={YEAR}",
                               headers={"Authorization": f"Bearer {AUDITOR}"})
    assert xlsx.status_code == 200 and csv.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    grid = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = grid[2]
    names = {r[0]: r for r in grid[3:-2]}
    mine = [r for name, r in names.items() if c1 in str(name)]
    assert len(mine) == 1
    value = mine[0][header.index(f"{code}产品")]
    assert Decimal(str(value)).quantize(Decimal("0.0001")) == Decimal("1.2346")
    assert csv.text.startswith("\ufeff客户销售分析表")


async def test_T1_classification_over_graphql_and_its_export(
    live_server: LiveServer, store: EventStore
) -> None:
    ids = await b.customers(store, 5, random.Random(10))
    query = """query($f: ClassificationFilter, $a: Int) { customerClassification(filter: $f,
      atLeast: $a) { title customers criteria { criterion values { value count share } } } }"""
    head = await store.head_position()
    body = await gql(live_server, query, {"f": {"customerIds": ids}, "a": head}, auth=MANAGER)
    result = body["data"]["customerClassification"]
    assert result["title"] == "客户总体分类表" and result["customers"] == 5
    for criterion in result["criteria"]:
        assert sum(v["count"] for v in criterion["values"]) == 5
        assert sum(Decimal(v["share"]) for v in criterion["values"]) == Decimal("100.00")
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        got = await client.get("/exports/customer-classification.xlsx",
                               headers={"Authorization": f"Bearer {MANAGER}"})
    sheet = openpyxl.load_workbook(io.BytesIO(got.content)).active
    assert sheet["A1"].value == "客户总体分类表" and sheet["A3"].value == "性别"
