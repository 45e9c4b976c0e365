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

from events.store import keyring
from events.store.crypto import parse_master_key
from events.store.db import create_pool
from events.store.embedded import start_embedded
from events.store.event_store import EventStore
from events.store.migrations.run import upgrade
from tests.live import MASTER_KEY, Clock, LiveServer, run_server

# The session's master key (tests/live.py makes it; every server and `kehu` process a test
# starts inherits it). The test process's own keyring asks the key table on every read
# (check_seconds=0), so it sees an erasure made by the live server at once.
keyring.install(keyring.Keyring(parse_master_key(MASTER_KEY), check_seconds=0))


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
    # Room for the session's servers side by side (each holds a pool, its projection runners
    # and listeners: about 20 connections), beyond PostgreSQL's default of 100.
    yield start_embedded(data_dir, max_connections=400)


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
def clock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live server's injected clock: empty means the system clock (see schema/clock.py)."""
    path = tmp_path_factory.mktemp("clock") / "now"
    path.write_text("", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def live_server(dsn: str, tmp_path_factory: pytest.TempPathFactory,
                clock_file: Path) -> Iterator[LiveServer]:
    """One real uvicorn process for the session's end-to-end tests."""
    with run_server(dsn, tmp_path_factory.mktemp("live"),
                    KEHU_CLOCK_FILE=str(clock_file)) as server:
        yield server


@pytest.fixture
def clock(clock_file: Path) -> Iterator[Clock]:
    yield Clock(clock_file)
    clock_file.write_text("", encoding="utf-8")  # back to the system clock for other tests
