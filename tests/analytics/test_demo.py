"""Demo data: reproducible, written through the command handlers, and T2 over it agrees with the
sales in the log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from events.demo.plan import plan
from events.demo.seed import seed_demo
from events.store.db import create_pool
from events.store.event_store import EventStore
from events.store.notifications import Notifier
from projections.sales.analysis import T2Filter, sales_table
from schema.bootstrap import on_start
from schema.context import Services
from schema.settings import Settings
from tests.analytics.builders import catch_up

TZ = ZoneInfo("Asia/Shanghai")


def test_T2_demo_world_is_the_same_for_the_same_arguments() -> None:
    a, b = plan(30, 2, date(2025, 6, 1), TZ), plan(30, 2, date(2025, 6, 1), TZ)
    assert a == b
    names = [c.name for c in a.customers]
    assert len(set(names)) == len(names) and all(n.endswith("公司") for n in names)


@pytest.fixture
async def services(fresh_dsn: str) -> AsyncIterator[Services]:
    pool = await create_pool(fresh_dsn)
    yield Services(settings=Settings(jwt_secret="x", database_url=fresh_dsn), dsn=fresh_dsn,
                   pool=pool, store=EventStore(pool), notifier=Notifier(fresh_dsn))
    await pool.close()


async def test_T2_demo_seed_goes_through_the_rules_and_the_table_sums_its_sales(
    services: Services, fresh_dsn: str
) -> None:
    await on_start(services)  # installs the seed rule book (and skips the demo hook)
    summary = await seed_demo(services.store, services.settings.timezone, customers=20, years=2)
    assert summary["refused"] == 0 and summary["policy_exceptions"] > 0
    pool = services.pool
    exceptions = await pool.fetchval(
        "SELECT count(*) FROM events WHERE event_type = 'MealApproved'"
        " AND (payload->>'exception_approved')::boolean")
    assert exceptions == summary["policy_exceptions"]
    await catch_up(fresh_dsn)
    year = date.today().year - 1
    logged = await pool.fetchval(
        "SELECT sum((payload->>'amount_fen')::bigint) FROM events WHERE event_type ="
        " 'SaleRecorded' AND payload->>'sold_on' LIKE $1", f"{year}-%")
    table = await sales_table(pool, year, T2Filter(), limit=None)
    assert table.grand_total == logged and len(table.products) == 7
    assert table.signature is not None and table.signature.reviewed_by == "张伟"
