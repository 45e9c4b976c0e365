"""Transport limits on a real socket: the request head is bounded in size, count and time, and a
WebSocket message is bounded like a body."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest
import websockets

from tests.live import LiveServer, connect_ws, run_server

HEAD_TIMEOUT_S = 1.0
BODY_LIMIT = 100_000


@pytest.fixture(scope="module")
def strict_server(dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with run_server(dsn, tmp_path_factory.mktemp("transport"),
                    KEHU_HEADER_TIMEOUT=str(HEAD_TIMEOUT_S), KEHU_MAX_HEADER_BYTES="16384",
                    KEHU_MAX_HEADERS="50", KEHU_MAX_BODY_BYTES=str(BODY_LIMIT)) as server:
        yield server


async def _open(server: LiveServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    url = urlparse(server.url)
    return await asyncio.open_connection(url.hostname, url.port)


async def _answer(reader: asyncio.StreamReader, within: float = 5) -> bytes:
    """Everything the server sends until it closes the connection (bounded wait)."""
    return await asyncio.wait_for(reader.read(), within)


async def _exchange(server: LiveServer, request: bytes) -> bytes:
    reader, writer = await _open(server)
    try:
        writer.write(request)
        await writer.drain()
        return await _answer(reader)
    except ConnectionResetError:
        return b"reset"
    finally:
        writer.close()


async def test_a_huge_header_is_refused_with_431(strict_server: LiveServer) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n"
    answer = await _exchange(strict_server, request)
    assert answer.startswith(b"HTTP/1.1 431") or answer == b"reset"


async def test_too_many_headers_are_refused_with_431(strict_server: LiveServer) -> None:
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(60))
    answer = await _exchange(strict_server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers
                             + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431")


async def test_a_slow_head_is_closed_after_the_header_timeout(strict_server: LiveServer
                                                              ) -> None:
    reader, writer = await _open(strict_server)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
    await writer.drain()
    answer = await _answer(reader, within=HEAD_TIMEOUT_S + 4)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408")


async def test_a_silent_connection_is_closed_too(strict_server: LiveServer) -> None:
    reader, writer = await _open(strict_server)
    answer = await _answer(reader, within=HEAD_TIMEOUT_S + 4)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408")


async def test_a_kept_alive_connection_gets_the_same_deadline(strict_server: LiveServer
                                                              ) -> None:
    reader, writer = await _open(strict_server)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    first = await asyncio.wait_for(reader.readuntil(b"ok"), 5)
    assert first.startswith(b"HTTP/1.1 200")
    writer.write(b"GET /healthz HTTP/1.1\r\n")  # a second head that never ends
    await writer.drain()
    answer = await _answer(reader, within=HEAD_TIMEOUT_S + 4)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408")


async def test_ordinary_requests_and_headers_still_pass(strict_server: LiveServer) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(strict_server.url + "/healthz",
                                    headers={"x-trace": "t" * 4000})
    assert response.status_code == 200


async def test_a_websocket_message_over_the_body_limit_closes_the_socket(
        strict_server: LiveServer) -> None:
    async with connect_ws(strict_server) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"x": "y" * BODY_LIMIT}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big


async def test_websocket_compression_is_not_granted_by_default(
        strict_server: LiveServer) -> None:
    """A client offering permessage-deflate (this client does by default) gets plain frames:
    compressing each of its messages would cost the event loop every other socket shares."""
    async with connect_ws(strict_server) as ws:
        assert "permessage-deflate" in (ws.request.headers.get("Sec-WebSocket-Extensions") or "")
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
