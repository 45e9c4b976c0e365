"""A client loses its connection after the server committed but before the reply reached it;
it retries with the same idempotency key and gets the original result, and nothing new is
written. The loss is real: a TCP proxy on loopback cuts the connection at the first byte of the
reply, which the server only sends once the append has committed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from events.shared.actors import Role
from tests.conformance.mutations import choose
from tests.live import LiveServer, gql, token
from tests.random_refs import random_id


@contextlib.asynccontextmanager
async def reply_cutting_proxy(target_port: int) -> AsyncIterator[str]:
    """127.0.0.1 proxy that forwards requests and drops the connection at the reply."""

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target_port)

        async def forward() -> None:
            while data := await client_r.read(65536):
                server_w.write(data)
                await server_w.drain()

        pump = asyncio.create_task(forward())
        await server_r.read(1)  # the reply starts: the server has committed
        pump.cancel()
        client_w.transport.abort()  # connection lost, reply never delivered
        server_w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.close()
        await server.wait_closed()


async def test_retry_after_lost_reply_returns_the_original_result(
    live_server: LiveServer,
) -> None:
    chosen = await choose(live_server)
    if chosen is None:
        pytest.skip("no mutation from tests/conformance/mutations.py CATALOG in the schema")
    user = random_id("retrier-")
    auth = chosen.auth(user)
    variables = {"input": chosen.known.make_input(), "key": random_id("key-")}
    request = {"query": chosen.document, "variables": variables}
    port = int(live_server.url.rsplit(":", 1)[1])
    async with reply_cutting_proxy(port) as via_proxy, httpx.AsyncClient(timeout=30) as client:
        with pytest.raises(httpx.TransportError):
            await client.post(via_proxy, json=request, headers={"Authorization": f"Bearer {auth}"})

    retried = await gql(live_server, chosen.document, variables, auth=auth)
    result = retried["data"][chosen.known.name]
    assert result["replayed"] is True and result["position"] > 0, result
    # The lost reply's write is the only one: it is at that position, and nothing came after.
    reader = token("retry-auditor", Role.AUDITOR)
    mine = await gql(live_server, "query($a: String) { events(actor: $a) { position } }",
                     {"a": user}, auth=reader)
    positions = [e["position"] for e in mine["data"]["events"]]
    assert positions and positions[-1] == result["position"]
    again = await gql(live_server, chosen.document, variables, auth=auth)
    assert again["data"][chosen.known.name] == result
    assert (await gql(live_server, "query($a: String) { events(actor: $a) { position } }",
                      {"a": user}, auth=reader))["data"]["events"] == mine["data"]["events"]
