"""Tokens name one user exactly: `sub` is refused (never cut) when empty, too long or holding
control characters; a token has a size limit; a WebSocket ends when its token does, unless the
client renews it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import jwt
import pytest
import websockets

from events.shared.actors import Role
from schema.auth import AuthError, authenticate
from schema.settings import Settings
from tests.live import TEST_SECRET, LiveServer, Subscriber, connect_ws, gql, token

SETTINGS = Settings(jwt_secret=TEST_SECRET)
ME = "{ policies { version } }"  # any query that needs a signed-in caller


def signed(**claims: Any) -> str:
    base = {"sub": "u1", "role": "staff", "exp": int(time.time()) + 600}
    return jwt.encode({**base, **claims}, TEST_SECRET, algorithm="HS256")


def test_a_long_sub_is_kept_whole_up_to_200_characters() -> None:
    long_a, long_b = "p" * 150 + "a", "p" * 150 + "b"
    assert authenticate(signed(sub=long_a), SETTINGS)[0].user_id == long_a
    assert authenticate(signed(sub=long_b), SETTINGS)[0].user_id == long_b
    assert authenticate(signed(sub="s" * 200), SETTINGS)[0].user_id == "s" * 200


@pytest.mark.parametrize("claims", [
    {"sub": ""}, {"sub": "   "}, {"sub": "s" * 201}, {"sub": "a\x00b"}, {"sub": 12},
    {"sub": "ok", "name": "n\x00"}, {"sub": "ok", "name": "n" * 201}, {"role": ["staff"]},
])
def test_unacceptable_claims_are_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(AuthError):
        authenticate(signed(**claims), SETTINGS)


def test_an_oversized_token_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(AuthError, match="longer than"):
        authenticate(signed(pad="x" * 9000), SETTINGS)


@pytest.mark.parametrize("claims", [{"sub": ""}, {"sub": "a\x00b"}, {"sub": "s" * 201},
                                    {"pad": "x" * 9000}])
async def test_over_http_such_tokens_are_unauthenticated_not_internal(
        live_server: LiveServer, claims: dict[str, Any]) -> None:
    body = await gql(live_server, ME, auth=signed(**claims))
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body


async def _closed_code(ws: Any, within: float) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), within)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def test_a_websocket_is_closed_4403_when_its_token_expires(live_server: LiveServer
                                                                 ) -> None:
    async with connect_ws(live_server) as ws:
        client = Subscriber(ws)
        assert (await client.init(token("expiring", Role.AUDITOR, ttl=2)))["type"] == \
            "connection_ack"
        assert await _closed_code(ws, within=10) == 4403


async def test_a_renewed_token_keeps_the_websocket_open(live_server: LiveServer) -> None:
    async with connect_ws(live_server) as ws:
        client = Subscriber(ws)
        assert (await client.init(token("renewing", Role.AUDITOR, ttl=2)))["type"] == \
            "connection_ack"
        fresh = token("renewing", Role.AUDITOR, ttl=60)
        await ws.send(json.dumps({"type": "ping", "payload": {"Authorization": f"Bearer {fresh}"}}))
        assert (await client.next())["type"] == "pong"
        await asyncio.sleep(3)  # past the first token's expiry (a condition on time itself)
        await ws.send(json.dumps({"type": "ping"}))
        assert (await client.next())["type"] == "pong"


async def test_renewing_as_another_user_closes_the_websocket(live_server: LiveServer) -> None:
    async with connect_ws(live_server) as ws:
        client = Subscriber(ws)
        await client.init(token("first-user", Role.AUDITOR))
        other = token("second-user", Role.AUDITOR)
        await ws.send(json.dumps({"type": "ping", "payload": {"Authorization": f"Bearer {other}"}}))
        assert await _closed_code(ws, within=10) == 4403
