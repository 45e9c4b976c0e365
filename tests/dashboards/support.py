"""A graphql-transport-ws client for live queries on the real server: one socket, several
subscriptions, each one's messages kept apart; and /metrics read as samples."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from tests.live import LiveServer, Samples, Subscriber, connect_ws, metric, scrape

SUMMARY = ("subscription($by: [ExpenseDimension!]!, $from: Date!, $to: Date!,"
           " $f: ExpenseFilter) { expenseSummary(groupBy: $by, from: $from, to: $to,"
           " filter: $f) { restaurant count total } }")
WAIT_S = 30  # a push is expected well within this; a failure shows, it does not hang


class LiveClient:
    def __init__(self, server: LiveServer, token: str) -> None:
        self.server = server
        self.token = token
        self._messages: dict[str, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._ws = await connect_ws(self.server).__aenter__()
        ack = await Subscriber(self._ws).init(self.token)
        assert ack["type"] == "connection_ack", ack
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._ws is not None:
            await self._ws.close()

    async def __aenter__(self) -> LiveClient:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _read(self) -> None:
        async for raw in self._ws:
            message = json.loads(raw)
            self._messages[message.get("id", "")].put_nowait(message)

    async def subscribe(self, sub_id: str, query: str, variables: dict[str, Any]) -> None:
        await Subscriber(self._ws).subscribe(sub_id, query, variables)

    async def message(self, sub_id: str) -> dict[str, Any]:
        return await asyncio.wait_for(self._messages[sub_id].get(), WAIT_S)

    async def result(self, sub_id: str) -> dict[str, Any]:
        """The data of the subscription's next pushed result."""
        message = await self.message(sub_id)
        assert message["type"] == "next" and "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def result_where(self, sub_id: str, wanted: Callable[[dict[str, Any]], bool],
                           ) -> dict[str, Any]:
        while True:
            data = await self.result(sub_id)
            if wanted(data):
                return data

    async def error(self, sub_id: str) -> dict[str, Any]:
        """The subscription's refusal: an `error` message, or a `next` carrying errors."""
        message = await self.message(sub_id)
        if message["type"] == "error":
            error: dict[str, Any] = message["payload"][0]
            return error
        assert message["type"] == "next" and message["payload"].get("errors"), message
        error = message["payload"]["errors"][0]
        return error

    def pending(self, sub_id: str) -> list[dict[str, Any]]:
        """Results already received and not yet taken (no wait)."""
        out = []
        queue = self._messages[sub_id]
        while not queue.empty():
            message = queue.get_nowait()
            if message["type"] == "next":
                out.append(message["payload"]["data"])
        return out


counter = metric  # a counter's value: the sum over its matching samples


def gauge(samples: Samples, name: str) -> float:
    return counter(samples, name)


async def wait_for_metric(server: LiveServer, check: Callable[[Samples], bool],
                          timeout: float = WAIT_S) -> Samples:
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(server)
        if check(samples):
            return samples
        assert time.monotonic() < deadline, "the metric did not reach the expected value"
        await asyncio.sleep(0.05)
