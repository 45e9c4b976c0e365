"""kill -9 of a projection runner (a server process, or the `kehu rebuild` process) half-way,
then a restart: the read model must equal a clean rebuild, row for row.

The log is written through the API (whatever mutation the schema has; see mutations.py) by a
server with projections switched off, so a later server has a real backlog to catch up on.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tests.conformance.mutations import choose, write_many
from tests.conformance.readmodel import kehu, positions, side_schemas, snapshot, wait_caught_up
from tests.live import run_server

# Several pages of the runner (projections/runner.BATCH) per projection, so a kill can land
# between two of its committed pages.
BACKLOG = 4000


@pytest.fixture(scope="module")
async def backlog_dsn(server_dsn: str, tmp_path_factory: pytest.TempPathFactory
                      ) -> AsyncIterator[str]:
    name = f"kehu_faults_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = urlunsplit(urlsplit(server_dsn)._replace(path="/" + name))
    tmp = tmp_path_factory.mktemp("faults")
    try:
        # First with projections on (checkpoints exist, so the next start is a live catch-up,
        # not a first build), then a backlog written with projections off.
        with run_server(dsn, tmp):
            await wait_caught_up(dsn)
        with run_server(dsn, tmp, KEHU_RUN_PROJECTIONS="false") as writer:
            chosen = await choose(writer)
            if chosen is None:
                pytest.skip("no mutation from tests/conformance/mutations.py CATALOG yet")
            await write_many(writer, chosen, BACKLOG, concurrency=8)
        yield dsn
    finally:
        admin = await asyncpg.connect(server_dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _until_mid_way(dsn: str, *, rebuilding: bool, timeout: float = 60) -> None:
    """Poll until some projection has committed a batch but not reached the head."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        head, checkpoints = await positions(dsn)
        for name, position in checkpoints.items():
            if name.endswith("#rebuild") == rebuilding and 0 < position < head:
                return
        await asyncio.sleep(0.002)
    raise TimeoutError("never saw a projection half-way")


async def _clean_rebuild(dsn: str, tmp: Path) -> None:
    process = kehu(dsn, tmp, "rebuild")
    assert await asyncio.to_thread(process.wait, 120) == 0, (tmp / "kehu-rebuild.log").read_text()


async def test_kill_9_during_live_catch_up_then_restart_equals_clean_rebuild(
    backlog_dsn: str, tmp_path: Path
) -> None:
    with run_server(backlog_dsn, tmp_path, KEHU_READY_MAX_LAG="100000000") as server:
        await _until_mid_way(backlog_dsn, rebuilding=False)
        server.process.kill()  # SIGKILL: no cleanup, the batch in flight is cut off
        server.process.wait(10)
        head, checkpoints = await positions(backlog_dsn)
        assert any(0 < checkpoints[p] < head for p in checkpoints), "catch-up had finished"
    with run_server(backlog_dsn, tmp_path):
        await wait_caught_up(backlog_dsn)
    recovered = await snapshot(backlog_dsn)
    assert sum(len(rows) for rows in recovered.values()) > 0
    await _clean_rebuild(backlog_dsn, tmp_path)
    assert await snapshot(backlog_dsn) == recovered


async def test_kill_9_during_rebuild_keeps_live_tables_then_rebuild_equals_them(
    backlog_dsn: str, tmp_path: Path
) -> None:
    with run_server(backlog_dsn, tmp_path):
        await wait_caught_up(backlog_dsn)
    before = await snapshot(backlog_dsn)
    process = kehu(backlog_dsn, tmp_path, "rebuild")
    await _until_mid_way(backlog_dsn, rebuilding=True)
    process.kill()
    process.wait(10)
    assert await side_schemas(backlog_dsn), "the rebuild had finished before the kill"
    assert await snapshot(backlog_dsn) == before  # readers kept the old tables
    await _clean_rebuild(backlog_dsn, tmp_path)
    assert await side_schemas(backlog_dsn) == []
    assert await snapshot(backlog_dsn) == before
