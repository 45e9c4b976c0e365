"""Data keys: created on first use, unwrapped once, cached with a bound, destroyed on erasure.

One keyring per process (`install`, at start). Keys live in `kehu_keys.data_keys`, wrapped
by the master key (events/store/crypto.py). Unwrapped keys are cached (at most MAX_CACHED);
for reads, a cached key is trusted for `check_seconds` after the key table last confirmed it,
then asked again, so an erasure made by another process is seen within that bound (the erasing
process forgets the key at once). Appends trust a cached key longer (see `for_subjects`).
A key id found missing is remembered as destroyed: ids are never
reused, so that fact never goes stale.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from typing import TypeAlias

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap

from events.store import crypto
from events.store.crypto import MasterKeyError

MAX_CACHED = 10_000
MAX_FORGOTTEN = 100_000
CHECK_SECONDS = 1.0
APPEND_TRUST_SECONDS = 60.0

Db: TypeAlias = asyncpg.Pool | asyncpg.Connection


class _Cached:
    __slots__ = ("cipher", "confirmed", "subject")

    def __init__(self, cipher: AESGCM, subject: str, confirmed: float) -> None:
        self.cipher = cipher
        self.subject = subject
        self.confirmed = confirmed


class Keyring:
    def __init__(self, master: bytes, *, check_seconds: float = CHECK_SECONDS) -> None:
        self.master = master
        self.check_seconds = check_seconds
        self._keys: OrderedDict[str, _Cached] = OrderedDict()
        self._subjects: dict[str, str] = {}  # subject -> its live key id (cached ones only)
        self._destroyed: OrderedDict[str, None] = OrderedDict()
        self.queries = 0

    # --- appends ------------------------------------------------------------------------------

    async def for_subjects(self, db: Db, subjects: Iterable[str]) -> dict[str, tuple[str, AESGCM]]:
        """The live key (id, cipher) of each subject, created when it has none yet."""
        wanted = set(subjects)
        found: dict[str, tuple[str, AESGCM]] = {}
        now = time.monotonic()
        for subject in wanted:
            # A cached key is used for up to APPEND_TRUST_SECONDS without asking again: the
            # append path keeps no extra round trip per group commit, and data sealed with a
            # key another process destroyed meanwhile is born erased (privacy's side of the
            # race; docs/privacy.md).
            key_id = self._subjects.get(subject)
            cached = self._keys.get(key_id) if key_id else None
            if key_id and cached and now - cached.confirmed <= APPEND_TRUST_SECONDS:
                found[subject] = (key_id, cached.cipher)
        missing = sorted(wanted - found.keys())
        if not missing:
            return found
        rows = await self._select_subjects(db, missing)
        absent = [s for s in missing if s not in rows]
        if absent:
            # A new key per subject; a racing writer's key wins on the unique subject index.
            self.queries += 1
            await db.executemany(
                "INSERT INTO kehu_keys.data_keys (key_id, subject, wrapped) VALUES ($1, $2, $3)"
                " ON CONFLICT (subject) DO NOTHING",
                [(uuid.uuid4(), s, crypto.wrap(self.master, crypto.new_data_key()))
                 for s in absent])
            rows.update(await self._select_subjects(db, absent))
        for subject, (key_id, wrapped) in rows.items():
            found[subject] = (key_id, self._remember(key_id, subject, wrapped, now))
        return found

    async def _select_subjects(self, db: Db, subjects: list[str]) -> dict[str, tuple[str, bytes]]:
        self.queries += 1
        rows = await db.fetch("SELECT key_id::text, subject, wrapped FROM kehu_keys.data_keys"
                              " WHERE subject = ANY($1::text[])", subjects)
        return {r["subject"]: (r["key_id"], bytes(r["wrapped"])) for r in rows}

    # --- reads --------------------------------------------------------------------------------

    async def ciphers(self, db: Db, key_ids: Iterable[str], *,
                      fresh: bool = False) -> dict[str, AESGCM | None]:
        """Each key's cipher, or None when the key was destroyed (its subject erased).
        `fresh`: every key is confirmed by the key table, whatever the cache holds."""
        out: dict[str, AESGCM | None] = {}
        now = time.monotonic()
        ask: list[str] = []
        for key_id in set(key_ids):
            if not _is_uuid(key_id):  # not a key Kehu made: it opens nothing
                out[key_id] = None
                continue
            if key_id in self._destroyed:
                out[key_id] = None
                continue
            cached = self._keys.get(key_id)
            if cached is not None and not fresh and now - cached.confirmed <= self.check_seconds:
                out[key_id] = cached.cipher
            else:
                ask.append(key_id)
        if ask:
            self.queries += 1
            rows = await db.fetch(
                "SELECT key_id::text, subject, wrapped FROM kehu_keys.data_keys"
                " WHERE key_id = ANY($1::uuid[])", ask)
            present = {r["key_id"]: r for r in rows}
            for key_id in ask:
                row = present.get(key_id)
                if row is None:
                    self._forget_key(key_id)
                    out[key_id] = None
                else:
                    out[key_id] = self._remember(key_id, row["subject"], bytes(row["wrapped"]),
                                                 now)
        return out

    def _remember(self, key_id: str, subject: str, wrapped: bytes, now: float) -> AESGCM:
        cached = self._keys.get(key_id)
        if cached is None:
            try:
                cipher = AESGCM(crypto.unwrap(self.master, wrapped))
            except InvalidUnwrap as exc:
                raise MasterKeyError("a data key does not unwrap: KEHU_MASTER_KEY is not the"
                                     " key the key table was wrapped with") from exc
            cached = self._keys[key_id] = _Cached(cipher, subject, now)
        cached.confirmed = now
        self._keys.move_to_end(key_id)
        self._subjects[subject] = key_id
        while len(self._keys) > MAX_CACHED:
            old_id, old = self._keys.popitem(last=False)
            if self._subjects.get(old.subject) == old_id:
                del self._subjects[old.subject]
        return cached.cipher

    def _forget_key(self, key_id: str) -> None:
        cached = self._keys.pop(key_id, None)
        if cached is not None and self._subjects.get(cached.subject) == key_id:
            del self._subjects[cached.subject]
        self._destroyed[key_id] = None
        while len(self._destroyed) > MAX_FORGOTTEN:
            self._destroyed.popitem(last=False)

    def forget(self, key_ids: Iterable[str]) -> None:
        """Keys this process just destroyed: unreadable here from now on."""
        for key_id in key_ids:
            self._forget_key(key_id)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


_installed: list[Keyring] = []


def install(keyring: Keyring | None) -> None:
    """The process's keyring (None: personal fields are written in clear; see privacy.md)."""
    _installed.clear()
    if keyring is not None:
        _installed.append(keyring)


def current() -> Keyring | None:
    return _installed[0] if _installed else None
