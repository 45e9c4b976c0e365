"""What the manager sees about the paper (M12, M13): the same document on two meals, an
invoice number seen twice, a cost without a receipt until a receipt or a reason arrives; and a
restaurant bill's documents, attached by a manager and seen by whoever sees the bill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from events.shared.actors import Role
from events.shared.context import COMPANY_TZ
from events.store.event_store import EventStore
from tests.documents.files import ATTACHED, attach, download, jpeg, pdf, stored
from tests.documents.test_meal_documents_api import held_meal
from tests.live import LiveServer
from tests.meals.helpers import BILL_RESULT, User
from tests.random_refs import random_id

FINDINGS = """query($meal: ID, $at: Int) { documentFindings(mealId: $meal, atLeast: $at) {
  kind rule message sha256 invoiceNumber mealIds billIds } }"""


async def findings(user: User, meal_id: str, at: int) -> list[dict[str, Any]]:
    data = await user.query(FINDINGS, meal=meal_id, at=at)
    found: list[dict[str, Any]] = data["documentFindings"]
    return found


async def test_M12_duplicates_and_costs_without_receipts_are_findings_the_manager_sees(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    first, second, third = [await held_meal(store, staff, boss) for _ in range(3)]
    # A cost without a receipt is an open finding from the start; staff see their own.
    missing = await findings(boss, third, 0)
    assert [(f["kind"], f["rule"], f["mealIds"]) for f in missing] == [
        ("MISSING_RECEIPT", "M12", [third])]
    assert "explainMissingReceipt" in missing[0]["message"]
    assert [f["kind"] for f in await findings(staff, third, 0)] == ["MISSING_RECEIPT"]

    photo = await stored(live_server, staff, jpeg(99))
    await attach(staff, first, photo)
    twice = await attach(staff, second, photo)
    assert twice["__typename"] == "DocumentMutationOk", twice
    number = random_id("INV")[:30]
    one = await stored(live_server, staff, pdf(f"invoice {number} a"))
    other = await stored(live_server, staff, pdf(f"invoice {number} b"))
    await attach(staff, first, one, "INVOICE", number)
    last = await attach(staff, third, other, "INVOICE", number.lower())  # compared loosely
    seen = await findings(boss, first, last["position"])
    by_kind = {f["kind"]: f for f in seen}
    assert sorted(by_kind) == ["DUPLICATE_DOCUMENT", "DUPLICATE_INVOICE_NUMBER"], seen
    assert by_kind["DUPLICATE_DOCUMENT"]["sha256"] == photo
    assert sorted(by_kind["DUPLICATE_DOCUMENT"]["mealIds"]) == sorted([first, second])
    assert sorted(by_kind["DUPLICATE_INVOICE_NUMBER"]["mealIds"]) == sorted([first, third])
    # Staff do not see duplicates (they involve other people's meals and bills).
    assert await findings(staff, first, last["position"]) == []
    # The receipt closed the third meal's open finding.
    assert [f["kind"] for f in await findings(boss, third, last["position"])] == [
        "DUPLICATE_INVOICE_NUMBER"]


async def test_M12_a_cost_without_a_receipt_is_allowed_with_a_reason(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    meal_id = await held_meal(store, staff, boss)
    blank = await staff.mutate("explainMissingReceipt", {"mealId": meal_id, "reason": "  "},
                               fields=ATTACHED)
    assert blank["__typename"] == "ValidationError"
    assert blank["problems"][0]["field"] == "reason"
    stranger = await User(live_server, Role.STAFF).mutate(
        "explainMissingReceipt", {"mealId": meal_id, "reason": "lost"}, fields=ATTACHED)
    assert stranger["__typename"] == "ForbiddenError" and stranger["rule"] == "M12"
    explained = await staff.mutate("explainMissingReceipt", {
        "mealId": meal_id, "reason": "the street stall gives no receipt"}, fields=ATTACHED)
    assert explained["__typename"] == "DocumentMutationOk", explained
    assert await findings(boss, meal_id, explained["position"]) == []
    # The manager signing or auditing the cost reads the reason beside it.
    meal = await boss.query("query($id: ID!) { mealRequest(id: $id) { noReceiptReason } }",
                            id=meal_id)
    assert meal["mealRequest"]["noReceiptReason"] == "the street stall gives no receipt"


async def test_M13_a_bill_document_is_attached_by_a_manager_and_seen_with_the_bill(
    live_server: LiveServer, pool: asyncpg.Pool
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    restaurant = f"Jade Garden {random_id()}"
    day = (datetime.now(UTC) - timedelta(days=1)).astimezone(COMPANY_TZ).date()
    month = f"{day.year:04d}-{day.month:02d}"
    bill = await staff.mutate("recordRestaurantBill", {
        "restaurant": restaurant, "month": month, "lines": [
            {"lineNo": 1, "date": day.isoformat(), "amount": "540.00", "reference": "R-1"}]},
        fields=BILL_RESULT)
    assert bill["__typename"] == "BillMutationOk", bill
    invoice = pdf(f"monthly invoice {restaurant}")
    sha = await stored(live_server, boss, invoice)
    payload = {"restaurant": restaurant, "month": month, "sha256": sha, "kind": "INVOICE",
               "lineNo": 1, "invoiceNumber": random_id("B")[:20]}
    by_staff = await staff.mutate("attachBillDocument", payload, fields=ATTACHED)
    assert by_staff["__typename"] == "ForbiddenError" and by_staff["rule"] == "M13", by_staff
    no_line = await boss.mutate("attachBillDocument", {**payload, "lineNo": 9},
                                fields=ATTACHED)
    assert no_line["__typename"] == "NotFoundError" and no_line["field"] == "lineNo", no_line
    no_bill = await boss.mutate("attachBillDocument", {**payload, "month": "1999-01"},
                                fields=ATTACHED)
    assert no_bill["__typename"] == "NotFoundError", no_bill
    done = await boss.mutate("attachBillDocument", payload, fields=ATTACHED)
    assert done["__typename"] == "DocumentMutationOk" and done["billId"] == bill["billId"], done
    event = await pool.fetchval(
        "SELECT payload->>'sha256' FROM kehu_log.events WHERE event_type ="
        " 'BillDocumentAttached' AND position = $1", done["position"])
    assert event == sha

    month_query = """query($m: String!, $r: String, $at: Int) {
      restaurantBills(month: $m, restaurant: $r, atLeast: $at) {
        documents { sha256 kind lineNo billId invoiceNumber } } }"""
    shown = await boss.query(month_query, m=month, r=restaurant, at=done["position"])
    assert shown["restaurantBills"][0]["documents"] == [
        {"sha256": sha, "kind": "INVOICE", "lineNo": 1, "billId": bill["billId"],
         "invoiceNumber": payload["invoiceNumber"]}]
    assert (await download(live_server, boss, sha)).content == invoice
    assert (await download(live_server, User(live_server, Role.AUDITOR), sha)
            ).status_code == 200
    # Staff see a bill only through their own meals, without its paper.
    assert (await download(live_server, staff, sha)).status_code == 404
