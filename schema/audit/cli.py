"""The auditor's commands: `kehu verify --witness`, `kehu checkpoint`, `kehu keygen`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from events.store.sealing import seal_now, trusted_keys
from events.store.signing import generate_key_pem, key_id, load_private_key, public_key_pem
from events.store.witness import check_against_witness, parse_witness
from schema.context import Services


async def verify_witnesses(services: Services, witness: list[str],
                           public_keys: list[str]) -> int:
    keys = trusted_keys(services.settings.seal, *map(Path, public_keys))
    for path in witness:
        text = await asyncio.to_thread(Path(path).read_text)
        seen = await check_against_witness(services.pool, parse_witness(text), keys)
        if not seen.ok:
            print(f"TAMPERED: {seen.reason}")
            return 1
        print(f"ok: the log matches all {seen.checkpoints} checkpoints witnessed in {path}")
    return 0


async def checkpoint(services: Services) -> int:
    sealed = await seal_now(services.pool, services.settings.seal)
    if sealed is None:
        print("nothing new to seal")
    else:
        print(f"sealed checkpoint {sealed.position}: root {sealed.root.hex()}"
              f" (witness line in {services.settings.seal.witness_dir})")
    return 0


def keygen(out: str) -> int:
    path = Path(out)
    if path.exists():
        print(f"{path} exists; not overwritten")
        return 1
    pem = generate_key_pem()
    path.write_bytes(pem)
    path.chmod(0o600)
    key = load_private_key(pem)
    path.with_suffix(".pub").write_bytes(public_key_pem(key))
    print(f"signing key {path} (set KEHU_SIGNING_KEY to it), public key"
          f" {path.with_suffix('.pub')} for auditors; key id {key_id(key.public_key())}")
    return 0
