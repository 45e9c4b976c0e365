"""Subscriptions on real servers: resume with nothing lost or repeated, across two processes,
over both WebSocket protocols; settlements only; connections that never initialise are closed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from events.shared.actors import Actor, Role
from events.store.envelope import Metadata
from events.store.event_store import AppendResult, EventStore, StreamAppend
from schema.audit.api import SETTLEMENT_TYPES
from tests.audit import flows
from tests.live import LiveServer, Subscriber, connect_ws, gql, token
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

INTEGRATION = token("integration-1", Role.INTEGRATION)
EVENTS = ("subscription($after: Int, $types: [String!]) { events(after: $after, types: $types)"
          " { position streamId type } }")
META = Metadata.for_actor(Actor("u1", "U1", Role.STAFF), correlation_id="c")


async def append_things(store: EventStore, stream: str, version: int, n: int) -> AppendResult:
    return await store.append(
        [StreamAppend(stream, "thing", version, [ThingHappened(i) for i in range(n)])], META)


async def receive_until(client: Subscriber, position: int, field: str = "events") -> list[int]:
    """Positions delivered until (and including) `position`."""
    seen: list[int] = []
    while not seen or seen[-1] < position:
        message = await client.next()
        assert message["type"] == "next", message
        seen.append(message["payload"]["data"][field]["position"])
    return seen


async def test_reconnecting_with_the_last_position_delivers_every_event_exactly_once(
    live_server: LiveServer, store: EventStore
) -> None:
    stream = random_id("thing-")
    first = await append_things(store, stream, 0, 5)
    delivered: list[int] = []
    async with connect_ws(live_server) as ws:
        client = Subscriber(ws)
        assert (await client.init(INTEGRATION))["type"] == "connection_ack"
        await client.subscribe("1", EVENTS, {"after": first.first_position - 1})
        for _ in range(3):  # then the client drops in the middle of the batch
            delivered.append((await client.next())["payload"]["data"]["events"]["position"])
    while_away = await append_things(store, stream, 5, 4)
    async with connect_ws(live_server) as ws:
        client = Subscriber(ws)
        await client.init(INTEGRATION)
        await client.subscribe("1", EVENTS, {"after": delivered[-1]})
        delivered += await receive_until(client, while_away.last_position)
        live = await append_things(store, stream, 9, 2)  # and live after catching up
        delivered += await receive_until(client, live.last_position)
    # No type filter: every position of the log in the range, each once, in order.
    assert delivered == list(range(first.first_position, live.last_position + 1))


REGISTER = """mutation($url: String!) { registerWebhook(input: {url: $url,
  eventTypes: ["MealSettled"], description: "replica test"}) {
  __typename ... on RegisterWebhookOk { position webhook { id } } } }"""
DEACTIVATE = """mutation($id: ID!) { deactivateWebhook(input: {id: $id, reason: "test done"}) {
  __typename ... on DeactivateWebhookOk { position webhook { active } } } }"""


async def write_through(server: LiveServer) -> tuple[int, str]:
    """A write through a server process: registering a webhook appends WebhookRegistered."""
    body = await gql(server, REGISTER, {"url": "http://127.0.0.1:9/unused"}, auth=INTEGRATION)
    result = body["data"]["registerWebhook"]
    assert result["__typename"] == "RegisterWebhookOk", body
    return result["position"], result["webhook"]["id"]


@pytest.mark.parametrize("direction", ["replica_to_live", "live_to_replica"])
async def test_two_server_processes_deliver_to_each_others_subscribers(
    live_server: LiveServer, replica: LiveServer, store: EventStore, direction: str
) -> None:
    writer, reader = ((replica, live_server) if direction == "replica_to_live"
                      else (live_server, replica))
    after = await store.head_position()
    async with connect_ws(reader) as ws:
        client = Subscriber(ws)
        await client.init(INTEGRATION)
        await client.subscribe("w", EVENTS, {"after": after, "types": ["WebhookRegistered",
                                                                       "WebhookDeactivated"]})
        position, webhook_id = await write_through(writer)
        message = await client.next()
        event = message["payload"]["data"]["events"]
        assert event == {"position": position, "streamId": f"webhook-{webhook_id}",
                         "type": "WebhookRegistered"}
        body = await gql(writer, DEACTIVATE, {"id": webhook_id}, auth=INTEGRATION)
        deactivated = body["data"]["deactivateWebhook"]
        assert deactivated["webhook"]["active"] is False
        message = await client.next()
        assert message["payload"]["data"]["events"]["position"] == deactivated["position"]


async def test_M13_settlements_subscription_delivers_only_settlement_events(
    replica: LiveServer, store: EventStore
) -> None:
    after = await store.head_position()
    async with connect_ws(replica) as ws:
        client = Subscriber(ws)
        await client.init(INTEGRATION)
        await client.subscribe("s", "subscription($a: Int) { settlements(after: $a) "
                               "{ position type streamId actorRole } }", {"a": after})
        settled = await flows.settled_meal(store)
        message = await client.next()
    event = message["payload"]["data"]["settlements"]
    # The meal's request, approval, cost and signature came first; none is a settlement.
    assert settled.first_position - after >= 5
    assert event["position"] == settled.last_position
    assert event["type"] in SETTLEMENT_TYPES and event["type"] == "MealSettled"
    assert event["actorRole"] == "MANAGER"


async def test_websocket_that_never_sends_connection_init_is_closed(replica: LiveServer) -> None:
    # The replica runs with KEHU_WS_INIT_TIMEOUT=1.
    async with connect_ws(replica) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 4408


async def test_older_graphql_ws_protocol_catches_up_and_goes_live(
    live_server: LiveServer, store: EventStore
) -> None:
    stream = random_id("thing-")
    before = await append_things(store, stream, 0, 1)
    async with websockets.connect(live_server.ws_url,
                                  subprotocols=[Subprotocol("graphql-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {INTEGRATION}"}}))

        async def message() -> dict[str, Any]:
            while True:  # skip the protocol's keep-alives
                data: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if data["type"] != "ka":
                    return data

        assert (await message())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "start", "payload": {
            "query": EVENTS, "variables": {"after": before.first_position - 1}}}))
        first = await message()
        assert first["type"] == "data"
        assert first["payload"]["data"]["events"]["position"] == before.first_position
        live = await append_things(store, stream, 1, 1)
        positions = [before.first_position]
        while positions[-1] < live.last_position:
            positions.append((await message())["payload"]["data"]["events"]["position"])
        assert positions == list(range(before.first_position, live.last_position + 1))
