"""What a projection is: its tables, its version, and how one event changes its rows.

Handlers write unqualified table names. The runner sets `search_path`, so the same handler
fills the live tables or, during a rebuild, fresh tables in a side schema that are swapped in
when complete. Bumping `version` makes the runner rebuild that projection on start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from events.store.envelope import StoredEvent

Handler = Callable[[asyncpg.Connection, StoredEvent], Awaitable[None]]


@dataclass(frozen=True)
class Projection:
    name: str
    version: int
    tables: tuple[str, ...]  # created by `ddl`, dropped and swapped as a unit
    ddl: tuple[str, ...]  # CREATE TABLE / CREATE INDEX statements, unqualified names
    handle: Handler
    # Event types the projection reads; None for all. Lets catch-up skip the rest in SQL.
    event_types: frozenset[str] | None = None
