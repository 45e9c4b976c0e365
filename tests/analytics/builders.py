"""Writing customers, products and sales for the analytics tests, and catching projections up
in a database of the test's own (so totals over everything can be checked exactly)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

from events.customers.commands import RegisterCustomer
from events.customers.handlers import handle_customer
from events.customers.values import Classification, Gender, Region, Spending, Tier
from events.sales.commands import DefineProduct, RecordSale
from events.sales.handlers import define_product, record_sale
from events.shared.actors import Actor, Role
from events.shared.context import Context
from events.store.db import connect
from events.store.event_store import EventStore
from projections.classification import projection as classification_projection
from projections.runner import rebuild
from projections.sales import projection as sales_projection
from tests.random_refs import random_id

MANAGER = Actor("mgr-1", "经理", Role.MANAGER)
STAFF = Actor("staff-1", "专员", Role.STAFF)


def ctx(actor: Actor = MANAGER) -> Context:
    return Context(actor=actor, now=datetime.now(UTC), correlation_id="test")


@dataclass(frozen=True)
class Sale:
    customer_id: str
    product: str
    fen: int
    day: date


async def products(store: EventStore, n: int = 3) -> list[str]:
    codes = [random_id("P")[:10] for _ in range(n)]
    for code in codes:
        await define_product(store, ctx(), DefineProduct(code=code, name=f"{code}产品"))
    return codes


async def customers(store: EventStore, n: int, rng: random.Random) -> list[str]:
    ids = []
    for i in range(n):
        cid = random_id("c-")
        known = rng.random() < 0.8  # some customers lack attributes: T1's "unknown"
        c = Classification(
            gender=rng.choice(list(Gender)) if known else None,
            region=rng.choice(list(Region)) if rng.random() < 0.9 else None,
            spending=rng.choice(list(Spending)) if known else None,
        )
        await handle_customer(store, ctx(STAFF), RegisterCustomer(
            customer_id=cid, organisation_name=f"客户{i:03d}有限公司-{cid}",
            tier=rng.choice(list(Tier)), classification=c))
        ids.append(cid)
    return ids


async def sales(store: EventStore, customer_ids: list[str], codes: list[str], n: int,
                rng: random.Random, years: tuple[int, ...] = (2023, 2024)) -> list[Sale]:
    written = []
    for _ in range(n):
        s = Sale(rng.choice(customer_ids), rng.choice(codes),
                 rng.randint(1, 2_000_000_00), date(rng.choice(years), rng.randint(1, 12),
                                                   rng.randint(1, 28)))
        await record_sale(store, ctx(STAFF), RecordSale(
            sale_id=random_id("s-"), customer_id=s.customer_id, product_code=s.product,
            amount_fen=s.fen, sold_on=s.day))
        written.append(s)
    return written


async def catch_up(dsn: str) -> None:
    """Replay the log into the sales and classification tables (the runner's own rebuild)."""
    conn = await connect(dsn)
    try:
        for module in (sales_projection, classification_projection):
            for projection in module.PROJECTIONS:
                await rebuild(conn, projection)
    finally:
        await conn.close()
