"""As-of replay and history on a real server: what the approver saw, before later changes."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from events.customers import model as customers
from events.integration.public import public_data
from events.meals import model as meals
from events.shared.actors import Role
from events.store.event_store import EventStore
from events.visits import model as visits
from tests.audit import flows
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id

AUDITOR = token("auditor-1", Role.AUDITOR)
MEAL_AS_OF = """query($id: ID!, $at: DateTime!) { mealRequestAsOf(id: $id, at: $at) {
  status version eventCount policyVersion findings state lastEventType } }"""


async def test_M2_meal_as_of_between_request_and_approval_shows_requested(
    live_server: LiveServer, store: EventStore
) -> None:
    meal_id = random_id("meal-")
    requester, boss = flows.staff(), flows.manager()
    await flows.request_and_approve(store, meal_id, requester, boss)
    requested, approved = await store.read_stream(meals.stream_id(meal_id))
    assert requested.recorded_at < approved.recorded_at

    async def as_of(at: object) -> dict[str, object] | None:
        body = await gql(live_server, MEAL_AS_OF, {"id": meal_id, "at": str(at)}, auth=AUDITOR)
        assert "errors" not in body, body
        result: dict[str, object] | None = body["data"]["mealRequestAsOf"]
        return result

    before = await as_of((requested.recorded_at - timedelta(seconds=1)).isoformat())
    then = await as_of(requested.recorded_at.isoformat())
    now = await as_of(approved.recorded_at.isoformat())
    assert before is None
    assert then is not None and now is not None
    assert then["status"] == "REQUESTED" and then["version"] == 1 and then["eventCount"] == 1
    assert then["lastEventType"] == "MealRequested"
    assert now["status"] == "APPROVED" and now["eventCount"] == 2
    state = then["state"]
    # The API's shape: camelCase, enum values (docs/integrations.md).
    assert isinstance(state, dict) and state["requestedBy"] == requester.user_id
    assert state["approvedBy"] is None
    assert isinstance(now["state"], dict) and now["state"]["approvedBy"] == boss.user_id


async def test_M15_meal_as_of_shows_policy_version_and_findings(
    live_server: LiveServer, store: EventStore
) -> None:
    meal_id = random_id("meal-")
    await flows.request_and_approve(store, meal_id, flows.staff(), flows.manager())
    (requested, _approved) = await store.read_stream(meals.stream_id(meal_id))
    body = await gql(live_server, MEAL_AS_OF,
                     {"id": meal_id, "at": requested.recorded_at.isoformat()}, auth=AUDITOR)
    result = body["data"]["mealRequestAsOf"]
    assert result["policyVersion"] == flows.POLICY_VERSION
    expected = public_data(requested, ZoneInfo("Asia/Shanghai"))["findings"]
    assert result["findings"] == {"atRequest": expected, "atCost": []}


async def test_customer_as_of_shows_the_tier_before_it_changed(
    live_server: LiveServer, store: EventStore
) -> None:
    customer_id = random_id("cust-")
    await flows.register_then_promote(store, customer_id, flows.staff())
    registered, changed = await store.read_stream(customers.stream_id(customer_id))
    query = """query($id: ID!, $at: DateTime!) { customerAsOf(id: $id, at: $at) {
      status version state } }"""
    then = await gql(live_server, query, {"id": customer_id,
                                          "at": registered.recorded_at.isoformat()},
                     auth=AUDITOR)
    now = await gql(live_server, query, {"id": customer_id,
                                         "at": changed.recorded_at.isoformat()}, auth=AUDITOR)
    assert then["data"]["customerAsOf"]["state"]["tier"] == "GENERAL"
    assert then["data"]["customerAsOf"]["version"] == 1
    assert now["data"]["customerAsOf"]["state"]["tier"] == "IMPORTANT"
    assert now["data"]["customerAsOf"]["status"] == "ACTIVE"


async def test_V2_visit_as_of_before_its_plan_is_null(
    live_server: LiveServer, store: EventStore
) -> None:
    visit_id = random_id("visit-")
    await flows.plan_visit(store, visit_id, flows.staff())
    (planned,) = await store.read_stream(visits.stream_id(visit_id))
    query = "query($id: ID!, $at: DateTime!) { visitAsOf(id: $id, at: $at) { status } }"
    before = await gql(live_server, query, {
        "id": visit_id, "at": (planned.recorded_at - timedelta(milliseconds=1)).isoformat()},
        auth=AUDITOR)
    after = await gql(live_server, query, {"id": visit_id, "at": planned.recorded_at.isoformat()},
                      auth=AUDITOR)
    assert before["data"]["visitAsOf"] is None
    assert after["data"]["visitAsOf"]["status"] == "PLANNED"


async def test_as_of_needs_a_time_zone_and_a_reader_role(live_server: LiveServer) -> None:
    query = "query { customerAsOf(id: \"x\", at: \"2024-06-03T10:00:00\") { status } }"
    naive = await gql(live_server, query, auth=AUDITOR)
    assert naive["errors"][0]["extensions"]["field"] == "at"
    staff = await gql(live_server, query.replace("T10:00:00", "T10:00:00+08:00"),
                      auth=token("s-1", Role.STAFF))
    assert staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_M2_history_lists_who_when_why_and_the_rule_book_version(
    live_server: LiveServer, store: EventStore
) -> None:
    meal_id = random_id("meal-")
    requester, boss = flows.staff(), flows.manager()
    await flows.request_and_approve(store, meal_id, requester, boss)
    body = await gql(live_server, """query($s: ID!) { history(streamId: $s) {
      version type actorId actorRole correlationId causationId policyVersion recordedAt
      payload } }""", {"s": meals.stream_id(meal_id)}, auth=AUDITOR)
    history = body["data"]["history"]
    assert [h["type"] for h in history] == ["MealRequested", "MealApproved"]
    assert [(h["actorId"], h["actorRole"]) for h in history] == [
        (requester.user_id, "STAFF"), (boss.user_id, "MANAGER")]
    assert all(h["policyVersion"] == flows.POLICY_VERSION for h in history)
    assert history[0]["correlationId"].startswith("corr-")
    assert history[0]["correlationId"] != history[1]["correlationId"]
    assert history[1]["payload"]["approved_by"] == boss.user_id
