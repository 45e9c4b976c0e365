"""Test fixtures on real PostgreSQL.

With DATABASE_URL set, a fresh database is created on that server for the session; without it,
an embedded PostgreSQL is started in a temporary folder. Tests use unique ids (see
tests/random_refs.py) rather than truncating tables, as the log is append-only anyway.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from events.store.db import create_pool
from events.store.embedded import start_embedded
from events.store.event_store import EventStore
from events.store.migrations.run import upgrade
from tests.live import LiveServer, run_server


def _with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def server_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    data_dir: Path = tmp_path_factory.mktemp("kehu-pg")
    yield start_embedded(data_dir)


@pytest.fixture(scope="session")
async def dsn(server_dsn: str) -> AsyncIterator[str]:
    name = f"kehu_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _with_database(server_dsn, name)
    await upgrade(url)
    yield url
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def pool(dsn: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(dsn, min_size=2, max_size=20)
    yield p
    await p.close()


@pytest.fixture(scope="session")
def store(pool: asyncpg.Pool) -> EventStore:
    return EventStore(pool)


@pytest.fixture
async def fresh_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A database of its own, for tests that break things on purpose (tampering)."""
    name = f"kehu_fresh_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _with_database(server_dsn, name)
    await upgrade(url)
    yield url
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def live_server(dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real uvicorn process for the session's end-to-end tests."""
    with run_server(dsn, tmp_path_factory.mktemp("live")) as server:
        yield server
