"""The embedded PostgreSQL stops when the last Kehu process using it stops, whatever stops it:
SIGTERM, Ctrl-C at any moment of the first start, or a crash (SIGKILL). Real processes, real
signals; each case waits on a condition (bounded), never a fixed sleep."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.operability.processes import (
    Kehu,
    assert_postgres_stopped,
    child_named,
    postmaster_pid,
    ready,
    start,
    stop_all,
    wait_until,
)


@pytest.fixture(autouse=True)
def _no_kehu_left_behind() -> Iterator[None]:
    yield
    stop_all()


def _serve(tmp_path: Path, name: str = "kehu") -> Kehu:
    return start(tmp_path / "data", tmp_path / f"{name}.log")


def _pids_file(data_dir: Path) -> list[int]:
    return list(json.loads((data_dir / "pgdata" / ".handle_pids.json").read_text()))


def test_sigterm_stops_the_server_and_its_postgres(tmp_path: Path) -> None:
    kehu = _serve(tmp_path)
    wait_until(lambda: ready(kehu), "ready", kehu=kehu)
    assert "GraphQL at http://127.0.0.1:" in kehu.output()  # says where, and how to get a token
    assert "kehu token --user" in kehu.output()
    kehu.process.send_signal(signal.SIGTERM)
    kehu.exit_code()
    assert_postgres_stopped(kehu.data_dir)
    assert _pids_file(kehu.data_dir) == []
    assert "Traceback" not in kehu.output()


def test_a_crash_still_stops_postgres(tmp_path: Path) -> None:
    kehu = _serve(tmp_path)
    wait_until(lambda: ready(kehu), "ready", kehu=kehu)
    kehu.process.send_signal(signal.SIGKILL)
    kehu.exit_code()
    assert_postgres_stopped(kehu.data_dir)


def test_postgres_stays_while_another_process_uses_it(tmp_path: Path) -> None:
    first = _serve(tmp_path, "first")
    wait_until(lambda: ready(first), "first ready", kehu=first)
    second = _serve(tmp_path, "second")
    wait_until(lambda: ready(second), "second ready", kehu=second)
    pid = postmaster_pid(first.data_dir)
    first.process.send_signal(signal.SIGTERM)
    first.exit_code()
    assert ready(second) and postmaster_pid(first.data_dir) == pid  # still served
    second.process.send_signal(signal.SIGTERM)
    second.exit_code()
    assert_postgres_stopped(first.data_dir)


def _initdb_running(kehu: Kehu) -> bool:
    return child_named(kehu, "initdb")


def _postgres_started(kehu: Kehu) -> bool:
    return postmaster_pid(kehu.data_dir) is not None


@pytest.mark.parametrize("moment", [_initdb_running, _postgres_started, ready],
                         ids=["during-initdb", "postgres-starting-or-migrating", "when-ready"])
def test_ctrl_c_at_any_moment_stops_everything_quietly(tmp_path: Path, moment: object) -> None:
    kehu = _serve(tmp_path)
    wait_until(lambda: moment(kehu), f"at {moment}", kehu=kehu)  # type: ignore[operator]
    kehu.interrupt()
    code = kehu.exit_code()  # a running server shuts down gracefully (0); a start-up is cut (130)
    output = kehu.output()
    assert "Traceback" not in output, output
    assert "initdb" not in output and "pg_ctl" not in output, output
    assert_postgres_stopped(kehu.data_dir)
    if moment is not ready:
        assert code == 130 and "kehu: interrupted" in output.splitlines()[-1], output
        again = _serve(tmp_path, "again")  # an interrupted first start leaves nothing broken
        wait_until(lambda: ready(again), "ready after an interrupted start", kehu=again)
        again.process.send_signal(signal.SIGTERM)
        again.exit_code()
        assert_postgres_stopped(kehu.data_dir)
