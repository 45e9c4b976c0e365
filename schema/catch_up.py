"""Read-your-writes (`atLeast`) without holding a pool connection while waiting.

Before, each field with `atLeast` took a pool connection, LISTENed on it and kept it for up to
the timeout: one client repeating `products(atLeast: 2147483647)` thirty times per request held
the pool, and everyone else's reads queued behind it (5 ms became 4.8 s). Now one poller per
process reads the projections' lowest checkpoint (one short query per round, connection
released at once) while anybody waits, and waiters sleep on an event. A position beyond the
log's head can never be reached and is refused at once.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

POLL_S = 0.05  # how stale a waiter's view may be: one small query per round, shared by all


class BeyondHead(Exception):
    def __init__(self, position: int, head: int):
        super().__init__(f"position {position} is beyond the log's head ({head})")
        self.head = head


class CatchUpGate:
    def __init__(self, pool: asyncpg.Pool, names: list[str]):
        self.pool = pool
        self.names = names
        self.reached = 0
        self.head = 0
        self._changed = asyncio.Event()
        self._waiting = 0
        self._poller: asyncio.Task[None] | None = None
        self._flight: asyncio.Task[None] | None = None
        self._flight_started = 0.0

    async def _fresh(self, since: float) -> None:
        """Figures read by a query that started at or after `since` (a write the caller saw
        committed is then included). Concurrent callers share one query in flight."""
        loop = asyncio.get_running_loop()
        while True:
            flight = self._flight
            # A finished flight may not be cleared yet: awaiting it would not yield, so this
            # loop would spin; start a new one instead.
            if flight is None or flight.done():
                self._flight_started = loop.time()
                flight = self._flight = asyncio.create_task(self._refresh())
                try:
                    await asyncio.shield(flight)
                finally:
                    if self._flight is flight:
                        self._flight = None
                return
            joined = self._flight_started >= since
            with contextlib.suppress(Exception):
                await asyncio.shield(flight)
            if joined:
                failure = None if flight.cancelled() else flight.exception()
                if failure is not None:
                    raise failure
                return

    async def _refresh(self) -> None:
        async with self.pool.acquire() as conn:  # held for two small reads, then released
            head = await conn.fetchval("SELECT position FROM kehu_log.event_head")
            rows = await conn.fetch("SELECT name, position FROM projection_checkpoints"
                                    " WHERE name = ANY($1)", self.names)
        found = {r["name"]: int(r["position"]) for r in rows}
        self.head = max(self.head, int(head or 0))
        lowest = min((found.get(n, 0) for n in self.names), default=self.head)
        if lowest > self.reached:
            self.reached = lowest
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()

    async def _poll(self) -> None:
        while self._waiting > 0:
            with contextlib.suppress(Exception):  # a failed round is retried, not fatal
                await self._fresh(asyncio.get_running_loop().time())
            await asyncio.sleep(POLL_S)
        self._poller = None

    async def wait(self, position: int, timeout: float) -> bool:
        """True once every projection has applied `position`; False after `timeout`."""
        if position <= self.reached:
            return True
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        await self._fresh(arrived)
        if position > self.head:
            raise BeyondHead(position, self.head)
        deadline = arrived + timeout
        self._waiting += 1
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll())
        try:
            while self.reached < position:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
            return True
        finally:
            self._waiting -= 1
