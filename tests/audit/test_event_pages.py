"""eventPages: the log a page per message over a real WebSocket, catching up then live, each
event once and in order, with LoggedEvent's fields."""

from __future__ import annotations

from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.audit.test_subscriptions import append_things
from tests.live import LiveServer, Subscriber, connect_ws, token
from tests.random_refs import random_id

INTEGRATION = token("integration-1", Role.INTEGRATION)
PAGES = ("subscription($after: Int, $types: [String!], $size: Int!) {"
         " eventPages(after: $after, types: $types, pageSize: $size)"
         " { first last count events } }")


async def test_pages_catch_up_then_go_live_with_every_event_once(
    live_server: LiveServer, store: EventStore
) -> None:
    stream = random_id("thing-")
    first = await append_things(store, stream, 0, 25)
    async with connect_ws(live_server) as ws:
        client = Subscriber(ws)
        assert (await client.init(INTEGRATION))["type"] == "connection_ack"
        await client.subscribe("1", PAGES, {"after": first.first_position - 1,
                                            "types": ["ThingHappened"], "size": 10})
        seen: list[int] = []
        live = None
        while not seen or seen[-1] < (live.last_position if live else first.last_position):
            message = await client.next()
            assert message["type"] == "next", message
            page = message["payload"]["data"]["eventPages"]
            assert 0 < page["count"] <= 10 and page["count"] == len(page["events"])
            assert page["first"] == page["events"][0]["position"]
            assert page["last"] == page["events"][-1]["position"]
            seen += [e["position"] for e in page["events"] if e["streamId"] == stream]
            if live is None and seen[-1] >= first.last_position:
                live = await append_things(store, stream, 25, 3)
        event = page["events"][-1]
        assert event["type"] == "ThingHappened" and event["payload"] == {"n": 2, "note": ""}
        assert event["actorId"] == "u1" and len(event["hash"]) == 64
    assert live is not None
    assert seen == [*range(first.first_position, first.last_position + 1),
                    *range(live.first_position, live.last_position + 1)]
