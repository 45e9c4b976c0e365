"""The key table's administration: master key check, erasure, re-applying erasures, rotation.

Erasure destroys keys, never events: the wrapped key rows of a subject are deleted and their
ids written to `kehu_keys.destroyed_keys` (insert-only) in one transaction. A key table
restored from a backup is brought back in line by `reapply_erasures`, from that table and
from the PersonalDataErased events in the log, which name the key ids they destroyed.
"""

from __future__ import annotations

import asyncpg

from events.store import crypto, keyring
from events.store.crypto import MasterKeyError


async def check_master(pool: asyncpg.Pool, master: bytes) -> None:
    """Refuse a master key other than the one the key table was wrapped with (the first
    master key used on a database is recorded by its check value)."""
    expected = crypto.check_value(master)
    await pool.execute("INSERT INTO kehu_keys.master_check (id, check_value) VALUES (1, $1)"
                       " ON CONFLICT (id) DO NOTHING", expected)
    stored = await pool.fetchval("SELECT check_value FROM kehu_keys.master_check WHERE id = 1")
    if bytes(stored) != expected:
        raise MasterKeyError("KEHU_MASTER_KEY is not the master key of this database's key"
                             " table (its key check value differs); refusing to start")


async def destroy_subject(pool: asyncpg.Pool, subject: str) -> list[str]:
    """Destroy every data key of `subject`; returns the ids of all keys of the subject ever
    destroyed (a retried erasure names them again)."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch("DELETE FROM kehu_keys.data_keys WHERE subject = $1"
                                " RETURNING key_id", subject)
        await conn.executemany("INSERT INTO kehu_keys.destroyed_keys (key_id, subject)"
                               " VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING",
                               [(r["key_id"], subject) for r in rows])
        ids = await conn.fetch("SELECT key_id::text FROM kehu_keys.destroyed_keys"
                               " WHERE subject = $1 ORDER BY key_id", subject)
    destroyed = [r["key_id"] for r in ids]
    ring = keyring.current()
    if ring is not None:
        ring.forget(destroyed)
    return destroyed


async def reapply_erasures(pool: asyncpg.Pool) -> int:
    """Delete every key an erasure destroyed that is back (a restored key table); returns how
    many. Sources: the destroyed-keys record and the erasure events of the log."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO kehu_keys.destroyed_keys (key_id, subject)"
            " SELECT k.key_id::uuid, e.payload->>'subject_id' FROM kehu_log.events e,"
            " jsonb_array_elements_text(e.payload->'key_ids') AS k(key_id)"
            " WHERE e.event_type = 'PersonalDataErased' ON CONFLICT (key_id) DO NOTHING")
        deleted = await conn.fetch(
            "DELETE FROM kehu_keys.data_keys d USING kehu_keys.destroyed_keys x"
            " WHERE d.key_id = x.key_id RETURNING d.key_id::text")
    ring = keyring.current()
    if ring is not None:
        ring.forget(r["key_id"] for r in deleted)
    return len(deleted)


async def rotate_master(pool: asyncpg.Pool, old: bytes, new: bytes) -> int:
    """Re-wrap every data key under `new`, in one transaction; the log is not touched.
    Returns the number of keys re-wrapped."""
    async with pool.acquire() as conn, conn.transaction():
        stored = await conn.fetchval(
            "SELECT check_value FROM kehu_keys.master_check WHERE id = 1 FOR UPDATE")
        if stored is not None and bytes(stored) != crypto.check_value(old):
            raise MasterKeyError("the current KEHU_MASTER_KEY is not this database's master"
                                 " key; nothing was re-wrapped")
        rows = await conn.fetch("SELECT key_id, wrapped FROM kehu_keys.data_keys FOR UPDATE")
        await conn.executemany(
            "UPDATE kehu_keys.data_keys SET wrapped = $2 WHERE key_id = $1",
            [(r["key_id"], crypto.wrap(new, crypto.unwrap(old, bytes(r["wrapped"]))))
             for r in rows])
        await conn.execute(
            "INSERT INTO kehu_keys.master_check (id, check_value) VALUES (1, $1)"
            " ON CONFLICT (id) DO UPDATE SET check_value = $1, changed_at = now()",
            crypto.check_value(new))
    return len(rows)
