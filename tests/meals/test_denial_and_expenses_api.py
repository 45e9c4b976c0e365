"""End to end: the denial path (M14) and the expense views, on the real server. The meals'
pasts are written through the handlers with an earlier clock; everything after goes through
GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.customers.values import Tier
from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.live import LiveServer
from tests.meals.flows import person, seeded, signed_meal, verbal_meal
from tests.meals.helpers import POLICY_RESULT, User, figures_input, form, register_customer
from tests.random_refs import random_id

SUMMARY = """query($by: [ExpenseDimension!]!, $from: Date!, $to: Date!, $f: ExpenseFilter,
  $at: Int, $order: ExpenseOrder) { expenseSummary(groupBy: $by, from: $from, to: $to,
  filter: $f, atLeast: $at, orderBy: $order) {
  month restaurant customerId customerTier host mealType count total average } }"""


async def test_M14_reimbursement_denied_through_the_api_after_the_paperwork_deadline(
    live_server: LiveServer, store: EventStore
) -> None:
    boss, staff = User(live_server, Role.MANAGER), User(live_server, Role.STAFF)
    customer = await register_customer(store)
    meal_at = datetime.now(UTC) - timedelta(days=10)
    await seeded(store, meal_at)
    requester = person(Role.STAFF)
    requester_api = User(live_server, Role.STAFF, requester.user_id)
    meal_id = await verbal_meal(store, customer, "Jade Garden", meal_at, requester,
                                person(Role.MANAGER))
    held = await requester_api.mutate("recordMealCost", {
        "mealId": meal_id, "total": "500.00", "drinks": "0", "guests": 4, "accompanying": 2})
    assert held["status"] == "PENDING_PAPERWORK", held
    overdue = await boss.query(
        "query($at: Int) { pendingPaperwork(overdue: true, atLeast: $at) { id paperworkDue } }",
        at=held["position"])
    assert meal_id in [m["id"] for m in overdue["pendingPaperwork"]]
    late = await requester_api.mutate("completeMealPaperwork", {
        "mealId": meal_id, "form": form(customer, meal_at)})
    assert late["__typename"] == "InvalidStateError" and late["rule"] == "M11"
    by_staff = await staff.mutate("denyReimbursement", {"mealId": meal_id, "reason": "late"})
    assert by_staff["__typename"] == "ForbiddenError" and by_staff["rule"] == "M14"
    denied = await boss.mutate("denyReimbursement", {
        "mealId": meal_id, "reason": "written request never completed"})
    assert denied["status"] == "REIMBURSEMENT_DENIED", denied
    meal = await boss.meal(meal_id, denied["position"])
    assert meal is not None and meal["denialReason"] == "written request never completed"
    spend = await boss.query(SUMMARY, by=["CUSTOMER"], at=denied["position"],
                             f={"customerId": customer},
                             **{"from": (meal_at - timedelta(days=1)).date().isoformat(),
                                "to": datetime.now(UTC).date().isoformat()})
    assert spend["expenseSummary"] == []  # a denied meal is no spend


async def test_M5_expense_summary_groups_spend_by_month_in_company_time_and_tier(
    live_server: LiveServer, store: EventStore
) -> None:
    boss = User(live_server, Role.MANAGER)
    staff, approver = person(Role.STAFF), person(Role.MANAGER)
    important = await register_customer(store, Tier.IMPORTANT)
    general = await register_customer(store, Tier.GENERAL)
    restaurant = f"Lotus {random_id()}"
    june = datetime(2024, 6, 12, 11, tzinfo=UTC)
    # 17:30 UTC on 30 June is 01:30 on 1 July in Shanghai: a July meal.
    july = datetime(2024, 6, 30, 17, 30, tzinfo=UTC)
    await seeded(store, june)
    await signed_meal(store, important, restaurant, june, 54_000, staff, approver)
    await signed_meal(store, important, restaurant, july, 30_000, staff, approver)
    await signed_meal(store, general, restaurant, july, 30_001, staff, approver,
                      estimated_total_fen=30_001)
    head = await store.head_position()
    by_month = await boss.query(SUMMARY, by=["MONTH"], f={"restaurant": restaurant}, at=head,
                                **{"from": "2024-06-01", "to": "2024-07-31"})
    assert [(g["month"], g["count"], g["total"], g["average"])
            for g in by_month["expenseSummary"]] == [  # dates in date order by default
        ("2024-06", 1, "540.00", "540.00"), ("2024-07", 2, "600.01", "300.01")]
    by_spend = await boss.query(SUMMARY, by=["MONTH"], f={"restaurant": restaurant},
                                order="TOTAL_DESC", **{"from": "2024-06-01", "to": "2024-07-31"})
    assert [g["month"] for g in by_spend["expenseSummary"]] == ["2024-07", "2024-06"]
    by_tier = await boss.query(SUMMARY, by=["CUSTOMER_TIER", "MEAL_TYPE"],
                               f={"restaurant": restaurant},
                               **{"from": "2024-06-01", "to": "2024-07-31"})
    assert {(g["customerTier"], g["mealType"], g["total"], g["month"])
            for g in by_tier["expenseSummary"]} == {
        ("IMPORTANT", "BANQUET", "840.00", None), ("GENERAL", "BANQUET", "300.01", None)}
    june_only = await boss.query(SUMMARY, by=["RESTAURANT", "HOST"],
                                 f={"restaurant": restaurant, "signedOnly": True},
                                 **{"from": "2024-06-01", "to": "2024-06-30"})
    assert june_only["expenseSummary"] == [{
        "month": None, "restaurant": restaurant, "customerId": None, "customerTier": None,
        "host": "STAFF", "mealType": None, "count": 1, "total": "540.00",
        "average": "540.00"}]
    # Staff see the spend of their own requests only.
    other = User(live_server, Role.STAFF)
    mine = await other.query(SUMMARY, by=["MONTH"], f={"restaurant": restaurant},
                             **{"from": "2024-06-01", "to": "2024-07-31"})
    assert mine["expenseSummary"] == []
    bills = await boss.query(
        "query($r: String) { restaurantBills(month: \"2024-07\", restaurant: $r) { billId"
        " signedMeals signedTotal billTotal difference } }", r=restaurant)
    assert bills["restaurantBills"] == [{"billId": None, "signedMeals": 2,
                                        "signedTotal": "600.01", "billTotal": None,
                                        "difference": None}]


async def test_M1_a_draft_without_a_cap_for_some_meal_is_refused(
    live_server: LiveServer
) -> None:
    boss = User(live_server, Role.MANAGER)
    versions = (await boss.query("{ policies { version } }"))["policies"]
    figures = figures_input("100.00")
    figures["caps"] = [c for c in figures["caps"] if c["mealType"] != "TEA_PARTY"]
    result = await boss.mutate("draftPolicy", {"version": len(versions) + 1, "figures": figures,
                                               "compiledBy": "客户服务部"},
                               fields=POLICY_RESULT)
    assert result["__typename"] == "ValidationError"
    assert {p["rule"] for p in result["problems"]} == {"M1"}
