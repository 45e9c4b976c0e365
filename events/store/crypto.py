"""The cryptography of crypto-shredding: master key, key wrapping, field sealing.

- The master key (32 bytes) is given as text (base64url, what `kehu keygen` prints) or as a
  file holding that text; the database never sees it.
- Data keys (AES-256, one per subject) are stored wrapped with AES key wrap (RFC 3394).
- A key check value (HMAC-SHA256 of a fixed label under the master key) is stored, so a
  wrong master key is noticed at start, not after it has wrapped new keys.
- A personal value is sealed with AES-GCM under its subject's data key; the associated data
  binds subject, event type and field path, so a ciphertext moved to another field, event or
  subject does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

from events.store.fastjson import canonical, loads
from events.store.personal import ENC_KEY

KEY_BYTES = 32
NONCE_BYTES = 12
_CHECK_LABEL = b"kehu master key check v1"


class MasterKeyError(RuntimeError):
    """The master key is missing, malformed, or not the one the key table was wrapped with."""


def new_master_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip("=")


def parse_master_key(value: str) -> bytes:
    """Text (base64url of 32 bytes) or the path of a file holding it."""
    text = value.strip()
    if text and (os.sep in text or text.startswith(".")) and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8").strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise MasterKeyError("KEHU_MASTER_KEY is not base64url text (run `kehu keygen`)") from exc
    if len(raw) != KEY_BYTES:
        raise MasterKeyError(f"KEHU_MASTER_KEY must decode to {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def check_value(master: bytes) -> bytes:
    return hmac.new(master, _CHECK_LABEL, hashlib.sha256).digest()


def wrap(master: bytes, data_key: bytes) -> bytes:
    return aes_key_wrap(master, data_key)


def unwrap(master: bytes, wrapped: bytes) -> bytes:
    return aes_key_unwrap(master, wrapped)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


_AADS: dict[tuple[str, str, str], bytes] = {}
_MAX_AADS = 50_000


def _aad(subject: str, event_type: str, path: str) -> bytes:
    # Kept: a page of one customer's events asks for the same few again and again.
    ident = (subject, event_type, path)
    found = _AADS.get(ident)
    if found is None:
        if len(_AADS) >= _MAX_AADS:
            _AADS.clear()
        found = _AADS[ident] = canonical([subject, event_type, path])
    return found


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode()


def seal(cipher: AESGCM, key_id: str, subject: str, event_type: str, path: str,
         value: Any) -> dict[str, Any]:
    """A value -> its self-describing ciphertext (subject and key id in clear)."""
    nonce = os.urandom(NONCE_BYTES)
    ct = cipher.encrypt(nonce, canonical(value), _aad(subject, event_type, path))
    return {ENC_KEY: 1, "subject": subject, "key": key_id, "nonce": _b64(nonce), "ct": _b64(ct)}


def open_sealed(cipher: AESGCM, sealed: dict[str, Any], event_type: str, path: str) -> Any:
    """The plaintext value; raises cryptography's InvalidTag when it does not open."""
    nonce = binascii.a2b_base64(sealed["nonce"])
    ct = binascii.a2b_base64(sealed["ct"])
    return loads(cipher.decrypt(nonce, ct, _aad(str(sealed["subject"]), event_type, path)))


_a2b = binascii.a2b_base64
_decode = msgspec.json.Decoder().decode


def open_with(cipher: AESGCM | None, sealed: dict[str, Any], event_type: str,
              path: str) -> Any:
    """open_sealed for the read path (one call per personal field of every event read):
    a None cipher (a destroyed key) raises InvalidTag like a wrong one."""
    if cipher is None:
        raise InvalidTag
    return _decode(cipher.decrypt(_a2b(sealed["nonce"]), _a2b(sealed["ct"]),
                                  _aad(sealed["subject"], event_type, path)))


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and value.get(ENC_KEY) == 1
