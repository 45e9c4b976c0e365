"""What the server does once on start, after migrations (e.g. install the seed rule book)."""

from __future__ import annotations

from schema.context import Services


async def on_start(services: Services) -> None:
    """Idempotent start-up work; safe when several processes start together."""
