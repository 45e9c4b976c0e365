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
# Writes a run of consecutive events of its types in a few statements (projections/bulk.py).
BulkWriter = Callable[[asyncpg.Connection, list[StoredEvent]], Awaitable[None]]


@dataclass(frozen=True)
class Projection:
    name: str
    version: int
    tables: tuple[str, ...]  # created by `ddl`, dropped and swapped as a unit
    ddl: tuple[str, ...]  # CREATE TABLE / CREATE INDEX statements, unqualified names
    handle: Handler
    # Event types the projection reads; None for all. Lets catch-up skip the rest in SQL.
    event_types: frozenset[str] | None = None
    # Event types that only create rows, which a page may handle ahead of the rest, group by
    # group, so that each group's statements form long pipelined runs (projections/batching.py).
    # Sound when, for any one row, the log already has the events in this order (a visit is
    # planned before it is logged; a customer is registered before anything happens to it) and
    # statements about different rows do not read each other. Types in no group keep their
    # log order after the groups.
    page_order: tuple[frozenset[str], ...] = ()
    # Set-based writers for the busiest event types: within a page, each maximal run of events
    # whose types share a writer is written by it at once; every other event goes through
    # `handle`, in order. `handle` stays the reference: a writer must leave the same rows.
    bulk: tuple[tuple[frozenset[str], BulkWriter], ...] = ()

    def order_page(self, events: list[StoredEvent]) -> list[StoredEvent]:
        if not self.page_order:
            return events
        rank = {t: i for i, group in enumerate(self.page_order) for t in group}
        last = len(self.page_order)
        return sorted(events, key=lambda e: rank.get(e.event_type, last))  # stable
