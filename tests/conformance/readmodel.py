"""Read-model state for fault tests: every projection's rows, checkpoints, the log head, and the
`kehu` command line as a real process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg

from projections import registry
from projections.runner import rebuild_schema
from tests.live import ROOT, TEST_SECRET

Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(dsn: str) -> Snapshot:
    """Every row of every projection table, sorted, so two states compare with ==."""
    conn = await asyncpg.connect(dsn)
    try:
        tables: Snapshot = {}
        for projection in registry.ALL:
            for table in projection.tables:
                rows = await conn.fetch(f"SELECT * FROM public.{table}")
                tables[table] = sorted((tuple(r.values()) for r in rows), key=repr)
        return tables
    finally:
        await conn.close()


async def positions(dsn: str) -> tuple[int, dict[str, int]]:
    """The log head and each checkpoint (rebuild checkpoints are named `name#rebuild`)."""
    conn = await asyncpg.connect(dsn)
    try:
        head = int(await conn.fetchval("SELECT position FROM kehu_log.event_head"))
        rows = await conn.fetch("SELECT name, position FROM projection_checkpoints")
        return head, {r["name"]: int(r["position"]) for r in rows}
    finally:
        await conn.close()


async def wait_caught_up(dsn: str, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        head, checkpoints = await positions(dsn)
        if all(checkpoints.get(p.name, -1) >= head for p in registry.ALL):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"projections not caught up to {head}: {checkpoints}")
        await asyncio.sleep(0.05)


async def side_schemas(dsn: str) -> list[str]:
    """Rebuild schemas left behind (a rebuild that did not finish)."""
    conn = await asyncpg.connect(dsn)
    try:
        names = [rebuild_schema(p.name) for p in registry.ALL]
        rows = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)", names)
        return [r["nspname"] for r in rows]
    finally:
        await conn.close()


def kehu(dsn: str, tmp: Path, *args: str) -> subprocess.Popen[bytes]:
    """`kehu ARGS` as its own process on `dsn` (output in tmp/kehu-<args>.log)."""
    env = {**os.environ, "DATABASE_URL": dsn, "KEHU_JWT_SECRET": TEST_SECRET,
           "KEHU_DATA_DIR": str(tmp / "cli-data")}
    with (tmp / f"kehu-{'-'.join(args)}.log").open("ab") as log:  # the child keeps its copy
        return subprocess.Popen([sys.executable, str(ROOT / "server.py"), *args], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT)
