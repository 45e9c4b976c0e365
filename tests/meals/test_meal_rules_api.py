"""Each meal rule through the GraphQL API on the real server: the typed refusal names the rule,
the figures compared are in the findings, and a refusal writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.customers.values import Tier
from events.meals.commands import ApproveMeal, RequestMeal
from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.live import LiveServer
from tests.meals.flows import meal_form, run
from tests.meals.helpers import User, form, register_customer, soon
from tests.random_refs import random_id

EVALUATE = """query($input: EvaluateMealInput!) { evaluateMeal(input: $input) {
  policyVersion customerTier blocked findings { rule severity actual limit } } }"""


async def _stream_length(store: EventStore, meal_id: str) -> int:
    return len(await store.read_stream(f"meal-{meal_id}"))


async def test_M2_M12_requested_approved_held_signed_through_the_api(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    customer = await register_customer(store)
    requested = await staff.mutate("requestMeal", form(customer, soon()))
    assert requested["status"] == "REQUESTED" and requested["findings"] == [], requested
    approved = await boss.mutate("approveMeal", {"mealId": requested["mealId"], "note": "ok"})
    assert approved["status"] == "APPROVED", approved
    # The meal itself is in the past: the same request, built with an injected clock two days
    # ago (handlers, as the API calls them), so the cost is recorded without waiting.
    requested = {"mealId": random_id("meal-")}
    meal_at = datetime.now(UTC) - timedelta(hours=3)
    before = meal_at - timedelta(days=2)
    await run(store, staff.actor, RequestMeal(requested["mealId"], meal_form(
        customer, meal_at, "Jade Garden", estimated_total_fen=54_000)), before)
    await run(store, boss.actor, ApproveMeal(requested["mealId"]), before)
    # M12: the actual bill breaks the important customers' cap (6 x 100): signing needs a note.
    held = await staff.mutate("recordMealCost", {"mealId": requested["mealId"],
                                                 "total": "660.00", "drinks": "100.00",
                                                 "guests": 4, "accompanying": 2})
    assert held["status"] == "HELD"
    assert [(f["rule"], f["actual"], f["limit"]) for f in held["costFindings"]] == [
        ("M5", "110.00", "100.00")]
    bare = await boss.mutate("signMealCost", {"mealId": requested["mealId"]})
    assert bare["__typename"] == "ValidationError" and bare["rule"] == "M12"
    signed = await boss.mutate("signMealCost", {"mealId": requested["mealId"],
                                                "annotation": "guest of honour joined late"})
    assert signed["status"] == "SIGNED"
    meal = await boss.meal(requested["mealId"], signed["position"])
    assert meal is not None and meal["signedBy"] == boss.id and meal["approvedBy"] == boss.id
    assert meal["total"] == "660.00" and meal["annotation"] == "guest of honour joined late"


async def test_M2_separation_of_duties_refused_with_a_forbidden_error_naming_the_rule(
    live_server: LiveServer, store: EventStore
) -> None:
    boss, other_boss = User(live_server, Role.MANAGER), User(live_server, Role.MANAGER)
    staff = User(live_server, Role.STAFF)
    customer = await register_customer(store)
    own = await boss.mutate("requestMeal", form(customer, soon()))
    refused = await boss.mutate("approveMeal", {"mealId": own["mealId"]})
    assert refused["__typename"] == "ForbiddenError" and refused["rule"] == "M2"
    by_staff = await staff.mutate("approveMeal", {"mealId": own["mealId"]})
    assert by_staff["__typename"] == "ForbiddenError" and by_staff["rule"] == "M2"
    assert await _stream_length(store, own["mealId"]) == 1
    assert (await other_boss.mutate("approveMeal", {"mealId": own["mealId"]}))[
        "status"] == "APPROVED"


async def test_M2_a_rejection_needs_a_reason_and_ends_the_request(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    customer = await register_customer(store)
    requested = await staff.mutate("requestMeal", form(customer, soon()))
    blank = await boss.mutate("rejectMeal", {"mealId": requested["mealId"], "reason": " "})
    assert blank["__typename"] == "ValidationError" and blank["rule"] == "M2"
    rejected = await boss.mutate("rejectMeal", {"mealId": requested["mealId"],
                                                "reason": "too costly this quarter"})
    assert rejected["status"] == "REJECTED"
    late = await boss.mutate("approveMeal", {"mealId": requested["mealId"]})
    assert late["__typename"] == "InvalidStateError" and late["rule"] == "M2"


async def test_M2_a_meal_in_the_past_is_refused_and_writes_nothing(
    live_server: LiveServer, store: EventStore
) -> None:
    staff = User(live_server, Role.STAFF)
    customer = await register_customer(store)
    head = await store.head_position()
    result = await staff.mutate("requestMeal", form(customer, soon(-60)), key="past-meal")
    assert result["__typename"] == "ValidationError" and result["rule"] == "M2"
    assert await _writes_by(store, head, staff.id) == 0


async def _writes_by(store: EventStore, after: int, actor: str) -> int:
    return len(await store.read_all(after, actor_id=actor))


async def test_M3_invalid_input_names_every_field_and_writes_no_event(
    live_server: LiveServer, store: EventStore
) -> None:
    staff = User(live_server, Role.STAFF)
    customer = await register_customer(store)
    head = await store.head_position()
    bad = form(customer, soon(), organisation=" ", restaurant="", guests=0,
               estimatedTotal="12.345")
    result = await staff.mutate("requestMeal", bad)
    assert result["__typename"] == "ValidationError" and result["problems"][0]["field"] == (
        "estimatedTotal")  # money is parsed first: a malformed amount is named alone
    result = await staff.mutate("requestMeal", {**bad, "estimatedTotal": "100.00"})
    assert result["__typename"] == "ValidationError"
    assert {(p["field"], p["rule"]) for p in result["problems"]} == {
        ("organisation", "M3"), ("restaurant", "M3"), ("guests", "M3")}
    unknown = await staff.mutate("requestMeal", form("no-such-customer", soon()))
    assert unknown["__typename"] == "NotFoundError" and unknown["rule"] == "M3"
    assert await _writes_by(store, head, staff.id) == 0


async def test_M4_a_manager_hosted_meal_names_the_arranging_specialist(
    live_server: LiveServer, store: EventStore
) -> None:
    staff = User(live_server, Role.STAFF)
    customer = await register_customer(store)
    result = await staff.mutate("requestMeal", form(customer, soon(), host="MANAGER"))
    assert result["__typename"] == "ValidationError"
    assert [(p["field"], p["rule"]) for p in result["problems"]] == [
        ("arrangingSpecialist", "M4")]
    ok = await staff.mutate("requestMeal", form(customer, soon(), host="MANAGER",
                                                arrangingSpecialist="Zhao Min"))
    assert ok["status"] == "REQUESTED"


async def test_M5_over_the_cap_is_blocked_with_the_figures_and_the_cap_itself_passes(
    live_server: LiveServer, store: EventStore
) -> None:
    staff = User(live_server, Role.STAFF)
    customer = await register_customer(store, Tier.IMPORTANT)
    head = await store.head_position()
    # Important customer, banquet hosted by staff: cap 100 per person; 6 persons.
    over = await staff.mutate("requestMeal", form(customer, soon(), estimatedTotal="600.01"))
    assert over["__typename"] == "PolicyBlockedError" and over["rule"] == "M5"
    assert [(f["rule"], f["severity"], f["actual"], f["limit"]) for f in over["findings"]] == [
        ("M5", "BLOCK", "100.01", "100.00")]
    assert await _writes_by(store, head, staff.id) == 0
    at_cap = await staff.mutate("requestMeal", form(customer, soon(), estimatedTotal="600.00"))
    assert at_cap["status"] == "REQUESTED" and at_cap["policyVersion"] == 1


async def test_M6_an_exception_is_recorded_and_must_be_approved_explicitly(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    customer = await register_customer(store, Tier.IMPORTANT)
    requested = await staff.mutate("requestMeal", form(
        customer, soon(), estimatedTotal="900.00", designatedRestaurant=True,
        exceptionReason="the minister's delegation"))
    assert requested["status"] == "REQUESTED"
    assert {f["rule"] for f in requested["findings"]} == {"M5", "M6"}
    exceptions = await boss.query("query($at: Int) { openExceptions(atLeast: $at) { id } }",
                                  at=requested["position"])
    assert requested["mealId"] in [m["id"] for m in exceptions["openExceptions"]]
    silent = await boss.mutate("approveMeal", {"mealId": requested["mealId"]})
    assert silent["__typename"] == "InvalidStateError" and silent["rule"] == "M6"
    explicit = await boss.mutate("approveMeal", {"mealId": requested["mealId"],
                                                 "approveException": True})
    assert explicit["status"] == "APPROVED"
    meal = await boss.meal(requested["mealId"], explicit["position"])
    assert meal is not None and meal["policyException"] and meal["exceptionApproved"]


async def test_M7_drinks_over_a_third_block_important_customers_and_warn_general_ones(
    live_server: LiveServer, store: EventStore
) -> None:
    staff = User(live_server, Role.STAFF)
    important = await register_customer(store, Tier.IMPORTANT)
    general = await register_customer(store, Tier.GENERAL)
    third = await staff.mutate("requestMeal", form(important, soon(), estimatedTotal="300.00",
                                                   estimatedDrinks="100.00"))
    assert third["status"] == "REQUESTED" and third["findings"] == []
    over = await staff.mutate("requestMeal", form(important, soon(), estimatedTotal="300.00",
                                                  estimatedDrinks="100.01"))
    assert over["__typename"] == "PolicyBlockedError"
    assert [(f["rule"], f["limit"]) for f in over["findings"]] == [("M7", "1/3")]
    warned = await staff.mutate("requestMeal", form(general, soon(), estimatedTotal="300.00",
                                                    estimatedDrinks="150.00"))
    assert warned["status"] == "REQUESTED"
    assert [(f["rule"], f["severity"]) for f in warned["findings"]] == [("M7", "WARN")]


async def test_M8_five_guests_take_three_accompanying_not_four(
    live_server: LiveServer, store: EventStore
) -> None:
    staff = User(live_server, Role.STAFF)
    customer = await register_customer(store, Tier.IMPORTANT)

    async def evaluate(accompanying: int) -> dict[str, object]:
        data = await staff.query(EVALUATE, input={
            "customerId": customer, "mealAt": soon().isoformat(), "mealType": "BANQUET",
            "host": "STAFF", "guests": 5, "accompanying": accompanying})
        result: dict[str, object] = data["evaluateMeal"]
        return result

    assert (await evaluate(3))["blocked"] is False
    four = await evaluate(4)
    assert four["blocked"] is True and four["policyVersion"] == 1
    assert four["findings"] == [{"rule": "M8", "severity": "BLOCK", "actual": "4", "limit": "3"}]
    refused = await staff.mutate("requestMeal", form(customer, soon(), guests=5,
                                                     accompanying=4))
    assert refused["__typename"] == "PolicyBlockedError" and refused["rule"] == "M8"


async def test_M9_a_meal_the_manager_joins_is_booked_to_customer_service(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, auditor = User(live_server, Role.STAFF), User(live_server, Role.AUDITOR)
    customer = await register_customer(store)
    requested = await staff.mutate("requestMeal", form(customer, soon(), managerAttends=True))
    stream = await auditor.query("query($id: ID!) { stream(id: $id) { payload } }",
                                 id=f"meal-{requested['mealId']}")
    payload = stream["stream"][0]["payload"]
    assert payload["cost_center"] == "customer_service"
    assert payload["form"]["manager_attends"] is True


async def test_M10_only_admin_office_issues_canteen_vouchers(
    live_server: LiveServer, store: EventStore
) -> None:
    staff, boss = User(live_server, Role.STAFF), User(live_server, Role.MANAGER)
    admin = User(live_server, Role.ADMIN_OFFICE)
    customer = await register_customer(store, Tier.GENERAL)
    requested = await staff.mutate("requestMeal", form(customer, soon(), mealType="CANTEEN",
                                                       estimatedTotal="60.00"))
    assert [f["rule"] for f in requested["findings"]] == ["M10"]
    await boss.mutate("approveMeal", {"mealId": requested["mealId"]})
    by_boss = await boss.mutate("issueMealVouchers", {"mealId": requested["mealId"],
                                                      "count": 6})
    assert by_boss["__typename"] == "ForbiddenError" and by_boss["rule"] == "M10"
    issued = await admin.mutate("issueMealVouchers", {"mealId": requested["mealId"],
                                                      "count": 6})
    assert issued["__typename"] == "MealMutationOk", issued
    too_many = await admin.mutate("issueMealVouchers", {"mealId": requested["mealId"],
                                                        "count": 1})
    assert too_many["__typename"] == "InvalidStateError" and too_many["rule"] == "M10"


async def test_M2_staff_see_only_their_own_meal_requests_managers_and_auditors_see_all(
    live_server: LiveServer, store: EventStore
) -> None:
    mine, theirs = User(live_server, Role.STAFF), User(live_server, Role.STAFF)
    customer = await register_customer(store)
    requested = await mine.mutate("requestMeal", form(customer, soon()))
    meal_id, at = requested["mealId"], requested["position"]
    assert (await mine.meal(meal_id, at)) is not None
    assert (await theirs.meal(meal_id, at)) is None
    for role in (Role.MANAGER, Role.AUDITOR):
        assert (await User(live_server, role).meal(meal_id, at)) is not None
    page = await theirs.query(
        "query($c: String, $at: Int) { mealRequests(filter: {customerId: $c}, atLeast: $at)"
        " { totalCount } }", c=customer, at=at)
    assert page["mealRequests"]["totalCount"] == 0


async def test_M3_meal_requests_page_by_cursor_and_retries_replay(
    live_server: LiveServer, store: EventStore
) -> None:
    staff = User(live_server, Role.STAFF)
    customer = await register_customer(store)
    meal_at = soon()
    first = await staff.mutate("requestMeal", form(customer, meal_at), key="retry-1")
    same = await staff.mutate("requestMeal", form(customer, meal_at), key="retry-1")
    assert same["replayed"] and same["mealId"] == first["mealId"]
    assert same["position"] == first["position"]
    other = await staff.mutate("requestMeal", form(customer, soon(7200)), key="retry-1")
    assert other["__typename"] == "IdempotencyKeyReusedError"
    for _ in range(2):
        await staff.mutate("requestMeal", form(customer, soon()))
    query = ("query($c: String, $after: String, $at: Int) { mealRequests(filter:"
             " {customerId: $c}, first: 2, after: $after, atLeast: $at) { totalCount"
             " pageInfo { hasNextPage endCursor } nodes { id } } }")
    head = await store.head_position()
    page1 = (await staff.query(query, c=customer, at=head))["mealRequests"]
    assert page1["totalCount"] == 3 and page1["pageInfo"]["hasNextPage"]
    page2 = (await staff.query(query, c=customer, at=head,
                               after=page1["pageInfo"]["endCursor"]))["mealRequests"]
    assert not page2["pageInfo"]["hasNextPage"]
    ids = [n["id"] for n in page1["nodes"] + page2["nodes"]]
    assert len(set(ids)) == 3 and first["mealId"] in ids
