"""The rule book as versioned data (M15, V13), on a server with a database of its own: a new
version takes effect today there without changing the rule book other tests run under."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events.customers.values import Tier
from events.policy.handlers import install_seed
from events.policy.model import PolicyApproved, PolicyDrafted
from events.shared.actors import SYSTEM, Role
from events.shared.context import COMPANY_TZ, Context
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.live import LiveServer, run_server
from tests.meals.helpers import POLICY_RESULT, User, figures_input, form, register_customer


@pytest.fixture
async def own_store(fresh_dsn: str) -> AsyncIterator[EventStore]:
    pool = await create_pool(fresh_dsn)
    yield EventStore(pool)
    await pool.close()


async def test_M15_seed_is_installed_once_when_two_processes_start_together(
    own_store: EventStore, fresh_dsn: str
) -> None:
    other = await create_pool(fresh_dsn)
    try:
        ctx = Context(actor=SYSTEM, now=datetime.now(UTC))
        wrote = await asyncio.gather(install_seed(own_store, ctx),
                                     install_seed(EventStore(other), ctx),
                                     install_seed(own_store, ctx))
    finally:
        await other.close()
    events = [e.event for e in await own_store.read_stream("policy")]
    assert [type(e) for e in events] == [PolicyDrafted, PolicyApproved]
    assert wrote.count(True) >= 1
    assert await install_seed(own_store, ctx) is False


async def test_M15_V13_a_decision_under_version_1_still_shows_version_1_after_version_2(
    own_store: EventStore, fresh_dsn: str, tmp_path: Path
) -> None:
    with run_server(fresh_dsn, tmp_path) as server:
        await _versions_scenario(server, own_store)


async def _versions_scenario(server: LiveServer, store: EventStore) -> None:
    staff, boss = User(server, Role.STAFF), User(server, Role.MANAGER)
    other_boss, gm = User(server, Role.MANAGER), User(server, Role.GENERAL_MANAGER)
    customer = await register_customer(store, Tier.IMPORTANT)
    today = datetime.now(COMPANY_TZ).date()
    seed = await boss.query("{ policies { version status effectiveFrom approvedBy } }")
    assert seed["policies"] == [{"version": 1, "status": "approved",
                                 "effectiveFrom": "2000-01-01", "approvedBy": "system"}]
    meal_at = datetime.now(UTC) + timedelta(days=2)
    # 6 persons at 110 yuan: over version 1's cap of 100, within version 2's 120.
    blocked = await staff.mutate("requestMeal", form(customer, meal_at, estimatedTotal="660.00"))
    assert blocked["__typename"] == "PolicyBlockedError" and blocked["rule"] == "M5"
    under_v1 = await staff.mutate("requestMeal", form(customer, meal_at))
    assert under_v1["policyVersion"] == 1

    draft = {"version": 2, "figures": figures_input("120.00"), "compiledBy": "客户服务部"}
    by_gm = await gm.mutate("draftPolicy", draft, fields=POLICY_RESULT)
    assert by_gm["__typename"] == "ForbiddenError" and by_gm["rule"] == "V13"
    drafted = await boss.mutate("draftPolicy", draft, fields=POLICY_RESULT)
    assert drafted["__typename"] == "PolicyMutationOk", drafted
    approve = {"version": 2, "effectiveFrom": today.isoformat(), "reviewedBy": "Sun"}
    by_manager = await other_boss.mutate("approvePolicy", approve, fields=POLICY_RESULT)
    assert by_manager["__typename"] == "ForbiddenError" and by_manager["rule"] == "V13"
    past = await gm.mutate("approvePolicy", {**approve, "effectiveFrom": (
        today - timedelta(days=1)).isoformat()}, fields=POLICY_RESULT)
    assert past["__typename"] == "ValidationError" and past["rule"] == "M15"
    approved = await gm.mutate("approvePolicy", approve, fields=POLICY_RESULT)
    assert approved["__typename"] == "PolicyMutationOk", approved

    in_force = await boss.query(
        "query($d: Date, $at: Int) { policy(asOf: $d, atLeast: $at) { version approvedBy"
        " figures { caps { tier mealType host cap } } } }",
        d=today.isoformat(), at=approved["position"])
    assert in_force["policy"]["version"] == 2 and in_force["policy"]["approvedBy"] == gm.id
    assert {"tier": "IMPORTANT", "mealType": "BANQUET", "host": "STAFF", "cap": "120.00"} in (
        in_force["policy"]["figures"]["caps"])
    before = await boss.query("query($d: Date) { policy(asOf: $d) { version } }",
                              d=(today - timedelta(days=1)).isoformat())
    assert before["policy"]["version"] == 1

    under_v2 = await staff.mutate("requestMeal", form(customer, meal_at,
                                                      estimatedTotal="660.00"))
    assert under_v2["status"] == "REQUESTED" and under_v2["policyVersion"] == 2
    decided = await boss.mutate("approveMeal", {"mealId": under_v1["mealId"]})
    meal = await boss.meal(under_v1["mealId"], decided["position"])
    assert meal is not None and meal["policyVersion"] == 1
    assert [(h["type"], h["policyVersion"]) for h in meal["history"]] == [
        ("MealRequested", 1), ("MealApproved", 1)]
