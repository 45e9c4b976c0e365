"""A subscriber that stops reading is closed with 4410 and the last position delivered to it, so
it resumes with `after` and loses nothing (issue 13: a non-reading socket must not hold the
server's memory or its other users).

The client is the `websockets` library's sans-I/O protocol over a socket whose receive buffer is
made small, so the test decides exactly when bytes are read: not at all until the server has
given up (seen on /metrics), then everything, down to the close frame.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from events.shared.actors import Actor, Role
from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from tests.live import LiveServer, run_server, token
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

SEND_TIMEOUT = "0.5"
# More than the kernel's and asyncio's buffers can hold between a server and a client that does
# not read (a few MB on loopback): the server must block on a send and give up.
BACKLOG_EVENTS = 6000
NOTE = "x" * 2000
CLOSES = re.compile(r'^kehu_websocket_closes_total\{code="4410"\} (\S+)$', re.M)


@pytest.fixture
def impatient_server(dsn: str, tmp_path: Path) -> Iterator[LiveServer]:
    with run_server(dsn, tmp_path, KEHU_WS_SEND_TIMEOUT=SEND_TIMEOUT) as server:
        yield server


def _slow_closes(server: LiveServer) -> float:
    found = CLOSES.search(httpx.get(server.url + "/metrics", timeout=10).text)
    return float(found.group(1)) if found else 0.0


async def _backlog(store: EventStore) -> int:
    meta = Metadata.for_actor(Actor("slow-writer", "W", Role.STAFF), correlation_id="slow")
    first = 0
    for batch in range(BACKLOG_EVENTS // 500):
        written = await store.append([StreamAppend(random_id("slow-"), "thing", 0, [
            ThingHappened(batch * 500 + n, NOTE) for n in range(500)])], meta)
        first = first or written.first_position
    return first


def _message(event: object) -> dict[str, Any]:
    if not isinstance(event, Frame) or event.opcode is not Opcode.TEXT:
        return {}
    found: dict[str, Any] = json.loads(bytes(event.data))
    return found


async def _send(client: ClientProtocol, writer: asyncio.StreamWriter,
                message: dict[str, Any]) -> None:
    client.send_text(json.dumps(message).encode())
    writer.write(b"".join(client.data_to_send()))
    await writer.drain()


async def test_a_subscriber_that_does_not_read_is_closed_4410_with_its_last_position(
        impatient_server: LiveServer, store: EventStore) -> None:
    first = await _backlog(store)
    before = _slow_closes(impatient_server)

    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    host, port = impatient_server.url.removeprefix("http://").split(":")
    raw.connect((host, int(port)))
    reader, writer = await asyncio.open_connection(sock=raw)
    client = ClientProtocol(parse_uri(f"ws://{host}:{port}/graphql"),
                            subprotocols=[Subprotocol("graphql-transport-ws")], max_size=None)
    client.send_request(client.connect())
    writer.write(b"".join(client.data_to_send()))
    while client.state is not State.OPEN:  # the handshake's answer
        client.receive_data(await asyncio.wait_for(reader.read(4096), 10))
    auth = token("slow-reader", Role.AUDITOR)
    await _send(client, writer, {"type": "connection_init",
                                 "payload": {"Authorization": f"Bearer {auth}"}})
    while not any(_message(e).get("type") == "connection_ack" for e in client.events_received()):
        client.receive_data(await asyncio.wait_for(reader.read(4096), 10))
    await _send(client, writer, {"id": "1", "type": "subscribe", "payload": {
        "query": "subscription($a: Position) { events(after: $a, types: [\"ThingHappened\"])"
                 " { position payload } }", "variables": {"a": first - 1}}})

    # Not a byte read until the server has given up on this socket.
    deadline = time.monotonic() + 60
    while _slow_closes(impatient_server) <= before:
        assert time.monotonic() < deadline, "the server never closed the slow subscriber"
        await asyncio.sleep(0.1)

    positions: list[int] = []
    close: Close | None = None
    while close is None:
        chunk = await asyncio.wait_for(reader.read(1 << 16), 30)
        assert chunk, "the connection ended without a close frame"
        client.receive_data(chunk)
        for event in client.events_received():
            if isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                close = Close.parse(event.data)
            elif _message(event).get("type") == "next":
                positions.append(_message(event)["payload"]["data"]["events"]["position"])
    writer.close()

    assert close.code == 4410, close
    reason = re.fullmatch(r"subscriber too slow; last position (\d+)", close.reason)
    assert reason is not None, close.reason
    last = int(reason[1])
    assert positions and last == positions[-1], (last, positions[-5:])
    assert positions == list(range(first, first + len(positions))), "a gap before the close"
    assert len(positions) < BACKLOG_EVENTS  # it really was cut short
