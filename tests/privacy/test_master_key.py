"""The master key at start: a wrong one, or none with DATABASE_URL, stops Kehu loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from events.store import crypto
from events.store.crypto import MasterKeyError
from schema.privacy.keys import LOCAL_FILE, master_key
from schema.settings import Settings
from tests.live import ROOT, LiveServer


def _kehu(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "server.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_privacy_a_wrong_master_key_fails_at_start(live_server: LiveServer, dsn: str,
                                                   tmp_path: Path) -> None:
    # The session's server has recorded the right key's check value; another key is refused
    # before the server listens, in one line naming the setting.
    wrong = crypto.new_master_key()
    served = _kehu("serve", "--port", "1", DATABASE_URL=dsn, KEHU_MASTER_KEY=wrong,
                   KEHU_DATA_DIR=str(tmp_path))
    assert served.returncode == 1
    lines = [line for line in served.stderr.splitlines() if line.strip()]
    assert "Traceback" not in served.stderr and len(lines) == 1, served.stderr
    assert "KEHU_MASTER_KEY is not the master key of this database" in lines[0]
    checked = _kehu("verify", DATABASE_URL=dsn, KEHU_MASTER_KEY=wrong)
    assert checked.returncode == 1 and "KEHU_MASTER_KEY" in checked.stderr


def test_privacy_database_url_without_a_master_key_refuses_to_start(dsn: str) -> None:
    result = _kehu("verify", DATABASE_URL=dsn, KEHU_MASTER_KEY="")
    assert result.returncode == 1
    assert "KEHU_MASTER_KEY is not set" in result.stderr and "Traceback" not in result.stderr


def test_privacy_keygen_prints_a_master_key() -> None:
    result = _kehu("keygen", "--master")
    assert result.returncode == 0
    assert len(crypto.parse_master_key(result.stdout.strip())) == 32


def test_privacy_the_embedded_database_keeps_its_own_master_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = master_key(settings)
    path = tmp_path / "data" / LOCAL_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert master_key(settings) == first  # the same key on every start
    with pytest.raises(MasterKeyError, match="KEHU_MASTER_KEY is not set"):
        master_key(Settings(database_url="postgresql://db/kehu", data_dir=tmp_path / "x"))
    given = crypto.new_master_key()
    assert master_key(Settings(database_url="postgresql://db/kehu", master_key=given)) \
        == crypto.parse_master_key(given)
