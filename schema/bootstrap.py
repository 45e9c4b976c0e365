"""What the server does once on start, after migrations: install the seed rule book, and the
demo world when asked for. Each step is idempotent and safe when several processes start."""

from __future__ import annotations

from events.demo.seed import seed_if_empty
from schema.context import Services
from schema.policy.api import install_seed_rule_book


async def on_start(services: Services) -> None:
    await install_seed_rule_book(services)
    if services.settings.demo:
        await seed_if_empty(services.pool, services.store, services.settings.timezone)
