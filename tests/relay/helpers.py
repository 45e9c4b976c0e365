"""Reading what the relay published, and filling a log to relay."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import nats
from nats.js import JetStreamContext

from events.store.envelope import Metadata
from events.store.event_store import EventStore, StreamAppend
from tests.random_refs import random_id
from tests.store.events_for_tests import ThingHappened

META = Metadata(actor_id="u-relay", actor_name="Relay test", actor_role="manager",
                correlation_id="c-relay")


@dataclass(frozen=True)
class Published:
    subject: str
    headers: dict[str, str]
    body: dict[str, Any]


async def append_things(store: EventStore, count: int, per_append: int = 10) -> list[int]:
    """`count` events on streams of their own; their log positions, in order."""
    positions: list[int] = []
    for start in range(0, count, per_append):
        n = min(per_append, count - start)
        sid = random_id("thing-")
        result = await store.append(
            [StreamAppend(sid, "thing", 0, [ThingHappened(start + i) for i in range(n)])], META)
        positions.extend(range(result.first_position, result.last_position + 1))
    return positions


async def stream_count(js: JetStreamContext, stream: str = "KEHU") -> int:
    try:
        return int((await js.stream_info(stream)).state.messages)
    except nats.js.errors.NotFoundError:
        return 0


async def read_stream(js: JetStreamContext, stream: str = "KEHU") -> list[Published]:
    """Every message the stream holds, in stream order."""
    total = await stream_count(js, stream)
    found: list[Published] = []
    for seq in range(1, total + 1):
        msg = await js.get_msg(stream, seq=seq)
        found.append(Published(msg.subject or "", dict(msg.headers or {}),
                               json.loads(msg.data or b"{}")))
    return found


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
