"""Wake-ups for readers waiting on new events.

PostgreSQL NOTIFY is a hint, not a delivery guarantee: a notification can be lost when the
listening connection drops. So every wait is also bounded by a poll interval, and readers always
re-read the log by position; a lost hint costs at most one interval of latency, never an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

from events.store.event_store import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, dsn: str, *, poll_interval: float = 1.0):
        self.dsn = dsn
        self.poll_interval = poll_interval
        self.latest = 0
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="kehu-notifier")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen_forever(self) -> None:
        while True:
            try:
                conn = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("notifier cannot connect (%s); polling only, retrying", exc)
                await asyncio.sleep(self.poll_interval)
                continue
            try:
                await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
                # asyncpg delivers notifications on its own; we only watch the connection.
                while not conn.is_closed():
                    await asyncio.sleep(self.poll_interval)
                    await self._wake(0)  # also a heartbeat for poll-only readers
                    await conn.execute("SELECT 1")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("notifier connection lost (%s); reconnecting", exc)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        asyncio.get_running_loop().create_task(self._wake(int(payload)))

    async def _wake(self, position: int) -> None:
        async with self._changed:
            self.latest = max(self.latest, position)
            self._changed.notify_all()

    async def wait(self, after: int, timeout: float | None = None) -> None:
        """Return when an event after `after` may exist, or after the poll interval."""
        limit = self.poll_interval if timeout is None else min(timeout, self.poll_interval)
        async with self._changed:
            if self.latest > after:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), limit)
