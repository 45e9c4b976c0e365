"""Every configuration or start-up mistake is one clear line and a non-zero exit; --debug shows
the traceback. `kehu token` never creates a secret; help texts show defaults and choices."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.live import ROOT, free_port
from tests.operability.processes import environment

KEHU = [sys.executable, str(ROOT / "server.py")]


def kehu(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KEHU, *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=180, env=environment(tmp_path / "data", **env))


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_database_url_at_a_closed_port(tmp_path: Path) -> None:
    url = f"postgresql://kehu:secret@127.0.0.1:{free_port()}/kehu"
    for command in (["migrate"], ["verify"], ["serve"]):
        line = one_line(kehu(tmp_path, *command, DATABASE_URL=url))
        assert "cannot connect to PostgreSQL at 127.0.0.1:" in line and "DATABASE_URL" in line
        assert "secret" not in line  # never the password
    debug = kehu(tmp_path, "--debug", "migrate", DATABASE_URL=url)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_unwritable_data_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    folder = blocker / "kehu"  # unwritable even for root
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o500)
    line = one_line(kehu(tmp_path, "verify", KEHU_DATA_DIR=str(folder)))
    assert str(folder) in line and "KEHU_DATA_DIR" in line


def test_rebuild_of_an_unknown_projection_names_the_known_ones(tmp_path: Path) -> None:
    result = kehu(tmp_path, "rebuild", "nosuch")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "invalid choice: 'nosuch'" in result.stderr and "'customers'" in result.stderr


def test_seed_demo_on_a_seeded_database(tmp_path: Path, fresh_dsn: str) -> None:
    assert kehu(tmp_path, "seed-demo", "--customers", "2", "--years", "1",
                DATABASE_URL=fresh_dsn).returncode == 0
    line = one_line(kehu(tmp_path, "seed-demo", DATABASE_URL=fresh_dsn))
    assert "already holds customers" in line


def test_negative_ttl_is_refused(tmp_path: Path) -> None:
    result = kehu(tmp_path, "token", "--user", "u", "--role", "manager", "--ttl", "-5")
    assert result.returncode == 2 and "must be a positive number of seconds" in result.stderr


def test_token_never_creates_a_secret_and_names_its_folder(tmp_path: Path) -> None:
    line = one_line(kehu(tmp_path, "token", "--user", "u", "--role", "manager"))
    assert "no signing secret in" in line and str(tmp_path / "data") in line
    assert not (tmp_path / "data" / "jwt-secret").exists()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "jwt-secret").write_text("s" * 64)
    made = kehu(tmp_path, "token", "--user", "u", "--role", "manager")
    assert made.returncode == 0 and made.stdout.count(".") == 2  # stdout is just the JWT
    assert str(tmp_path / "data" / "jwt-secret") in made.stderr


def test_help_shows_defaults_and_choices(tmp_path: Path) -> None:
    serve = kehu(tmp_path, "serve", "--help").stdout
    assert "default: 8000" in serve and "default: 127.0.0.1" in serve
    token = kehu(tmp_path, "token", "--help").stdout
    assert "general_manager" in token and "default: 28800" in token
    assert "classification" in kehu(tmp_path, "rebuild", "--help").stdout


def test_server_py_takes_serve_options_without_the_command(tmp_path: Path) -> None:
    result = kehu(tmp_path, "--port", "8123", "--help")
    assert result.returncode == 0 and "usage: kehu serve" in result.stdout


def test_server_py_outside_the_virtual_environment(tmp_path: Path) -> None:
    # -S: no site-packages, as a Python without Kehu's dependencies would be.
    result = subprocess.run([sys.executable, "-S", str(ROOT / "server.py"), "--help"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    if (ROOT / ".venv" / "bin" / "python").exists():
        assert result.returncode == 0 and "usage: kehu" in result.stdout  # re-ran in .venv
    else:
        assert result.returncode == 1 and "is not installed for" in one_line(result)
