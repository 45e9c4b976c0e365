"""Shared set-up for benchmarks: a fresh database on the embedded server or DATABASE_URL."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from events.store.crypto import new_master_key
from events.store.embedded import start_embedded
from events.store.migrations.run import upgrade

# Servers and `kehu` commands a benchmark starts run with DATABASE_URL, which needs the master
# key of personal data (docs/privacy.md): one per benchmark process, inherited by its children.
os.environ.setdefault("KEHU_MASTER_KEY", new_master_key())


def server_dsn() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return start_embedded(Path(os.environ.get("KEHU_BENCH_DIR", tempfile.mkdtemp())))


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    base = server_dsn()
    name = f"kehu_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = urlunsplit(urlsplit(base)._replace(path="/" + name))
    await upgrade(dsn)
    try:
        yield dsn
    finally:
        admin = await asyncpg.connect(base)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r: tuple[str, ...]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))

    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])


def print_report(out: dict[str, Any]) -> None:
    """A benchmark's result (title, tables, targets, notes) as plain text."""
    print(f"== {out['title']}")
    for t in out["tables"]:
        print(table([tuple(r) for r in t["rows"]], tuple(t["header"])), end="\n\n")
    for t in out["targets"]:
        status = "INFO" if t["met"] is None else "MET " if t["met"] else "MISS"
        print(f"{status} {t['name']}: {t['value']} ({t['ratio']})")
    print(*out.get("notes", []), sep="\n")
