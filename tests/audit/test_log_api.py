"""End to end: a real uvicorn, real HTTP and WebSocket clients, real PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from events.shared.actors import Actor, Role
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from tests.live import LiveServer, Subscriber, connect_ws, gql, token
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

SUBSCRIBE = "subscription($after: Int) { events(after: $after) { position streamId type } }"


async def test_healthz_and_readyz(live_server: LiveServer) -> None:
    async with httpx.AsyncClient() as client:
        assert (await client.get(live_server.url + "/healthz")).text == "ok"
        ready = (await client.get(live_server.url + "/readyz")).json()
    assert ready["ready"] is True


async def test_query_without_token_is_refused_clearly(live_server: LiveServer) -> None:
    body = await gql(live_server, "{ events(first: 1) { position } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_events_query_pages_the_log(live_server: LiveServer, store: EventStore) -> None:
    sid = random_id("thing-")
    meta = Metadata.for_actor(Actor("u1", "U1", Role.STAFF), correlation_id="c")
    r = await store.append([StreamAppend(sid, "thing", 0, [ThingHappened(1), ThingHappened(2)])],
                           meta)
    body = await gql(live_server, "query($a: Int) { events(after: $a, first: 2) "
                     "{ position streamId type payload actorId hash } }",
                     {"a": r.first_position - 1}, auth=token("aud", Role.AUDITOR))
    events = body["data"]["events"]
    assert [e["position"] for e in events] == [r.first_position, r.last_position]
    assert events[0]["payload"] == {"n": 1, "note": ""} and events[0]["actorId"] == "u1"
    stream = await gql(live_server, "query($id: ID!) { stream(id: $id) { version } }",
                       {"id": sid}, auth=token("aud", Role.AUDITOR))
    assert [e["version"] for e in stream["data"]["stream"]] == [1, 2]


async def test_staff_may_not_read_the_whole_log(live_server: LiveServer) -> None:
    body = await gql(live_server, "{ events(first: 1) { position } }",
                     auth=token("s1", Role.STAFF))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_subscription_catches_up_then_goes_live(
    live_server: LiveServer, store: EventStore
) -> None:
    sid = random_id("thing-")
    meta = Metadata.for_actor(Actor("u1", "U1", Role.STAFF), correlation_id="c")
    before = await store.append([StreamAppend(sid, "thing", 0, [ThingHappened(1)])], meta)
    async with connect_ws(live_server) as ws:
        client = Subscriber(ws)
        assert (await client.init(token("int", Role.INTEGRATION)))["type"] == "connection_ack"
        await client.subscribe("1", SUBSCRIBE, {"after": before.first_position - 1})
        first = await client.next()
        assert first["payload"]["data"]["events"]["position"] == before.first_position
        live = await store.append([StreamAppend(sid, "thing", 1, [ThingHappened(2)])], meta)
        while True:
            message = await client.next()
            position = message["payload"]["data"]["events"]["position"]
            if position == live.first_position:
                break
            assert position < live.first_position


async def test_websocket_without_valid_token_is_rejected(live_server: LiveServer) -> None:
    async with connect_ws(live_server) as ws:
        with pytest.raises(ConnectionClosed):
            await Subscriber(ws).init("not-a-token")
        assert ws.close_code == 4403
