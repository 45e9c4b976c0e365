"""Webhooks on real servers: signed, in order, at least once through a failing receiver,
recorded, and audited (who registered what)."""

from __future__ import annotations

import json

from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.audit import flows
from tests.audit.receiver import run_receiver
from tests.audit.webhook_support import REGISTER, SETTLEMENTS, register, verify, wait_for
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id

WEBHOOKS = """{ webhooks { id lastPosition delivered attempts consecutiveFailures lastError
  active } }"""
DEACTIVATE = """mutation($id: ID!) { deactivateWebhook(input: {id: $id}) { __typename
  ... on DeactivateWebhookOk { webhook { active } } ... on ForbiddenError { rule } } }"""
async def test_M13_failing_receiver_gets_every_settlement_in_order_once_it_recovers(
    live_server: LiveServer, replica: LiveServer, store: EventStore
) -> None:
    integration = token(random_id("int-"), Role.INTEGRATION)
    with run_receiver(fail_first=3) as receiver:
        ok = await register(live_server, integration, receiver.url, SETTLEMENTS)
        assert ok["__typename"] == "RegisterWebhookOk" and ok["secret"]
        settled = [(await flows.settled_meal(store)).last_position for _ in range(3)]
        await wait_for(receiver, 3)
        # A sentinel settlement: deliveries are in order, so once it is in, anything that was
        # going to arrive for the first three has arrived.
        sentinel = (await flows.settled_meal(store)).last_position
        await wait_for(receiver, 4)
        accepted = receiver.accepted()[:-1]
        assert json.loads(receiver.accepted()[-1].body)["position"] == sentinel
        failed = [r for r in receiver.requests if not r.accepted]
    positions = [json.loads(r.body)["position"] for r in accepted]
    assert positions == settled  # every settlement, in order, none of the other meal events
    assert len(failed) == 3 and all(json.loads(r.body)["position"] == settled[0] for r in failed)
    for r in receiver.requests:
        assert verify(ok["secret"], r.headers, r.body)
        assert r.headers["X-Kehu-Event-Position"] == str(json.loads(r.body)["position"])
    assert json.loads(accepted[0].body)["type"] == "MealSettled"
    # Recorded: the cursor, the attempts, and that the last error is cleared after recovery.
    body = await gql(replica, WEBHOOKS, auth=integration)
    (hook,) = body["data"]["webhooks"]
    assert hook == {"id": ok["webhook"]["id"], "lastPosition": sentinel, "delivered": 4,
                    "attempts": 7, "consecutiveFailures": 0, "lastError": None, "active": True}
    deactivated = await gql(live_server, DEACTIVATE, {"id": hook["id"]}, auth=integration)
    assert deactivated["data"]["deactivateWebhook"]["webhook"]["active"] is False


async def test_registration_is_audited_without_its_secret(live_server: LiveServer) -> None:
    integration_user = random_id("int-")
    auth = token(integration_user, Role.INTEGRATION)
    ok = await register(live_server, auth, "https://erp.example.com/kehu", ["MealSettled"])
    body = await gql(live_server, "query($s: ID!) { history(streamId: $s) { type actorId "
                     "actorRole payload } }", {"s": f"webhook-{ok['webhook']['id']}"},
                     auth=token("aud", Role.AUDITOR))
    (event,) = body["data"]["history"]
    assert event["type"] == "WebhookRegistered"
    assert (event["actorId"], event["actorRole"]) == (integration_user, "INTEGRATION")
    assert event["payload"]["url"] == "https://erp.example.com/kehu"
    assert ok["secret"] not in json.dumps(event)
    await gql(live_server, DEACTIVATE, {"id": ok["webhook"]["id"]}, auth=auth)


async def test_registering_again_with_the_same_key_returns_the_first_webhook(
    live_server: LiveServer,
) -> None:
    auth = token(random_id("int-"), Role.INTEGRATION)
    key = random_id("key-")
    first = await register(live_server, auth, "https://erp.example.com/a", ["MealSettled"], key)
    again = await register(live_server, auth, "https://erp.example.com/a", ["MealSettled"], key)
    assert again["replayed"] is True and again["secret"] is None
    assert again["webhook"]["id"] == first["webhook"]["id"]
    assert again["position"] == first["position"]
    listed = await gql(live_server, WEBHOOKS, auth=auth)
    assert len(listed["data"]["webhooks"]) == 1  # an integration sees only its own
    await gql(live_server, DEACTIVATE, {"id": first["webhook"]["id"]}, auth=auth)


async def test_roles_staff_may_not_register_and_others_may_not_deactivate(
    live_server: LiveServer,
) -> None:
    staff = await register(live_server, token("s-1", Role.STAFF), "https://x.example/h",
                           ["MealSettled"])
    assert staff == {"__typename": "ForbiddenError", "rule": "roles",
                     "message": staff["message"]}
    owner = token(random_id("int-"), Role.INTEGRATION)
    ok = await register(live_server, owner, "https://x.example/h", ["MealSettled"])
    other = await gql(live_server, DEACTIVATE, {"id": ok["webhook"]["id"]},
                      auth=token(random_id("int-"), Role.INTEGRATION))
    assert other["data"]["deactivateWebhook"] == {"__typename": "ForbiddenError",
                                                  "rule": "roles"}
    by_manager = await gql(live_server, DEACTIVATE, {"id": ok["webhook"]["id"]},
                           auth=token(random_id("mgr-"), Role.MANAGER))
    assert by_manager["data"]["deactivateWebhook"]["webhook"]["active"] is False


async def test_bad_url_and_unknown_event_types_are_named(live_server: LiveServer) -> None:
    auth = token(random_id("int-"), Role.INTEGRATION)
    result = await register(live_server, auth, "ftp://files", ["MealSettled", "MealSetled"])
    assert result["__typename"] == "ValidationError"
    assert [p["field"] for p in result["problems"]] == ["url", "eventTypes[1]"]


async def test_nul_characters_are_refused_as_input_not_server_errors(
    live_server: LiveServer,
) -> None:
    auth = token(random_id("int-"), Role.INTEGRATION)
    registered = await gql(live_server, REGISTER, {"input": {
        "url": "https://x.example/\u0000", "eventTypes": ["Meal\u0000"]}}, auth=auth)
    history = await gql(live_server, 'query { history(streamId: "a\\u0000b") { type } }',
                        auth=token("aud", Role.AUDITOR))
    for body in (registered, history):
        # Refused as the caller's mistake: a typed result, or a BAD_USER_INPUT error.
        if "errors" in body:
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
        else:
            assert body["data"]["registerWebhook"]["__typename"] == "ValidationError"
