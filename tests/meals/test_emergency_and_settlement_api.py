"""End to end on the real server: the emergency path (M11) from verbal approval to settlement,
and a month's settlement with a discrepancy (M13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.shared.actors import Role
from events.shared.context import COMPANY_TZ
from events.store.event_store import EventStore
from tests.live import LiveServer
from tests.meals.helpers import BILL_RESULT, User, form, register_customer
from tests.random_refs import random_id


async def test_M11_M12_M13_emergency_meal_from_verbal_approval_to_settlement(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    auditor = User(live_server, Role.AUDITOR)
    customer = await register_customer(store)
    restaurant = f"Jade Garden {random_id()}"
    # Recorded on the meal day, the meal already under way (M11).
    meal_at = datetime.now(UTC) - timedelta(seconds=1)
    day = meal_at.astimezone(COMPANY_TZ).date()
    verbal = await boss.mutate("approveMealVerbally", {
        "requestedBy": staff.id, "customerId": customer, "mealAt": meal_at.isoformat(),
        "restaurant": restaurant, "guests": 4, "accompanying": 2, "mealType": "BANQUET",
        "host": "STAFF", "urgencyReason": "delegation arrived a day early",
        "estimatedTotal": "500.00",
    })
    assert verbal["__typename"] == "MealMutationOk", verbal
    assert verbal["status"] == "VERBALLY_APPROVED" and verbal["policyVersion"] == 1
    meal_id = verbal["mealId"]

    held = await staff.mutate("recordMealCost", {"mealId": meal_id, "total": "540.00",
                                                 "drinks": "90.00", "guests": 4,
                                                 "accompanying": 2})
    assert held["status"] == "PENDING_PAPERWORK", held
    pending = await boss.query(
        "query($at: Int) { pendingPaperwork(atLeast: $at) { id paperworkDue } }",
        at=held["position"])
    assert meal_id in [m["id"] for m in pending["pendingPaperwork"]]

    done = await staff.mutate("completeMealPaperwork", {
        "mealId": meal_id, "form": form(customer, meal_at, restaurant=restaurant)})
    assert done["status"] == "PAPERWORK_COMPLETED", done
    own = await staff.mutate("signMealCost", {"mealId": meal_id})
    assert own["__typename"] == "ForbiddenError" and own["rule"] == "M12"
    signed = await boss.mutate("signMealCost", {"mealId": meal_id, "annotation": "ok"})
    assert signed["status"] == "SIGNED", signed
    waiting = await boss.query(
        "query($r: String, $at: Int) { unsettledSignedMeals(restaurant: $r, atLeast: $at)"
        " { id total } }", r=restaurant, at=signed["position"])
    assert waiting["unsettledSignedMeals"] == [{"id": meal_id, "total": "540.00"}]

    month = f"{day.year:04d}-{day.month:02d}"
    bill = await staff.mutate("recordRestaurantBill", {
        "restaurant": restaurant, "month": month, "lines": [
            {"lineNo": 1, "date": day.isoformat(), "amount": "540.00", "reference": "R-1"},
            {"lineNo": 2, "date": day.isoformat(), "amount": "88.00", "reference": "R-2"},
        ]}, fields=BILL_RESULT)
    assert bill["__typename"] == "BillMutationOk" and not bill["settled"], bill

    settled = await boss.mutate("settleRestaurantBill", {"restaurant": restaurant,
                                                         "month": month}, fields=BILL_RESULT)
    assert settled["__typename"] == "BillMutationOk", settled
    assert settled["matched"] == [{"lineNo": 1, "mealId": meal_id, "amount": "540.00"}]
    assert [(d["lineNo"], d["reason"]) for d in settled["discrepancies"]] == [
        (2, "no_signed_meal")]
    assert settled["settledTotal"] == "540.00"

    meal = await boss.meal(meal_id, settled["position"])
    assert meal is not None and meal["status"] == "SETTLED" and meal["settledMonth"] == month
    assert [h["type"] for h in meal["history"]] == [
        "MealApprovedVerbally", "MealCostRecorded", "MealPaperworkCompleted", "MealCostSigned",
        "MealSettled"]
    months = await boss.query(
        "query($m: String!, $r: String, $at: Int) { restaurantBills(month: $m, restaurant: $r,"
        " atLeast: $at) { billTotal signedTotal difference settled discrepancies { lineNo } } }",
        m=month, r=restaurant, at=settled["position"])
    assert months["restaurantBills"] == [{
        "billTotal": "628.00", "signedTotal": "540.00", "difference": "88.00", "settled": True,
        "discrepancies": [{"lineNo": 2}]}]
    # One append: the bill's settlement and the meal's are adjacent and share a correlation.
    log = await auditor.query(
        "query($a: Int!) { events(after: $a, first: 10, types: [\"RestaurantBillSettled\","
        " \"MealSettled\"]) { position type correlationId } }", a=settled["position"] - 2)
    ours = [e for e in log["events"] if e["position"] >= settled["position"] - 1]
    assert [e["type"] for e in ours] == ["RestaurantBillSettled", "MealSettled"]
    assert ours[0]["correlationId"] == ours[1]["correlationId"]

    again = await boss.mutate("settleRestaurantBill", {"restaurant": restaurant,
                                                       "month": month}, fields=BILL_RESULT)
    assert again["__typename"] == "InvalidStateError" and again["rule"] == "M13"
