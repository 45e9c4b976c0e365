"""Kehu as a user runs it: `python server.py` in a process group of its own (as a terminal
gives it), real signals, and the embedded PostgreSQL it starts under a data folder."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from tests.live import ROOT, free_port


@dataclass
class Kehu:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    data_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to the whole foreground group (initdb and pg_ctl get it too)."""
        os.killpg(self.process.pid, signal.SIGINT)

    def exit_code(self, timeout: float = 60) -> int:
        return self.process.wait(timeout)


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KEHU_JWT_SECRET"}}
    # No reminder worker (tests/reminders switch it on): it writes events of its own on a timer.
    return {**env, "KEHU_DATA_DIR": str(data_dir), "KEHU_POLL_INTERVAL": "0.5",
            "KEHU_REMINDERS": "false", **extra}


def start(data_dir: Path, log_path: Path, *args: str, **env: str) -> Kehu:
    port = free_port()
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), "--port", str(port), *args], cwd=ROOT,
            env=environment(data_dir, **env), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    kehu = Kehu(process, port, log_path, data_dir)
    STARTED.append(kehu)
    return kehu


STARTED: list[Kehu] = []


def stop_all() -> None:
    """After each test: no Kehu it started outlives it, even when the test failed."""
    while STARTED:
        kehu = STARTED.pop()
        if kehu.process.poll() is None:
            kehu.process.kill()
        kehu.process.wait(30)
        assert_postgres_stopped(kehu.data_dir)


def wait_until(condition: Callable[[], object], what: str, timeout: float = 120,
               kehu: Kehu | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if kehu is not None and kehu.process.poll() is not None:
            raise AssertionError(f"kehu exited before {what}:\n{kehu.output()}")
        time.sleep(0.05)
    raise AssertionError(f"not {what} after {timeout}s")


def ready(kehu: Kehu) -> bool:
    try:
        return httpx.get(kehu.url + "/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def child_named(kehu: Kehu, name: str) -> bool:
    try:
        return any(c.name() == name for c in psutil.Process(kehu.process.pid).children(True))
    except psutil.Error:
        return False


def postgres_of(data_dir: Path) -> list[psutil.Process]:
    """PostgreSQL server processes working on this data folder."""
    marker = str(data_dir.absolute() / "pgdata")
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and marker in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def postmaster_pid(data_dir: Path) -> int | None:
    path = data_dir / "pgdata" / "postmaster.pid"
    try:
        return int(path.read_text().splitlines()[0])
    except (OSError, IndexError, ValueError):
        return None


def wait_gone(pid: int, timeout: float = 60) -> bool:
    """True when the process ended within the timeout (pidfd: woken by its exit, no polling)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(fd)


def assert_postgres_stopped(data_dir: Path) -> None:
    pid = postmaster_pid(data_dir)
    if pid is not None:
        assert wait_gone(pid), f"PostgreSQL {pid} still running for {data_dir}"
    wait_until(lambda: not postgres_of(data_dir), "PostgreSQL stopped", timeout=60)
