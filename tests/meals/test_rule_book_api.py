"""The rule book, closer, through the real server: four eyes with a people directory (M11,
M12), working days on the official calendar with an injected clock (元旦, 国庆, 调休), meals
held without approval (M14), month-end bills (M13), tier changes (M5) and who sees what."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from events.customers.values import Tier
from events.shared.actors import Role
from events.shared.context import COMPANY_TZ
from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.live import Clock, LiveServer, run_server
from tests.meals.helpers import (
    BILL_RESULT,
    POLICY_RESULT,
    User,
    figures_input,
    form,
    register_customer,
    register_person,
)
from tests.random_refs import random_id

PERSON_RESULT = """__typename ... on PersonMutationOk { userId active position }
  ... on MutationError { message code rule } ... on ValidationError { problems { field } }"""


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=COMPANY_TZ)


def verbal_input(staff_id: str, customer: str, meal_at: datetime, **changes: Any) -> dict[str, Any]:
    return {"requestedBy": staff_id, "customerId": customer, "mealAt": meal_at.isoformat(),
            "restaurant": "Jade Garden", "guests": 4, "accompanying": 2, "mealType": "BANQUET",
            "host": "STAFF", "urgencyReason": "the delegation arrived early",
            "estimatedTotal": "400.00", **changes}


async def meal_row(user: User, meal_id: str, position: int, fields: str) -> dict[str, Any]:
    data = await user.query(f"query($id: ID!, $at: Int) {{ mealRequest(id: $id, atLeast: $at)"
                            f" {{ {fields} }} }}", id=meal_id, at=position)
    row: dict[str, Any] = data["mealRequest"]
    return row


async def test_M11_people_directory_names_the_staff_member_of_a_verbal_approval(
    live_server: LiveServer, store: EventStore
) -> None:
    office, boss = User(live_server, Role.ADMIN_OFFICE), User(live_server, Role.MANAGER)
    staff = User(live_server, Role.STAFF)
    refused = await boss.mutate("registerPerson", {"userId": staff.id, "name": "王丽",
                                                   "role": "STAFF"}, fields=PERSON_RESULT)
    assert refused["__typename"] == "ForbiddenError", refused  # not the approver's directory
    added = await office.mutate("registerPerson", {"userId": staff.id, "name": "王丽",
                                                   "role": "STAFF"}, fields=PERSON_RESULT)
    assert added["__typename"] == "PersonMutationOk", added
    found = await boss.query("query($u: String!, $at: Int) { person(userId: $u, atLeast: $at)"
                             " { userId name role active } }", u=staff.id.upper(),
                             at=added["position"])
    assert found["person"] == {"userId": staff.id, "name": "王丽", "role": "STAFF",
                               "active": True}
    listed = await boss.query("query { people(first: 100) { userId } }")
    assert isinstance(listed["people"], list)

    customer = await register_customer(store)
    soon = datetime.now(COMPANY_TZ)
    for spelling in (boss.id.upper(), f" {boss.id} "):
        own = await boss.mutate("approveMealVerbally", verbal_input(spelling, customer, soon))
        assert (own["__typename"], own["rule"]) == ("ForbiddenError", "M11"), own
    for unknown in ("nobody-at-all", "system"):
        nobody = await boss.mutate("approveMealVerbally", verbal_input(unknown, customer, soon))
        assert (nobody["__typename"], nobody["rule"]) == ("ValidationError", "M11"), nobody
    ok = await boss.mutate("approveMealVerbally", verbal_input(staff.id.upper(), customer, soon))
    assert ok["__typename"] == "MealMutationOk" and ok["status"] == "PENDING_PAPERWORK", ok

    gone = await office.mutate("deactivatePerson", {"userId": staff.id, "reason": "left"},
                               fields=PERSON_RESULT)
    assert gone["__typename"] == "PersonMutationOk" and not gone["active"], gone
    after = await boss.mutate("approveMealVerbally", verbal_input(staff.id, customer, soon))
    assert after["__typename"] == "ValidationError" and "no longer active" in after["message"]


async def test_M11_deadlines_skip_yuandan_count_tiaoxiu_and_refuse_an_uncovered_year(
    live_server: LiveServer, store: EventStore, clock: Clock
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    await register_person(store, staff.id)
    customer = await register_customer(store)
    # Wed 31 Dec 2025: 1-3 Jan are 元旦, Sun 4 Jan is worked (调休): Sun 4, Mon 5, Tue 6.
    clock.set(at(2025, 12, 31, 20))
    eve = await boss.mutate("approveMealVerbally",
                            verbal_input(staff.id, customer, at(2025, 12, 31, 19)))
    assert eve["status"] == "PENDING_PAPERWORK", eve
    row = await meal_row(boss, eve["mealId"], eve["position"], "paperworkDue status")
    assert row == {"paperworkDue": "2026-01-06", "status": "PENDING_PAPERWORK"}
    overdue = "query($at: Int) { pendingPaperwork(overdue: true, atLeast: $at, first: 100) { id } }"
    clock.set(at(2026, 1, 6, 23, 59))
    assert eve["mealId"] not in [m["id"] for m in (await boss.query(overdue, at=eve["position"]))[
        "pendingPaperwork"]]
    clock.set(at(2026, 1, 7, 0, 1))
    assert eve["mealId"] in [m["id"] for m in (await boss.query(overdue, at=0))[
        "pendingPaperwork"]]

    # Thu 26 Feb 2026: Fri 27, Sat 28 Feb (a make-up working day), Mon 2 Mar.
    clock.set(at(2026, 2, 26, 20))
    feb = await boss.mutate("approveMealVerbally",
                            verbal_input(staff.id, customer, at(2026, 2, 26, 19)))
    row = await meal_row(boss, feb["mealId"], feb["position"], "paperworkDue")
    assert row == {"paperworkDue": "2026-03-02"}

    # Wed 30 Dec 2026: the deadline reaches 2027, which the rule book's calendar lacks.
    clock.set(at(2026, 12, 30, 20))
    gap = await boss.mutate("approveMealVerbally",
                            verbal_input(staff.id, customer, at(2026, 12, 30, 19)))
    assert (gap["__typename"], gap["rule"]) == ("InvalidStateError", "M11"), gap
    assert "2027" in gap["message"] and "general manager approves" in gap["message"]


async def test_M11_paperwork_does_not_wait_for_the_cost_and_the_approver_records_no_cost(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    other_boss = User(live_server, Role.MANAGER)
    await register_person(store, staff.id)
    customer = await register_customer(store)
    meal_at = datetime.now(COMPANY_TZ)
    verbal = await boss.mutate("approveMealVerbally", verbal_input(staff.id, customer, meal_at))
    meal_id = verbal["mealId"]
    done = await staff.mutate("completeMealPaperwork", {
        "mealId": meal_id, "form": form(customer, meal_at)})
    assert done["status"] == "PAPERWORK_COMPLETED", done
    early = await other_boss.mutate("signMealCost", {"mealId": meal_id})
    assert early["__typename"] == "InvalidStateError" and \
        "record the actual cost first (recordMealCost)" in early["message"], early
    cost = {"mealId": meal_id, "total": "400.00", "drinks": "60.00", "guests": 4,
            "accompanying": 2}
    own = await boss.mutate("recordMealCost", cost)
    assert (own["__typename"], own["rule"]) == ("ForbiddenError", "M12"), own
    held = await staff.mutate("recordMealCost", cost)
    assert held["status"] == "PAPERWORK_COMPLETED", held
    signed = await other_boss.mutate("signMealCost", {"mealId": meal_id})
    assert signed["status"] == "SIGNED", signed


async def test_M14_a_meal_held_without_approval_across_guoqing(
    live_server: LiveServer, store: EventStore, clock: Clock
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    customer = await register_customer(store)
    held_at = at(2025, 9, 30, 19)
    report = {"customerId": customer, "mealAt": held_at.isoformat(), "restaurant": "Jade Garden",
              "guests": 4, "accompanying": 2, "mealType": "BANQUET", "host": "STAFF",
              "reason": "the customer arrived unannounced"}
    clock.set(at(2025, 10, 1, 9))
    first = await staff.mutate("reportUnapprovedMeal", report)
    second = await staff.mutate("reportUnapprovedMeal", report)
    assert first["status"] == second["status"] == "PENDING_PAPERWORK", first
    # 1-8 Oct 2025 off (国庆, 中秋); Thu 9, Fri 10, Sat 11 Oct (a make-up working day).
    row = await meal_row(boss, first["mealId"], first["position"],
                         "paperworkDue unapproved unapprovedReason")
    assert row == {"paperworkDue": "2025-10-11", "unapproved": True,
                   "unapprovedReason": "the customer arrived unannounced"}
    too_soon = await boss.mutate("approveMeal", {"mealId": first["mealId"],
                                                 "approveException": True})
    assert too_soon["rule"] == "M14" and "completeMealPaperwork" in too_soon["message"]

    clock.set(at(2025, 10, 11, 18))
    done = await staff.mutate("completeMealPaperwork", {
        "mealId": first["mealId"], "form": form(customer, held_at)})
    assert done["status"] == "PAPERWORK_COMPLETED", done
    waiting = await boss.query("query($at: Int) { openExceptions(atLeast: $at, first: 100)"
                               " { id } }", at=done["position"])
    assert first["mealId"] in [m["id"] for m in waiting["openExceptions"]]
    plain = await boss.mutate("approveMeal", {"mealId": first["mealId"]})
    assert plain["rule"] == "M14" and "approveException" in plain["message"], plain
    approved = await boss.mutate("approveMeal", {"mealId": first["mealId"], "note": "once",
                                                 "approveException": True})
    assert approved["status"] == "APPROVED", approved
    history = await meal_row(boss, first["mealId"], approved["position"],
                             "history { type policyVersion }")
    assert history["history"] == [
        {"type": "MealReportedUnapproved", "policyVersion": 1},
        {"type": "MealPaperworkCompleted", "policyVersion": 1},
        {"type": "MealApprovedAfterTheFact", "policyVersion": 1}]

    clock.set(at(2025, 10, 12, 9))  # the second never had its paperwork
    late = await staff.mutate("completeMealPaperwork", {
        "mealId": second["mealId"], "form": form(customer, held_at)})
    assert (late["__typename"], late["rule"]) == ("InvalidStateError", "M11"), late
    denied = await boss.mutate("denyReimbursement", {"mealId": second["mealId"],
                                                     "reason": "no paperwork by 11 October"})
    assert denied["status"] == "REIMBURSEMENT_DENIED", denied


async def _signed_meal(staff: User, boss: User, signer: User, customer: str, restaurant: str,
                       total: str, clock: Clock) -> str:
    clock.set(at(2025, 11, 10, 9))
    meal_at = at(2025, 11, 12, 19)
    requested = await staff.mutate("requestMeal", form(customer, meal_at, restaurant=restaurant,
                                                       estimatedTotal=total))
    await boss.mutate("approveMeal", {"mealId": requested["mealId"]})
    clock.set(at(2025, 11, 12, 23))
    await staff.mutate("recordMealCost", {"mealId": requested["mealId"], "total": total,
                                          "drinks": "0.00", "guests": 4, "accompanying": 2})
    signed = await signer.mutate("signMealCost", {"mealId": requested["mealId"]})
    assert signed["status"] == "SIGNED", signed
    meal_id: str = requested["mealId"]
    return meal_id


MONTH_QUERY = """query($m: String!, $r: String, $at: Int) { restaurantBills(month: $m,
  restaurant: $r, atLeast: $at) { billId billIds billTotal signedTotal settled
  discrepancies { lineNo mealId reason } } }"""


async def test_M13_month_end_recorder_settler_supplement_and_who_sees_what(
    live_server: LiveServer, store: EventStore, clock: Clock
) -> None:
    alice, bob, clerk = (User(live_server, Role.STAFF) for _ in range(3))
    boss, other_boss = User(live_server, Role.MANAGER), User(live_server, Role.MANAGER)
    customer, restaurant = await register_customer(store), random_id("Month House ")
    mine = await _signed_meal(alice, boss, other_boss, customer, restaurant, "500.00", clock)
    theirs = await _signed_meal(bob, boss, other_boss, customer, restaurant, "300.00", clock)
    lines = [{"lineNo": 1, "date": "2025-11-12", "amount": "500.00", "reference": "R1",
              "mealId": mine},
             {"lineNo": 2, "date": "2025-11-12", "amount": "350.00", "reference": "R2",
              "mealId": theirs}]
    bill = {"restaurant": restaurant, "month": "2025-11", "billId": "INV-11", "lines": lines}
    settle = {"restaurant": restaurant, "month": "2025-11"}
    await clerk.mutate("recordRestaurantBill", bill, fields=BILL_RESULT)
    clock.set(at(2025, 11, 30, 23, 59))
    early = await boss.mutate("settleRestaurantBill", settle, fields=BILL_RESULT)
    assert early["rule"] == "M13" and "settle it from 2025-12-01" in early["message"], early
    clock.set(at(2025, 12, 1, 9))
    corrected = await other_boss.mutate("recordRestaurantBill", bill, fields=BILL_RESULT)
    assert corrected["__typename"] == "BillMutationOk", corrected
    own = await other_boss.mutate("settleRestaurantBill", settle, fields=BILL_RESULT)
    assert (own["__typename"], own["rule"]) == ("ForbiddenError", "M13"), own
    settled = await boss.mutate("settleRestaurantBill", settle, fields=BILL_RESULT)
    assert settled["matched"] == [{"lineNo": 1, "mealId": mine, "amount": "500.00"}], settled
    # The wrong amount names its meal, and that meal is not also reported missing.
    assert [(d["lineNo"], d["mealId"], d["reason"]) for d in settled["discrepancies"]] == [
        (2, theirs, "amount_differs")]
    assert "its signed cost is 300.00 yuan" in settled["discrepancies"][0]["message"]

    seen = {}
    for who in (alice, bob, clerk, boss):
        rows = await who.query(MONTH_QUERY, m="2025-11", r=restaurant, at=settled["position"])
        seen[who.role.value + (who.id if who.role is Role.STAFF else "")] = rows[
            "restaurantBills"]
    assert seen[f"staff{alice.id}"] == [{"billId": "INV-11", "billIds": ["INV-11"],
                                         "billTotal": None, "signedTotal": "500.00",
                                         "settled": True, "discrepancies": []}]
    assert seen[f"staff{bob.id}"][0]["discrepancies"] == [
        {"lineNo": 2, "mealId": theirs, "reason": "amount_differs"}]
    assert seen[f"staff{clerk.id}"] == []  # no meal of theirs there
    assert seen["manager"][0]["billTotal"] == "850.00"

    again = await clerk.mutate("recordRestaurantBill", bill, fields=BILL_RESULT)
    assert again["rule"] == "M13" and "supplementary bill" in again["message"], again
    supplement = {**bill, "billId": "INV-11-S", "lines": [{
        "lineNo": 1, "date": "2025-11-12", "amount": "300.00", "reference": "R2b",
        "mealId": theirs}]}
    await clerk.mutate("recordRestaurantBill", supplement, fields=BILL_RESULT)
    second = await boss.mutate("settleRestaurantBill", settle, fields=BILL_RESULT)
    assert second["billId"] == "INV-11-S" and second["matched"] == [
        {"lineNo": 1, "mealId": theirs, "amount": "300.00"}], second
    rows = await boss.query(MONTH_QUERY, m="2025-11", r=restaurant, at=second["position"])
    assert rows["restaurantBills"][0]["billIds"] == ["INV-11", "INV-11-S"]
    meal = await meal_row(boss, theirs, second["position"],
                          "status billId history { type policyVersion }")
    assert meal["status"] == "SETTLED" and meal["billId"] == "INV-11-S"
    assert meal["history"][-1] == {"type": "MealSettled", "policyVersion": 1}


async def test_M5_tier_changes_are_the_managers_and_show_beside_open_meals(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    customer = await register_customer(store, Tier.GENERAL)
    change = "mutation($i: ChangeCustomerTierInput!) { changeCustomerTier(input: $i) {" \
             " __typename ... on MutationError { rule } ... on MutationOk { position } } }"
    raise_tier = {"customerId": customer, "tier": "IMPORTANT", "reason": "big order"}
    refused = await staff.query(change, i=raise_tier)
    assert refused["changeCustomerTier"] == {"__typename": "ForbiddenError", "rule": "M5"}

    before = await staff.mutate("requestMeal", form(customer, datetime.now(COMPANY_TZ).replace(
        microsecond=0) + _days(3), estimatedTotal="300.00"))
    assert before["__typename"] == "MealMutationOk", before
    changed = await boss.query(change, i=raise_tier)
    position = changed["changeCustomerTier"]["position"]
    after = await staff.mutate("requestMeal", form(customer, datetime.now(COMPANY_TZ) + _days(4),
                                                   estimatedTotal="300.00"))
    open_list = await boss.query("query($at: Int) { openExceptions(atLeast: $at, first: 100)"
                                 " { id customerTier tierChange } }",
                                 at=max(position, after["position"]))
    by_id = {m["id"]: m for m in open_list["openExceptions"]}
    # The earlier meal keeps the tier it was requested under; both show the change.
    assert by_id[before["mealId"]]["customerTier"] == "GENERAL"
    assert "after this request" in by_id[before["mealId"]]["tierChange"]
    assert by_id[after["mealId"]]["customerTier"] == "IMPORTANT"
    assert "before this request" in by_id[after["mealId"]]["tierChange"]


async def test_M7_M9_findings_give_yuan_figures_and_count_the_manager(
    live_server: LiveServer, store: EventStore
) -> None:
    staff = User(live_server, Role.STAFF)
    important = await register_customer(store)
    soon = datetime.now(COMPANY_TZ) + _days(2)
    blocked = await staff.mutate("requestMeal", form(important, soon, estimatedTotal="360.00",
                                                     estimatedDrinks="130.00"))
    assert blocked["__typename"] == "PolicyBlockedError", blocked
    [m7] = [f for f in blocked["findings"] if f["rule"] == "M7"]
    assert m7["message"] == ("alcohol, drinks and fruit cost 130.00 yuan of a 360.00 yuan bill, "
                             "more than 1/3 of it (at most 120.00 yuan)")
    assert "exceptionReason" in blocked["message"]
    general = await register_customer(store, Tier.GENERAL)
    joined = await staff.mutate("requestMeal", form(general, soon, estimatedTotal="300.00",
                                                    guests=3, accompanying=3,
                                                    managerAttends=True))
    assert joined["__typename"] == "MealMutationOk", joined
    assert [(f["rule"], f["severity"], f["actual"]) for f in joined["findings"]] == [
        ("M9", "INFO", "4"), ("M8", "WARN", "4")]


def _days(n: int) -> timedelta:
    return timedelta(days=n)


async def test_M11_M15_a_version_brings_next_years_calendar_and_deadlines_reach_into_it(
    fresh_dsn: str, tmp_path: Path
) -> None:
    clock_path = tmp_path / "now"
    clock = Clock(clock_path)
    clock.set(at(2026, 11, 30, 9))
    pool = await create_pool(fresh_dsn)
    try:
        store = EventStore(pool)
        with run_server(fresh_dsn, tmp_path, KEHU_CLOCK_FILE=str(clock_path)) as server:
            staff, boss = User(server, Role.STAFF), User(server, Role.MANAGER)
            gm = User(server, Role.GENERAL_MANAGER)
            await register_person(store, staff.id)
            customer = await register_customer(store)
            year_2027 = {"year": 2027, "makeUpWorkdays": [], "holidays": [
                {"day": f"2027-01-0{d}", "name": "New Year's Day"} for d in (1, 2, 3)]}
            bad = await boss.mutate("draftPolicy", {
                "version": 2, "figures": figures_input("100.00"), "compiledBy": "客户服务部",
                "calendarYears": [{**year_2027, "makeUpWorkdays": [
                    {"day": "2027-01-06", "name": "not a weekend"}]}]}, fields=POLICY_RESULT)
            assert bad["__typename"] == "ValidationError" and bad["rule"] == "M11", bad
            drafted = await boss.mutate("draftPolicy", {
                "version": 2, "figures": figures_input("100.00"), "compiledBy": "客户服务部",
                "calendarYears": [year_2027]}, fields=POLICY_RESULT)
            assert drafted["__typename"] == "PolicyMutationOk", drafted
            approved = await gm.mutate("approvePolicy", {"version": 2,
                                                         "effectiveFrom": "2026-12-01"},
                                       fields=POLICY_RESULT)
            assert approved["__typename"] == "PolicyMutationOk", approved
            shown = await boss.query(
                "query($at: Int) { policy(asOf: \"2026-12-30\", atLeast: $at) { version figures"
                " { workingDayCalendar { firstYear lastYear source } } } }",
                at=approved["position"])
            calendar = shown["policy"]["figures"]["workingDayCalendar"]
            assert shown["policy"]["version"] == 2
            assert (calendar["firstYear"], calendar["lastYear"]) == (2004, 2027)
            assert calendar["source"].endswith("2027 by 客户服务部")
            # Wed 30 Dec 2026: Thu 31, (1-3 Jan 2027 off), Mon 4, Tue 5 January.
            clock.set(at(2026, 12, 30, 20))
            verbal = await boss.mutate("approveMealVerbally",
                                       verbal_input(staff.id, customer, at(2026, 12, 30, 19)))
            assert verbal["policyVersion"] == 2, verbal
            row = await meal_row(boss, verbal["mealId"], verbal["position"], "paperworkDue")
            assert row == {"paperworkDue": "2027-01-05"}
    finally:
        await pool.close()
