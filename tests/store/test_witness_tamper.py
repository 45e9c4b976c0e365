"""A database superuser rewrites the log consistently (every trigger off, every hash recomputed,
the head moved): the chain verifies, but the witnessed checkpoints do not, and the report names
the checkpoint contradicted and where the first changed event lies."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from events.store.codec import to_data
from events.store.db import create_pool
from events.store.event_store import (
    EVENT_COLUMNS,
    EventStore,
    row_to_event,
)
from events.store.hashing import GENESIS_HASH, event_hash
from events.store.sealing import SealConfig, seal_now, trusted_keys
from events.store.verify import verify_chain
from events.store.witness import WitnessReport, check_against_witness, parse_witness
from tests.store.checkpoint_support import append_things


@pytest.fixture
async def witnessed(fresh_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[asyncpg.Pool,
                                                                            SealConfig]]:
    pool = await create_pool(fresh_dsn)
    config = SealConfig(data_dir=tmp_path, witness_dir=tmp_path / "witness")
    for _ in range(3):  # checkpoints at 10, 20, 30
        await append_things(EventStore(pool), 10)
        await seal_now(pool, config)
    yield pool, config
    await pool.close()


async def as_superuser(pool: asyncpg.Pool, *statements: str) -> None:
    """Every trigger off for this session (superuser only), then re-chain from genesis so the
    hash chain and the head are consistent again: the insider's best rewrite."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for statement in statements:
            await conn.execute(statement)
        prev = GENESIS_HASH
        for row in await conn.fetch(f"SELECT {EVENT_COLUMNS} FROM kehu_log.events"
                                    " ORDER BY position"):
            e = row_to_event(row)
            new = event_hash(prev, position=e.position, stream_id=e.stream_id,
                             stream_type=e.stream_type, version=e.version,
                             event_type=e.event_type, schema_version=e.schema_version,
                             payload=e.payload, metadata=to_data(e.metadata),
                             recorded_at=e.recorded_at)
            await conn.execute("UPDATE kehu_log.events SET hash = $2, prev_hash = $3"
                               " WHERE position = $1", e.position, new, prev)
            prev = new
        await conn.execute("UPDATE kehu_log.event_head SET position ="
                           " (SELECT coalesce(max(position), 0) FROM kehu_log.events), hash = $1",
                           prev)


async def _check(pool: asyncpg.Pool, config: SealConfig) -> WitnessReport:
    assert (await verify_chain(pool)).ok, "the rewrite should fool the chain alone"
    text = (config.witness_dir / "checkpoints.jsonl").read_text()
    return await check_against_witness(pool, parse_witness(text), trusted_keys(config))


async def test_a_consistent_rewrite_is_named(witnessed: tuple[asyncpg.Pool, SealConfig]) -> None:
    pool, config = witnessed
    await as_superuser(pool, """UPDATE kehu_log.events SET payload = '{"n": 999, "note": ""}'
                                WHERE position = 15""")
    report = await _check(pool, config)
    assert not report.ok and report.checkpoint == 20 and report.checkpoints == 1
    assert (report.first_position, report.last_position) == (11, 20)
    assert report.reason is not None and "checkpoint 20" in report.reason


async def test_a_truncated_tail_with_the_head_moved_back_is_named(
        witnessed: tuple[asyncpg.Pool, SealConfig]) -> None:
    pool, config = witnessed
    await as_superuser(pool, "DELETE FROM kehu_log.events WHERE position > 25")
    report = await _check(pool, config)
    assert not report.ok and report.checkpoint == 30 and report.checkpoints == 2
    assert report.reason is not None and "no event 26" in report.reason


async def test_a_deleted_and_renumbered_event_is_named(
        witnessed: tuple[asyncpg.Pool, SealConfig]) -> None:
    pool, config = witnessed
    await as_superuser(
        pool, "DELETE FROM kehu_log.events WHERE position = 12",
        "UPDATE kehu_log.events SET position = -position WHERE position > 12",
        "UPDATE kehu_log.events SET position = -position - 1 WHERE position < 0")
    report = await _check(pool, config)
    assert not report.ok and report.checkpoint == 20
    assert (report.first_position, report.last_position) == (11, 20)


async def test_a_row_beyond_the_head_is_reported(
        witnessed: tuple[asyncpg.Pool, SealConfig]) -> None:
    pool, _ = witnessed
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute("INSERT INTO kehu_log.events SELECT 31, stream_id, stream_type,"
                           " version + 100, event_type, schema_version, payload, metadata,"
                           " recorded_at, hash, prev_hash FROM kehu_log.events WHERE position = 30")
    report = await verify_chain(pool)
    assert not report.ok and report.bad_position == 31
    assert report.reason is not None and "beyond the log head" in report.reason


async def test_kehu_verify_with_a_witness_names_the_checkpoint(
        witnessed: tuple[asyncpg.Pool, SealConfig], fresh_dsn: str) -> None:
    pool, config = witnessed
    await as_superuser(pool, """UPDATE kehu_log.events SET metadata = jsonb_set(metadata,
                                '{actor_id}', '"someone-else"') WHERE position = 3""")
    env = {**os.environ, "DATABASE_URL": fresh_dsn, "KEHU_DATA_DIR": str(config.data_dir)}
    kehu = Path(sys.executable).parent / "kehu"
    proc = await asyncio.create_subprocess_exec(
        str(kehu), "verify", "--witness", str(config.witness_dir / "checkpoints.jsonl"),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 1, out.decode()
    assert "chain intact" in out.decode()
    assert "TAMPERED: checkpoint 10" in out.decode() and "among 1..10" in out.decode()
