"""The sealing worker: a signed checkpoint every N events or T seconds, and its witness line.

The signing key is read from outside the database (KEHU_SIGNING_KEY: PEM text or a file). With
none configured, a development key is made once under the data folder, like the JWT secret;
production points KEHU_SIGNING_KEY at a file the database's host and its administrators cannot
read, so a database superuser cannot sign a rewritten log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from events.store.checkpoints import latest, seal
from events.store.notifications import Notifier
from events.store.signing import (
    Checkpoint,
    generate_key_pem,
    key_id,
    load_private_key,
    load_public_keys,
)
from events.store.witness import append_witness

log = logging.getLogger("kehu.sealing")


@dataclass(frozen=True)
class SealConfig:
    signing_key: str | None = None  # PEM text or a path; None: the data folder's dev key
    public_keys: str | None = None  # PEM file of earlier public keys, kept after a rotation
    every_events: int = 1000
    every_seconds: float = 60.0
    witness_dir: Path = field(default_factory=lambda: Path(".kehu") / "witness")
    data_dir: Path = Path(".kehu")


def signing_key(config: SealConfig) -> Ed25519PrivateKey:
    if config.signing_key:
        return load_private_key(config.signing_key)
    path = config.data_dir / "signing-key.pem"
    if not path.exists():
        config.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generate_key_pem())
        path.chmod(0o600)
        log.warning("no KEHU_SIGNING_KEY: made a development signing key at %s", path)
    return load_private_key(path)


def trusted_keys(config: SealConfig, *extra: Path) -> dict[str, Ed25519PublicKey]:
    """The current key's public half, the configured earlier keys, and any given files."""
    public = signing_key(config).public_key()
    keys = {key_id(public): public}
    for source in [config.public_keys, *extra]:
        if source:
            keys.update(load_public_keys(source))
    return keys


async def seal_now(pool: asyncpg.Pool, config: SealConfig) -> Checkpoint | None:
    checkpoint = await seal(pool, signing_key(config))
    if checkpoint is not None:
        append_witness(config.witness_dir, checkpoint)
    return checkpoint


async def seal_forever(pool: asyncpg.Pool, notifier: Notifier, config: SealConfig) -> None:
    """Seal when `every_events` events arrived since the last checkpoint, or when
    `every_seconds` passed with anything new."""
    key = signing_key(config)
    while True:
        try:
            async with pool.acquire() as conn:
                last = await latest(conn)
            sealed = 0 if last is None else last.position
            deadline = time.monotonic() + config.every_seconds
            while True:
                head = int(await pool.fetchval("SELECT position FROM kehu_log.event_head"))
                remaining = deadline - time.monotonic()
                if head - sealed >= config.every_events or (remaining <= 0 and head > sealed):
                    break
                if remaining <= 0:
                    deadline = time.monotonic() + config.every_seconds
                    remaining = config.every_seconds
                await notifier.wait(head, timeout=remaining)
            checkpoint = await seal(pool, key)
            if checkpoint is not None:
                append_witness(config.witness_dir, checkpoint)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database restart must not end sealing for good
            log.exception("sealing a checkpoint failed; retrying")
            await asyncio.sleep(min(config.every_seconds, 5.0))
