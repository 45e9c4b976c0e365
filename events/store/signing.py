"""Signed checkpoints: Ed25519 over a canonical text form of (position, head, Merkle root, time).

The signing key lives outside the database (`KEHU_SIGNING_KEY`, a PEM file or PEM text), so
whoever controls the database can neither forge a checkpoint nor re-sign a rewritten log. Each
checkpoint names its key by key id (SHA-256 of the raw public key), so after a rotation old
checkpoints still verify against the old public key an auditor kept.

The signed bytes are plain text, one field a line, in a fixed order with fixed encodings, so
an auditor can rebuild them in any language (docs/audit.md):

    kehu-checkpoint/v1
    position <decimal>
    tree_size <decimal>
    head <hex of the event hash at position>
    root <hex of the Merkle root over events 1..tree_size>
    time <UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ>
    key <hex key id>
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "kehu-checkpoint/v1"
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.S)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def generate_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _pem(value: str | bytes | Path) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    return Path(value).read_bytes()


def load_private_key(value: str | bytes | Path) -> Ed25519PrivateKey:
    """A private key from PEM text or the path of a PEM file."""
    key = serialization.load_pem_private_key(_pem(value), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 key")
    return key


def load_public_keys(value: str | bytes | Path) -> dict[str, Ed25519PublicKey]:
    """Every public key in PEM text or a PEM file (several after rotations), by key id.
    A private key is accepted too (its public half is used)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for block in _PEM_BLOCK.finditer(_pem(value).decode()):
        pem = block.group(0).encode()
        loaded: Any = (serialization.load_pem_private_key(pem, password=None)
                       if "PRIVATE" in block.group(1) else serialization.load_pem_public_key(pem))
        public = loaded.public_key() if isinstance(loaded, Ed25519PrivateKey) else loaded
        if not isinstance(public, Ed25519PublicKey):
            raise ValueError("a public key is not an Ed25519 key")
        keys[key_id(public)] = public
    return keys


@dataclass(frozen=True)
class Checkpoint:
    position: int
    tree_size: int
    head: bytes
    root: bytes
    time: datetime
    key_id: str
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        when = self.time.astimezone(UTC).strftime(TIME_FORMAT)
        return (f"{FORMAT}\nposition {self.position}\ntree_size {self.tree_size}\n"
                f"head {self.head.hex()}\nroot {self.root.hex()}\ntime {when}\n"
                f"key {self.key_id}\n").encode()

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "position": self.position, "tree_size": self.tree_size,
                "head": self.head.hex(), "root": self.root.hex(),
                "time": self.time.astimezone(UTC).strftime(TIME_FORMAT), "key_id": self.key_id,
                "signature": base64.b64encode(self.signature).decode()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        if data.get("format", FORMAT) != FORMAT:
            raise ValueError(f"unknown checkpoint format {data.get('format')!r}")
        return cls(int(data["position"]), int(data["tree_size"]), bytes.fromhex(data["head"]),
                   bytes.fromhex(data["root"]),
                   datetime.strptime(data["time"], TIME_FORMAT).replace(tzinfo=UTC),
                   str(data["key_id"]), base64.b64decode(data["signature"], validate=True))


def sign(checkpoint: Checkpoint, private_key: Ed25519PrivateKey) -> Checkpoint:
    unsigned = replace(checkpoint, key_id=key_id(private_key.public_key()), signature=b"",
                       time=checkpoint.time.astimezone(UTC))
    return replace(unsigned, signature=private_key.sign(unsigned.signed_bytes()))


def signature_problem(checkpoint: Checkpoint, keys: dict[str, Ed25519PublicKey]) -> str | None:
    """None when the checkpoint is well formed and signed by one of `keys`, else why not."""
    if checkpoint.position != checkpoint.tree_size or checkpoint.position < 0:
        return f"checkpoint {checkpoint.position} has tree size {checkpoint.tree_size}"
    key = keys.get(checkpoint.key_id)
    if key is None:
        return f"checkpoint {checkpoint.position} is signed by unknown key {checkpoint.key_id}"
    try:
        key.verify(checkpoint.signature, checkpoint.signed_bytes())
    except InvalidSignature:
        return f"checkpoint {checkpoint.position} has a bad signature"
    return None
