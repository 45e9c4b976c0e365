"""Fixtures of the security tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from events.store.db import create_pool
from events.store.event_store import EventStore
from events.store.migrations.run import upgrade
from tests.conftest import _with_database
from tests.live import run_server
from tests.security.matrix_cases import Env


@pytest.fixture(scope="session")
async def policy_env(server_dsn: str, tmp_path_factory: pytest.TempPathFactory
                     ) -> AsyncIterator[Env]:
    """A server on a database of its own for the rule book's cases: an approved version would
    bind later dates for every other test of the session."""
    name = f"kehu_matrix_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = _with_database(server_dsn, name)
    await upgrade(dsn)
    pool = await create_pool(dsn)
    try:
        with run_server(dsn, tmp_path_factory.mktemp("matrix-policy")) as server:
            yield Env(EventStore(pool), server)
    finally:
        await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
