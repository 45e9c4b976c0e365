"""What the server does once on start, after migrations (e.g. install the seed rule book)."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable

from schema.context import Services

# Modules that export `async def on_start(services)`; each must be idempotent and safe when
# several server processes start together.
MODULES = ("schema.policy_api", "schema.webhooks_api", "schema.demo")

StartHook = Callable[[Services], Awaitable[None]]


def _hooks() -> list[StartHook]:
    hooks: list[StartHook] = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        hook = getattr(module, "on_start", None)
        if hook is not None:
            hooks.append(hook)
    return hooks


async def on_start(services: Services) -> None:
    for hook in _hooks():
        await hook(services)
