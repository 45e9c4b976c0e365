"""A page of events written in a few round trips instead of one per event.

Projection handlers only write (`conn.execute`), so while a page is handled the runner gives
them a `DeferredWrites` in place of the connection: it records each statement in order, and
at the end of the page sends every run of the same statement as one `executemany` (asyncpg
pipelines a run's rows in one round trip). Order is kept exactly: a run only ever joins
statements that were consecutive, so the rows come out as if each event had been written
alone, and tests/projections compare rebuilds with incremental runs to prove it.

Handlers see a page of one projection, whose events mostly alternate among few statements
(every sale is the same upsert; a visit planned, then logged), so runs are long where the
volume is. A handler that reads (fetch*) first flushes what is pending, so it reads its own
page's writes, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg


class DeferredWrites:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._runs: list[tuple[str, list[Sequence[Any]]]] = []
        self.statements = 0
        self.round_trips = 0

    async def execute(self, sql: str, *args: Any) -> str:
        if self._runs and self._runs[-1][0] == sql:
            self._runs[-1][1].append(args)
        else:
            self._runs.append((sql, [args]))
        self.statements += 1
        return ""

    async def flush(self) -> None:
        runs, self._runs = self._runs, []
        for sql, rows in runs:
            self.round_trips += 1
            if len(rows) == 1:
                await self._conn.execute(sql, *rows[0])
            else:
                await self._conn.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        await self.flush()
        rows: list[asyncpg.Record] = await self._conn.fetch(sql, *args)
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        await self.flush()
        row: asyncpg.Record | None = await self._conn.fetchrow(sql, *args)
        return row

    async def fetchval(self, sql: str, *args: Any) -> Any:
        await self.flush()
        return await self._conn.fetchval(sql, *args)
