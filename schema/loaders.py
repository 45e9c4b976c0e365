"""DataLoaders: per-row reads of one request gathered into one query.

A page of 100 meals with `history`, in 30 aliases, was 3,000 stream reads in one 4 KB request;
with the loader it is one read per 500 streams (the cost limit refuses the 30 aliases anyway).
One loader per request (its cache must not outlive the caller's view of the log).
"""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from events.store.envelope import StoredEvent
from events.store.event_store import EVENT_COLUMNS, row_to_event
from events.store.shredding import open_events
from schema.context import KehuContext

MAX_BATCH = 500


def stream_loader(ctx: KehuContext) -> DataLoader[str, list[StoredEvent]]:
    """Every event of each requested stream, in version order."""
    loader: DataLoader[str, list[StoredEvent]] | None = ctx.per_request.get("streams")
    if loader is None:
        async def load(ids: list[str]) -> list[list[StoredEvent]]:
            rows = await ctx.pool.fetch(
                f"SELECT {EVENT_COLUMNS} FROM kehu_log.events WHERE stream_id = ANY($1::text[])"
                " ORDER BY stream_id, version", list(ids))
            grouped: dict[str, list[StoredEvent]] = defaultdict(list)
            for event in await open_events(ctx.pool, [row_to_event(r) for r in rows]):
                grouped[event.stream_id].append(event)
            return [grouped.get(i, []) for i in ids]

        loader = DataLoader(load_fn=load, max_batch_size=MAX_BATCH)
        ctx.per_request["streams"] = loader
    return loader
