"""One stream-id convention for every query: a stream is `<prefix>-<entityId>` (meal-<mealId>,
customer-<customerId>, ...), the `streamId` every event carries. Queries about one entity's
history accept that stream id or the bare entity id, so an id taken from any event or any
other query works in all of them (docs/integrations.md, "Stream ids")."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

# Streams named after one entity; the rule book ("policy") and the catalogue have fixed ids.
ENTITY_PREFIXES = ("meal", "customer", "visit", "webhook", "sale", "sales-import")


async def resolve_stream(pool: asyncpg.Pool, value: str) -> str:
    """The stream `value` names: itself when such a stream exists, else the stream of the
    entity with that id, else `value` unchanged (an empty history)."""
    candidates = [value, *(f"{prefix}-{value}" for prefix in ENTITY_PREFIXES)]
    found = await pool.fetchval(
        "SELECT stream_id FROM kehu_log.events WHERE stream_id = ANY($1::text[]) AND version = 1"
        " ORDER BY array_position($1::text[], stream_id) LIMIT 1", candidates)
    return str(found) if found is not None else value


async def entity_stream(pool: asyncpg.Pool, given: str,
                        stream_id: Callable[[str], str]) -> tuple[str, str]:
    """(entity id, stream id) for `given`, an entity id or its stream id: the entity's stream
    when it exists, else `given` read as a stream id (meal-<id>)."""
    prefix = stream_id("")
    as_entity = stream_id(given)
    if not given.startswith(prefix) or await pool.fetchval(
            "SELECT true FROM kehu_log.events WHERE stream_id = $1 AND version = 1", as_entity):
        return given, as_entity
    return given.removeprefix(prefix), given
