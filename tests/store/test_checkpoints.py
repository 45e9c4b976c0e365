"""Checkpoints sealed on real PostgreSQL; every proof the database serves checks out offline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import combinations
from pathlib import Path

import asyncpg
import pytest

from events.store.auditor import check_document
from events.store.checkpoints import consistency_proof, event_proof, page, seal
from events.store.db import create_pool
from events.store.event_store import EventStore
from events.store.sealing import SealConfig, seal_now, signing_key, trusted_keys
from events.store.signing import (
    generate_key_pem,
    key_id,
    load_private_key,
    load_public_keys,
    public_key_pem,
)
from events.store.witness import check_against_witness, parse_witness
from tests.store.checkpoint_support import append_things

SEAL_AT = [1, 63, 64, 65, 130, 257, 300]


@pytest.fixture
async def sealed(fresh_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[asyncpg.Pool,
                                                                         SealConfig]]:
    pool = await create_pool(fresh_dsn)
    config = SealConfig(data_dir=tmp_path, witness_dir=tmp_path / "witness")
    store = EventStore(pool)
    done = 0
    for position in SEAL_AT:
        await append_things(store, position - done)
        done = position
        checkpoint = await seal_now(pool, config)
        assert checkpoint is not None and checkpoint.position == position
    assert await seal_now(pool, config) is None  # nothing new
    yield pool, config
    await pool.close()


async def test_every_event_is_proven_in_every_checkpoint_and_they_are_consistent(
        sealed: tuple[asyncpg.Pool, SealConfig]) -> None:
    pool, config = sealed
    keys = trusted_keys(config)
    async with pool.acquire() as conn:
        assert [c.position for c in await page(conn, 0, 100)] == SEAL_AT
        assert [c.position for c in await page(conn, 64, 2)] == [65, 130]
        for at in SEAL_AT:
            for position in range(1, at + 1):
                assert check_document(await event_proof(conn, position, at), keys) is None
        for first, second in combinations(SEAL_AT, 2):
            assert check_document(await consistency_proof(conn, first, second), keys) is None
        proof = await event_proof(conn, 100)  # against the latest checkpoint
        assert proof["checkpoint"]["position"] == 300


async def test_a_proof_fails_against_another_key_or_a_tampered_path(
        sealed: tuple[asyncpg.Pool, SealConfig]) -> None:
    pool, config = sealed
    async with pool.acquire() as conn:
        proof = await event_proof(conn, 77, 257)
    other = load_private_key(generate_key_pem()).public_key()
    assert "unknown key" in (check_document(proof, {"x": other}) or "")
    proof["path"][2] = "00" * 32
    assert check_document(proof, trusted_keys(config)) is not None


async def test_the_witness_file_holds_every_checkpoint_and_matches_the_log(
        sealed: tuple[asyncpg.Pool, SealConfig]) -> None:
    pool, config = sealed
    witnessed = parse_witness((config.witness_dir / "checkpoints.jsonl").read_text())
    assert [c.position for c in witnessed] == SEAL_AT
    report = await check_against_witness(pool, witnessed, trusted_keys(config))
    assert report.ok and report.checkpoints == len(SEAL_AT)


async def test_a_rotated_key_keeps_old_checkpoints_verifiable(
        sealed: tuple[asyncpg.Pool, SealConfig], tmp_path: Path) -> None:
    pool, config = sealed
    old_public = signing_key(config).public_key()
    new_key = load_private_key(generate_key_pem())
    await append_things(EventStore(pool), 5)
    newer = await seal(pool, new_key)
    assert newer is not None
    witnessed = [*parse_witness((config.witness_dir / "checkpoints.jsonl").read_text()), newer]
    (tmp_path / "new.pub").write_bytes(public_key_pem(new_key))
    keys = {**load_public_keys(tmp_path / "new.pub")}
    assert not (await check_against_witness(pool, witnessed, keys)).ok  # old key unknown
    keys[key_id(old_public)] = old_public
    assert (await check_against_witness(pool, witnessed, keys)).ok
