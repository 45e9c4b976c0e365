"""The Python `gql` client (HTTP over httpx, subscriptions over graphql-transport-ws) runs a
query, a mutation and a subscription against the real server."""

from __future__ import annotations

import asyncio

import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from conformance.probe import append_probes
from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.conformance.mutations import choose
from tests.live import LiveServer, token
from tests.random_refs import random_id


def _http(server: LiveServer, auth: str) -> Client:
    transport = HTTPXAsyncTransport(url=server.url + "/graphql",
                                    headers={"Authorization": f"Bearer {auth}"}, timeout=30)
    return Client(transport=transport, fetch_schema_from_transport=True)


async def test_gql_runs_a_query_with_the_fetched_schema(
    live_server: LiveServer, store: EventStore
) -> None:
    written = await append_probes(store, 2, run=random_id())
    async with _http(live_server, token("aud", Role.AUDITOR)) as session:
        result = await session.execute(GraphQLRequest(
            "query($after: Position!) { events(after: $after, first: 2) { position type } }",
            variable_values={"after": written.first_position - 1},
        ))
    assert [e["position"] for e in result["events"]] == [written.first_position,
                                                        written.last_position]
    assert {e["type"] for e in result["events"]} == {"ConformanceProbe"}


async def test_gql_runs_a_mutation(live_server: LiveServer) -> None:
    chosen = await choose(live_server)
    if chosen is None:
        pytest.skip("the schema has no mutation from tests/conformance/mutations.py CATALOG yet")
    key = random_id("key-")
    async with _http(live_server, chosen.auth("gql-writer")) as session:
        request = GraphQLRequest(chosen.document, variable_values={
            "input": chosen.known.make_input(), "key": key})
        first = (await session.execute(request))[chosen.known.name]
        again = (await session.execute(request))[chosen.known.name]
    assert first["position"] > 0 and first["replayed"] is False, first
    assert again == {**first, "replayed": True}


async def test_gql_runs_a_subscription(live_server: LiveServer, store: EventStore) -> None:
    run = random_id()
    before = await append_probes(store, 2, run=run)
    transport = WebsocketsTransport(
        url=live_server.ws_url,
        init_payload={"Authorization": f"Bearer {token('int', Role.INTEGRATION)}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    request = GraphQLRequest(
        "subscription($after: Position, $types: [String!]) "
        "{ events(after: $after, types: $types) { position } }",
        variable_values={"after": before.first_position - 1, "types": ["ConformanceProbe"]})
    seen: list[int] = []
    live_written: list[int] = []

    async def consume() -> None:
        async with Client(transport=transport) as session:
            async for item in session.subscribe(request):
                seen.append(item["events"]["position"])
                if len(seen) == 2:  # caught up: now write while subscribed
                    after = await append_probes(store, 1, run=run)
                    live_written.append(after.first_position)
                if len(seen) == 3:
                    return

    await asyncio.wait_for(consume(), 20)
    assert seen == [before.first_position, before.last_position, live_written[0]]
