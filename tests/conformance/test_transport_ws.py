"""graphql-transport-ws error paths, as the protocol's PROTOCOL.md states them, on a raw
WebSocket against the real server (no client library smoothing anything over)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from events.shared.actors import Role
from tests.live import LiveServer, connect_ws, token

LIVE = "subscription { events(after: 2147483647) { position } }"  # nothing yet: stays open


async def _send(ws: Any, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def _recv(ws: Any, timeout: float = 10) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))  # type: ignore[no-any-return]


async def _closed_with(ws: Any, timeout: float = 10) -> int | None:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    code: int | None = ws.close_code
    return code


async def _ack(ws: Any) -> None:
    auth = f"Bearer {token('int-ws', Role.INTEGRATION)}"
    await _send(ws, {"type": "connection_init", "payload": {"Authorization": auth}})
    assert (await _recv(ws))["type"] == "connection_ack"


def _subscribe(sub_id: str) -> dict[str, Any]:
    return {"id": sub_id, "type": "subscribe", "payload": {"query": LIVE}}


async def test_subscribe_before_ack_closes_4401(live_server: LiveServer) -> None:
    async with connect_ws(live_server) as ws:
        await _send(ws, _subscribe("early"))
        assert await _closed_with(ws) == 4401


async def test_second_init_closes_4429(live_server: LiveServer) -> None:
    async with connect_ws(live_server) as ws:
        await _ack(ws)
        await _send(ws, {"type": "connection_init", "payload": {}})
        assert await _closed_with(ws) == 4429


async def test_duplicate_subscription_id_closes_4409(live_server: LiveServer) -> None:
    async with connect_ws(live_server) as ws:
        await _ack(ws)
        await _send(ws, _subscribe("same"))
        await _send(ws, _subscribe("same"))
        assert await _closed_with(ws) == 4409


async def test_unknown_message_type_closes_4400(live_server: LiveServer) -> None:
    async with connect_ws(live_server) as ws:
        await _ack(ws)
        await _send(ws, {"type": "no-such-message"})
        assert await _closed_with(ws) == 4400


async def test_no_init_within_the_timeout_closes_4408(live_server: LiveServer) -> None:
    # KEHU_WS_INIT_TIMEOUT defaults to 5 s; allow for a slow machine but not for "never".
    async with connect_ws(live_server) as ws:
        started = asyncio.get_running_loop().time()
        assert await _closed_with(ws, timeout=15) == 4408
        assert asyncio.get_running_loop().time() - started >= 4


async def test_ping_is_answered_with_pong_and_the_connection_stays(
    live_server: LiveServer,
) -> None:
    async with connect_ws(live_server) as ws:
        await _ack(ws)
        await _send(ws, {"type": "ping", "payload": {"n": 1}})
        assert (await _recv(ws))["type"] == "pong"
        # Still usable afterwards: a subscription with an id is accepted and can be completed.
        await _send(ws, _subscribe("after-ping"))
        await _send(ws, {"id": "after-ping", "type": "complete"})
        await _send(ws, {"type": "ping"})
        assert (await _recv(ws))["type"] == "pong"
