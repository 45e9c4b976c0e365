"""The process's one watcher of projection checkpoints, for live queries.

Every live query wants to know when a projection it reads has advanced. Asking the database
per live query (or, worse, per subscriber) would make the work grow with the dashboards open;
instead one task per process LISTENs on the runners' `kehu_projections` channel (they notify
with each checkpoint they save) and then reads every checkpoint in one short query on its own
connection. Bursts of notifications are coalesced (at most one read per COALESCE_S), and a
lost notification costs at most one poll interval, never a missed advance: the watcher also
reads on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

import asyncpg

from events.shared import metrics
from projections.runner import PROJECTIONS_CHANNEL

log = logging.getLogger(__name__)

COALESCE_S = 0.05  # one checkpoint read per 50 ms at most, however many batches commit


class CheckpointWatch:
    def __init__(self, dsn: str, poll_interval_s: float) -> None:
        self.dsn = dsn
        self.poll_interval_s = poll_interval_s
        self.positions: dict[str, int] = {}
        self.seen_at = 0.0  # loop time of the read that last moved a position
        self._moved = asyncio.Event()  # replaced after each move: waiters hold the old one
        self._woken = asyncio.Event()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="kehu-live-watch")

    def cancel(self) -> None:
        """No live query left: stop reading (the next one starts the watcher again)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._ready = asyncio.Event()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def ready(self, timeout: float = 10.0) -> None:
        """Wait (bounded) for the first read, so the first result's positions are known."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)

    def snapshot(self, names: Iterable[str]) -> dict[str, int]:
        return {name: self.positions.get(name, 0) for name in names}

    def advanced(self, seen: dict[str, int]) -> bool:
        # Any change counts: a rebuild swaps tables in and may save a position it had before.
        return any(self.positions.get(name, 0) != at for name, at in seen.items())

    async def wait_advanced(self, seen: dict[str, int]) -> None:
        """Return once a projection named in `seen` is no longer at the position given."""
        while not self.advanced(seen):
            await self._moved.wait()

    async def _run(self) -> None:
        while True:
            conn: Any = None
            try:
                conn = await asyncpg.connect(self.dsn)
                await conn.add_listener(PROJECTIONS_CHANNEL, lambda *_: self._woken.set())
                while not conn.is_closed():
                    self._woken.clear()  # before the read: a notification after it is kept
                    await self._read(conn)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._woken.wait(), self.poll_interval_s)
                    await asyncio.sleep(COALESCE_S)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never die: every live query waits on this task
                log.warning("live-query watcher: %s; retrying", exc)
                await asyncio.sleep(self.poll_interval_s)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()

    async def _read(self, conn: asyncpg.Connection) -> None:
        rows = await conn.fetch("SELECT name, position FROM projection_checkpoints")
        metrics.LIVE_CHECKPOINT_READS.inc()
        found = {str(r["name"]): int(r["position"]) for r in rows}
        moved = found != self.positions
        self.positions = found
        self._ready.set()
        if moved:
            self.seen_at = asyncio.get_running_loop().time()
            done, self._moved = self._moved, asyncio.Event()
            done.set()
