"""The master key at start and in the `kehu` commands that manage it.

Where the master key comes from (docs/privacy.md):
- KEHU_MASTER_KEY: the key as text (`kehu keygen --master` prints one) or a file holding it;
- without it, the embedded development database (no DATABASE_URL) keeps one in the data
  folder (`master-key`, mode 0600), made on first start, as it does the JWT secret;
- with DATABASE_URL and no KEHU_MASTER_KEY the server refuses to start: a production key must
  live outside the database's host and backups, which Kehu cannot arrange for itself.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg

from events.store import crypto, erasure, keyring
from events.store.crypto import MasterKeyError
from schema.settings import Settings

LOCAL_FILE = "master-key"


def master_key(settings: Settings) -> bytes:
    if settings.master_key:
        return crypto.parse_master_key(settings.master_key)
    if settings.database_url:
        raise MasterKeyError("KEHU_MASTER_KEY is not set: with DATABASE_URL the master key of"
                             " personal data must be given (make one with `kehu keygen"
                             " --master`; see docs/privacy.md)")
    return crypto.parse_master_key(_local_key(settings.data_dir))


def _local_key(data_dir: Path) -> str:
    path = data_dir / LOCAL_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = crypto.new_master_key()
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


async def install_keyring(settings: Settings, pool: asyncpg.Pool) -> keyring.Keyring:
    """Check the master key against the key table (a wrong one fails here, loudly), re-apply
    erasures a restored key table may have lost, and install the process's keyring."""
    master = master_key(settings)
    await erasure.check_master(pool, master)
    ring = keyring.Keyring(master, check_seconds=settings.key_check_seconds)
    keyring.install(ring)
    await erasure.reapply_erasures(pool)
    return ring


async def rotate(pool: asyncpg.Pool, settings: Settings, new_key: str) -> int:
    """`kehu rotate-master-key --new KEY`: re-wrap every data key; then restart with the new
    key as KEHU_MASTER_KEY (the old one no longer opens anything)."""
    return await erasure.rotate_master(pool, master_key(settings),
                                       crypto.parse_master_key(new_key))
