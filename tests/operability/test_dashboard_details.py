"""Dashboard details: a sales group whose region is unknown says so, distinct from a group
not grouped by region; expense groups come in date order unless orderBy says otherwise."""

from __future__ import annotations

from datetime import date

from events.customers.commands import RegisterCustomer
from events.customers.handlers import handle_customer
from events.customers.values import Classification, Region, Tier
from events.sales.commands import RecordSale
from events.sales.handlers import record_sale
from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.analytics import builders as b
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id

MANAGER = token("dash-mgr", Role.MANAGER)
AGG = """query($by: [SalesDimension!]!, $f: SalesAggregateFilter, $a: Int) {
  salesAggregate(groupBy: $by, filter: $f, first: 10, atLeast: $a) {
    nodes { customerId region productCode sum unknown } } }"""


async def _customer(store: EventStore, region: Region | None) -> str:
    cid = random_id("c-")
    result = await handle_customer(store, b.ctx(b.STAFF), RegisterCustomer(
        customer_id=cid, organisation_name=f"区域测试{cid}", tier=Tier.GENERAL,
        classification=Classification(region=region)))
    assert result is not None
    return cid


async def test_unknown_region_is_a_group_of_its_own(live_server: LiveServer,
                                                   store: EventStore) -> None:
    [code] = await b.products(store, 1)
    nowhere, east = await _customer(store, None), await _customer(store, Region.EAST)
    for cid in (nowhere, east):
        await record_sale(store, b.ctx(b.STAFF), RecordSale(
            sale_id=random_id("s-"), customer_id=cid, product_code=code, amount_fen=100_00,
            sold_on=date(2012, 5, 6)))
    head = await store.head_position()
    both = {"customerIds": [nowhere, east]}
    by_region = (await gql(live_server, AGG, {"by": ["CUSTOMER", "REGION"], "f": both,
                                              "a": head}, auth=MANAGER))
    groups = {n["customerId"]: n for n in by_region["data"]["salesAggregate"]["nodes"]}
    assert (groups[nowhere]["region"], groups[nowhere]["unknown"]) == (None, ["REGION"])
    assert (groups[east]["region"], groups[east]["unknown"]) == ("EAST", [])
    by_product = await gql(live_server, AGG, {"by": ["PRODUCT"], "f": both}, auth=MANAGER)
    [group] = by_product["data"]["salesAggregate"]["nodes"]
    assert (group["region"], group["unknown"], group["sum"]) == (None, [], "200.00")
