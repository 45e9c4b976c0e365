"""Live dashboard queries through the real server and a real graphql-transport-ws client: the
first result at once, a new one when a projection the query reads advances (a settlement moves
`expenseSummary(filter: {settledOnly: true})`, M13), staff see their own figures, equal
arguments share one computation, and the budgets refuse with a typed error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.dashboards.support import (
    SUMMARY,
    LiveClient,
    counter,
    gauge,
    wait_for_metric,
)
from tests.live import LiveServer, run_server, scrape
from tests.meals.flows import person, seeded, signed_meal
from tests.meals.helpers import BILL_RESULT, User, register_customer
from tests.random_refs import random_id

MARCH = datetime(2025, 3, 12, 4, tzinfo=UTC)  # noon in Shanghai; March has long ended
RANGE = {"from": "2025-03-01", "to": "2025-03-31"}


def summary(restaurant: str, **changes: Any) -> dict[str, Any]:
    return {"by": ["RESTAURANT"], "f": {"restaurant": restaurant, **changes}, **RANGE}


def figures(data: dict[str, Any]) -> list[tuple[int, str]]:
    return [(g["count"], g["total"]) for g in data["expenseSummary"]]


async def test_M13_a_settlement_changes_the_pushed_expense_summary(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    restaurant = f"Jade Garden {random_id()}"
    customer = await register_customer(store)
    async with LiveClient(live_server, boss.token) as client:
        await client.subscribe("settled", SUMMARY, summary(restaurant, settledOnly=True))
        await client.subscribe("spent", SUMMARY, summary(restaurant))
        # The first results at once, before anything happens.
        assert figures(await client.result("settled")) == []
        assert figures(await client.result("spent")) == []

        await seeded(store, MARCH)
        meal_id = await signed_meal(store, customer, restaurant, MARCH, 54_000, staff.actor,
                                    person(Role.MANAGER))
        assert figures(await client.result("spent")) == [(1, "540.00")]  # the cost (M12)
        head = await store.head_position()
        await boss.query("query($r: String, $at: Int) { unsettledSignedMeals(restaurant: $r,"
                         " atLeast: $at) { id } }", r=restaurant, at=head)
        bill = await staff.mutate("recordRestaurantBill", {
            "restaurant": restaurant, "month": "2025-03", "lines": [
                {"lineNo": 1, "date": "2025-03-12", "amount": "540.00", "reference": "R-1"}]},
            fields=BILL_RESULT)
        assert bill["__typename"] == "BillMutationOk", bill
        settled = await boss.mutate("settleRestaurantBill", {"restaurant": restaurant,
                                                             "month": "2025-03"},
                                    fields=BILL_RESULT)
        assert settled["matched"] == [{"lineNo": 1, "mealId": meal_id, "amount": "540.00"}]

        pushed = await client.result("settled")
        assert figures(pushed) == [(1, "540.00")]
        assert pushed["expenseSummary"][0]["restaurant"] == restaurant
        # Unchanged results are not sent again: the settlement left "spent" as it was.
        assert client.pending("spent") == []


async def test_staff_see_only_their_own_figures_live(
    live_server: LiveServer, store: EventStore
) -> None:
    ann, bob = User(live_server, Role.STAFF), User(live_server, Role.STAFF)
    boss = User(live_server, Role.MANAGER)
    restaurant = f"Lotus {random_id()}"
    customer = await register_customer(store)
    await seeded(store, MARCH)
    clients = {u.id: LiveClient(live_server, u.token) for u in (ann, bob, boss)}
    for client in clients.values():
        await client.open()
        await client.subscribe("1", SUMMARY, summary(restaurant))
        assert figures(await client.result("1")) == []
    try:
        approver = person(Role.MANAGER)
        await signed_meal(store, customer, restaurant, MARCH, 54_000, ann.actor, approver)
        assert figures(await clients[ann.id].result("1")) == [(1, "540.00")]
        assert figures(await clients[boss.id].result("1")) in ([(1, "540.00")],
                                                              [(2, "840.00")])
        await signed_meal(store, customer, restaurant, MARCH, 30_000, bob.actor, approver)
        assert figures(await clients[bob.id].result("1")) == [(1, "300.00")]
        boss_view = await clients[boss.id].result_where("1", lambda d: figures(d) == [
            (2, "840.00")])
        assert figures(boss_view) == [(2, "840.00")]
        # Ann's figures never included Bob's meal.
        assert all(figures(d) == [(1, "540.00")] for d in clients[ann.id].pending("1"))
    finally:
        for client in clients.values():
            await client.close()


async def test_equal_arguments_share_one_computation(
    dsn: str, store: EventStore, tmp_path: Path
) -> None:
    customer = await register_customer(store)
    restaurant = f"Peony {random_id()}"
    staff = person(Role.STAFF)
    with run_server(dsn, tmp_path, KEHU_MAX_LIVE_QUERIES_PER_USER="2",
                    KEHU_MAX_LIVE_QUERIES="2") as server:
        first, second = User(server, Role.MANAGER), User(server, Role.MANAGER)
        async with LiveClient(server, first.token) as a, LiveClient(server, second.token) as b:
            await a.subscribe("1", SUMMARY, summary(restaurant))
            assert figures(await a.result("1")) == []
            await b.subscribe("1", SUMMARY, summary(restaurant))
            assert figures(await b.result("1")) == []
            await b.subscribe("2", SUMMARY, summary(restaurant, signedOnly=True))
            assert figures(await b.result("2")) == []
            samples = await wait_for_metric(server, lambda s: gauge(s, "kehu_live_subscribers")
                                            == 3)
            assert gauge(samples, "kehu_live_queries") == 2  # three subscribers, two queries
            before = counter(samples, "kehu_live_computations_total",
                             operation="expenseSummary", outcome="changed")
            assert before == 2  # one first result per distinct query, not per subscriber

            await seeded(store, MARCH)
            await signed_meal(store, customer, restaurant, MARCH, 54_000, staff,
                              person(Role.MANAGER))
            assert figures(await a.result("1")) == [(1, "540.00")]
            assert figures(await b.result("1")) == [(1, "540.00")]
            assert figures(await b.result("2")) == [(1, "540.00")]
            after = counter(scrape(server), "kehu_live_computations_total",
                            operation="expenseSummary", outcome="changed")
            assert after - before == 2  # one new result per query, shared by a and b

            # A third distinct live query for one user is over KEHU_MAX_LIVE_QUERIES_PER_USER;
            # for another user, over KEHU_MAX_LIVE_QUERIES of the process.
            await b.subscribe("3", SUMMARY, summary(restaurant, host="STAFF"))
            refused = await b.error("3")
            assert refused["extensions"]["code"] == "RATE_LIMITED", refused
            assert refused["message"] == "at most 2 live queries per user"
            await a.subscribe("3", SUMMARY, summary(restaurant, host="STAFF"))
            full = await a.error("3")
            assert full["extensions"]["code"] == "RATE_LIMITED", full
            assert "as many live queries as it may" in full["message"]
            # Joining a running live query is not a new one: still allowed.
            await a.subscribe("4", SUMMARY, summary(restaurant, signedOnly=True))
            assert figures(await a.result("4")) == [(1, "540.00")]
        # The last subscriber gone, the live queries are torn down.
        samples = await wait_for_metric(server, lambda s: gauge(s, "kehu_live_queries") == 0)
        assert gauge(samples, "kehu_live_subscribers") == 0


async def test_dashboards_live_with_the_queries_rules(live_server: LiveServer) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    async with LiveClient(live_server, staff.token) as client:
        await client.subscribe("t1", "subscription { customerClassification { customers } }",
                               {})
        assert (await client.error("t1"))["extensions"]["code"] == "FORBIDDEN"
        await client.subscribe("bad", SUMMARY, {"by": [], "f": None, "from": "2025-03-31",
                                                "to": "2025-03-01"})
        refused = await client.error("bad")
        assert refused["extensions"] == {"code": "BAD_USER_INPUT", "field": "to"}
        await client.subscribe("mine", "subscription { openExceptions(first: 5) { id } }", {})
        assert (await client.result("mine"))["openExceptions"] == []  # a new staff member's
    async with LiveClient(live_server, boss.token) as client:
        await client.subscribe("t1", "subscription { customerClassification { customers"
                               " allCustomers criteria { criterion values { value count } } } }",
                               {})
        table = (await client.result("t1"))["customerClassification"]
        assert table["allCustomers"] >= table["customers"] >= 0
        await client.subscribe("sales", "subscription { salesAggregate(groupBy: [YEAR],"
                               " first: 3) { totalCount nodes { year count } } }", {})
        page = (await client.result("sales"))["salesAggregate"]
        assert page["totalCount"] >= len(page["nodes"])
