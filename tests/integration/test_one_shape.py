"""One settlement, seen the five ways an integration can see it (the `settlements`
subscription, a webhook, the `events` query, `history` and NATS JetStream), has one shape and
one id; `history` and `mealRequestAsOf` take the same ids."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import nats
import pytest

from events.integration.nats_relay import RelayConfig, run_relay
from events.shared.actors import Role
from events.store.event_store import EventStore
from events.store.notifications import Notifier
from events.webhooks import signing
from tests.audit import flows
from tests.live import LiveServer, Subscriber, connect_ws, gql, token
from tests.random_refs import random_id
from tests.relay.nats_server import run_nats
from tests.webhooks.receivers import run_receiver

FIELDS = "id position type streamId recordedAt data: dataJson"
SUBSCRIBE = f"subscription($after: Int) {{ settlements(after: $after) {{ {FIELDS} }} }}"
EVENTS = f"query($after: Int) {{ events(after: $after, types: [\"MealSettled\"]) {{ {FIELDS} }} }}"
HISTORY = f"query($s: ID!) {{ history(streamId: $s) {{ {FIELDS} }} }}"
AS_OF = ("query($id: ID!, $at: DateTime!) { mealRequestAsOf(id: $id, at: $at)"
         " { id streamId status state } }")
REGISTER = """mutation($url: String!) { registerWebhook(input: {url: $url,
  eventTypes: ["MealSettled"]}) { ... on RegisterWebhookOk { secret } } }"""


def shape(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event[k] for k in ("id", "position", "type", "streamId", "recordedAt", "data")}


async def until(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)
    return found


async def test_a_settlement_has_one_shape_everywhere(
        live_server: LiveServer, store: EventStore, dsn: str, pool: Any,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    auditor = token("aud", Role.AUDITOR)
    integration = token(random_id("int-"), Role.INTEGRATION)
    with run_receiver(200) as receiver, run_nats(tmp_path_factory.mktemp("nats")) as url:
        secret = (await gql(live_server, REGISTER, {"url": receiver.url}, auth=integration)
                  )["data"]["registerWebhook"]["secret"]
        notifier = Notifier(dsn, poll_interval=0.2)
        await notifier.start()
        relay = asyncio.create_task(run_relay(dsn, pool, notifier, RelayConfig(nats_url=url)))
        nc = await nats.connect(url)
        try:
            async with connect_ws(live_server) as ws:
                client = Subscriber(ws)
                await client.init(integration)
                head = await store.head_position()
                await client.subscribe("1", SUBSCRIBE, {"after": head})
                settled = await flows.settled_meal(store)
                message = await client.next(30)
            via_subscription = message["payload"]["data"]["settlements"]
            await until(lambda: _true(bool(receiver.accepted())))
            hook = receiver.accepted()[0]
            signing.verify(secret, hook.headers, hook.body, int(time.time()))
            via_webhook = json.loads(hook.body)
            js = nc.jetstream()

            async def on_nats() -> dict[str, Any] | None:
                try:
                    msg = await js.get_msg("KEHU", subject="kehu.meal.MealSettled")
                except nats.js.errors.NotFoundError:
                    return None
                body: dict[str, Any] = json.loads(msg.data or b"{}")
                return body if body["position"] == settled.last_position else None
            via_nats = await until(on_nats)
        finally:
            relay.cancel()
            await asyncio.gather(relay, return_exceptions=True)
            await nc.close()
            await notifier.stop()
    via_events = (await gql(live_server, EVENTS, {"after": settled.last_position - 1},
                            auth=auditor))["data"]["events"][0]
    stream_id = via_events["streamId"]
    meal_id = stream_id.removeprefix("meal-")
    for given in (stream_id, meal_id):  # one convention: the stream id or the entity id
        history = (await gql(live_server, HISTORY, {"s": given}, auth=auditor))["data"]
        assert history["history"][-1]["id"] == via_events["id"], given
    via_history = history["history"][-1]
    expected = shape(via_events)
    for seen in (via_subscription, via_webhook, via_nats, via_history):
        assert shape(seen) == expected
    assert expected["id"] == f"{stream_id}:{via_webhook['version']}"
    assert hook.headers["webhook-id"] == expected["id"]
    assert expected["recordedAt"].endswith("+08:00")
    assert set(expected["data"]) == {"mealId", "billId", "month", "settledBy", "settledAt",
                                     "policyVersion"}
    now = datetime.now(UTC).isoformat()
    for given in (stream_id, meal_id):
        as_of = (await gql(live_server, AS_OF, {"id": given, "at": now}, auth=auditor)
                 )["data"]["mealRequestAsOf"]
        assert as_of["streamId"] == stream_id and as_of["status"] == "SETTLED", given
        assert "mealId" in as_of["state"] and "meal_id" not in as_of["state"]


async def _true(value: bool) -> bool:
    return value
