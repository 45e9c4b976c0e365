"""Budgets per principal: a request rate (429 with Retry-After), WebSocket connections and
subscriptions per user; another user is not affected."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from events.shared.actors import Role
from schema.budgets import Ledger
from tests.live import LiveServer, Subscriber, connect_ws, run_server, token

EVENTS = "subscription { events(after: 0) { position } }"


@pytest.fixture(scope="module")
def tight_server(dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with run_server(dsn, tmp_path_factory.mktemp("budgets"), KEHU_RATE_PER_USER="2",
                    KEHU_RATE_BURST="4", KEHU_MAX_WEBSOCKETS_PER_USER="2",
                    KEHU_MAX_SUBSCRIPTIONS_PER_USER="3") as server:
        yield server


def test_the_bucket_refills_at_the_rate() -> None:
    ledger = Ledger()
    assert [ledger.take("u", 2, 2, 0.0) for _ in range(3)] == [0, 0, 0.5]
    assert ledger.take("u", 2, 2, 0.5) == 0  # half a second later one request is free again
    assert ledger.take("v", 2, 2, 0.5) == 0  # another principal has a bucket of its own


async def test_over_the_rate_a_user_gets_429_with_retry_after(tight_server: LiveServer) -> None:
    query = {"query": "{ policies { version } }"}
    async with httpx.AsyncClient(timeout=10) as client:
        def post(user: str) -> Awaitable[httpx.Response]:
            return client.post(tight_server.url + "/graphql", json=query, headers={
                "authorization": "Bearer " + token(user, Role.MANAGER)})
        answers = [await post("hasty") for _ in range(8)]
        other = await post("patient")
        health = await client.get(tight_server.url + "/healthz")
    refused = [a for a in answers if a.status_code == 429]
    assert refused, [a.status_code for a in answers]
    assert int(refused[0].headers["retry-after"]) >= 1
    assert refused[0].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert other.status_code == 200 and health.status_code == 200


async def _open(server: LiveServer, user: str) -> tuple[object, Subscriber, dict[str, object]]:
    ws = await connect_ws(server)
    client = Subscriber(ws)
    ack = await client.init(token(user, Role.AUDITOR))
    return ws, client, ack


async def test_websockets_per_user_are_bounded(tight_server: LiveServer) -> None:
    opened = [await _open(tight_server, "socket-user") for _ in range(3)]
    try:
        third = opened[2][0]
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(third.recv(), 5)  # type: ignore[attr-defined]
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
        _, _, ack = await _open(tight_server, "someone-else")
        assert ack["type"] == "connection_ack"
    finally:
        for ws, _, _ in opened:
            await ws.close()  # type: ignore[attr-defined]


async def test_subscriptions_per_user_are_bounded(tight_server: LiveServer) -> None:
    ws, client, _ = await _open(tight_server, "subscriber")
    try:
        for n in range(4):
            await client.subscribe(str(n), EVENTS, {})
        seen: dict[str, str] = {}
        while "3" not in seen:
            message = await client.next()
            seen.setdefault(message.get("id", ""), message["type"])
        assert seen["3"] == "error"
    finally:
        await ws.close()  # type: ignore[attr-defined]


async def _legacy(server: LiveServer, user: str) -> Any:
    """A socket speaking the older graphql-ws protocol, acknowledged (keep-alives skipped)."""
    ws = await websockets.connect(server.ws_url, subprotocols=[Subprotocol("graphql-ws")])
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"Authorization": f"Bearer {token(user, Role.AUDITOR)}"}}))
    assert (await _legacy_message(ws))["type"] == "connection_ack"
    return ws


async def _legacy_message(ws: Any) -> dict[str, Any]:
    while True:
        data: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if data["type"] != "ka":
            return data


async def test_the_older_protocol_counts_against_the_same_socket_budget(
        tight_server: LiveServer) -> None:
    """One graphql-transport-ws socket and one graphql-ws socket fill a budget of two: the
    third socket, in the older protocol, is closed with 4429."""
    ws, _, _ = await _open(tight_server, "mixed-protocols")
    legacy = await _legacy(tight_server, "mixed-protocols")
    try:
        third = await websockets.connect(tight_server.ws_url,
                                         subprotocols=[Subprotocol("graphql-ws")])
        await third.send(json.dumps({"type": "connection_init", "payload": {
            "Authorization": f"Bearer {token('mixed-protocols', Role.AUDITOR)}"}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(third.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
    finally:
        await ws.close()  # type: ignore[attr-defined]
        await legacy.close()


async def test_the_older_protocol_counts_against_the_same_subscription_budget(
        tight_server: LiveServer) -> None:
    legacy = await _legacy(tight_server, "legacy-subscriber")
    try:
        for n in range(4):
            await legacy.send(json.dumps({"id": str(n), "type": "start",
                                          "payload": {"query": EVENTS}}))
        seen: dict[str, str] = {}
        while "3" not in seen:
            message = await _legacy_message(legacy)
            seen.setdefault(message.get("id", ""), message["type"])
        assert seen["3"] == "error", seen
        assert {seen.get(str(n)) for n in range(3)} <= {"data", None}, seen
    finally:
        await legacy.close()
