"""Apply migrations programmatically (on server start and by `kehu migrate`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def sqlalchemy_url(dsn: str) -> str:
    """`postgresql://...` as hosting platforms give it -> the asyncpg dialect's URL."""
    for prefix in ("postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+asyncpg://" + dsn[len(prefix):]
    return dsn


def upgrade_sync(dsn: str, revision: str = "heads") -> None:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(dsn).replace("%", "%%"))
    command.upgrade(config, revision)


async def upgrade(dsn: str) -> None:
    # Alembic's env runs its own event loop; keep it off the server's loop.
    await asyncio.to_thread(upgrade_sync, dsn)
