"""Sealing personal fields on append, opening them on read (crypto-shredding).

Appends: `seal_payload` replaces each marked field (events/store/personal.py) of an encoded
payload with its ciphertext before the payload is serialised and hashed, so the hash chain
covers the ciphertext and stays intact when a key is destroyed.

Reads: `open_events` gives readers plaintext. Events whose stored text holds no ciphertext
(every event without personal fields, and everything written before encryption was enabled)
are returned as they are: the check is one substring search of text the row already carries.
For the rest, the keys of a whole page are fetched with one query and each sealed value is
opened, or replaced by the field's erased value when its key was destroyed; the paths that read
as erased are listed under "kehu:erased" in the payload, for the API to show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from events.store import crypto, keyring
from events.store.crypto import MasterKeyError
from events.store.envelope import Event, StoredEvent, event_class
from events.store.fastjson import dumps, loads
from events.store.keyring import Db
from events.store.personal import ENC_KEY, ERASED_KEY, Personal

Keys = dict[str, tuple[str, AESGCM]]


def personal_of(cls: type[Event]) -> Personal | None:
    found: Personal | None = getattr(cls, "PERSONAL", None)
    return found if found is not None and found.fields else None


def subject_of(event: Event) -> str | None:
    marked = personal_of(type(event))
    if marked is None:
        return None
    value = getattr(event, marked.subject, None)
    return str(value) if value else None


async def keys_for(db: Db, events: list[Event]) -> Keys:
    """The data keys a batch of appends needs (none for events without personal fields)."""
    ring = keyring.current()
    if ring is None:
        return {}
    subjects = {s for s in (subject_of(e) for e in events) if s is not None}
    return await ring.for_subjects(db, subjects) if subjects else {}


def seal_payload(event: Event, payload: dict[str, Any], keys: Keys) -> dict[str, Any]:
    subject = subject_of(event)
    if subject is None or subject not in keys:
        return payload
    marked = personal_of(type(event))
    assert marked is not None
    key_id, cipher = keys[subject]
    event_type = event.type_name()
    for path, steps in marked.paths():
        _replace(payload, steps, _sealer(cipher, key_id, subject, event_type, path))
    return payload


def _sealer(cipher: AESGCM, key_id: str, subject: str, event_type: str,
            path: str) -> Callable[[Any], Any]:
    return lambda value: crypto.seal(cipher, key_id, subject, event_type, path, value)


def _replace(node: Any, steps: tuple[str, ...], fn: Callable[[Any], Any]) -> None:
    head, rest = steps[0], steps[1:]
    if head == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                if rest:
                    _replace(item, rest, fn)
                elif item is not None:
                    node[i] = fn(item)
        return
    if not isinstance(node, dict) or node.get(head) is None:
        return  # nothing there (None is no personal data): left as it is
    if rest:
        _replace(node[head], rest, fn)
    else:
        node[head] = fn(node[head])


def is_sealed(stored: StoredEvent) -> bool:
    raw = stored.stored_payload
    if isinstance(raw, str):
        return '"kehu:enc"' in raw
    if isinstance(raw, bytes):
        return b'"kehu:enc"' in raw
    spots: list[_Spot] = []
    _find(raw, "", spots)  # a payload given as data (rare): look inside
    return bool(spots)


def _fresh_payload(stored: StoredEvent) -> dict[str, Any]:
    """A private copy of the stored payload: the StoredEvent may be shared between readers
    (the log reader's pages), so it is never decoded in place here."""
    raw = stored.stored_payload
    found = loads(raw) if isinstance(raw, (str, bytes)) else _copy(raw)
    assert isinstance(found, dict)
    return found


async def open_events(db: Db, events: list[StoredEvent], *,
                      fresh: bool = False) -> list[StoredEvent]:
    """The page with every sealed value opened or marked erased (the list itself when none is
    sealed). Returns new StoredEvents: pages are shared between readers and never changed.
    `fresh`: ask the key table about every key, trusting no cached one (see `reopen`)."""
    sealed = [i for i, e in enumerate(events) if is_sealed(e)]
    if not sealed:
        return events
    ring = keyring.current()
    if ring is None:
        raise MasterKeyError("the log holds encrypted personal data and no KEHU_MASTER_KEY is"
                             " set")
    found: list[tuple[int, dict[str, Any], list[_Spot], Personal | None]] = []
    key_ids: set[str] = set()
    for i in sealed:
        stored = events[i]
        payload = _fresh_payload(stored)
        marked = _marking(stored.event_type)
        spots: list[_Spot] = []
        if marked is not None:  # the class says where to look
            for path, steps in marked.steps:
                if len(steps) == 1:  # the common case, without the walk
                    value = payload.get(path)
                    if type(value) is dict and value.get(ENC_KEY) == 1:
                        spots.append((payload, path, path, value))
                else:
                    _at(payload, steps, path, spots)
        else:  # a type this build does not know (or no longer marks): look everywhere
            _find(payload, "", spots)
        found.append((i, payload, spots, marked))
        for spot in spots:
            key_ids.add(str(spot[3].get("key")))
    ciphers = await ring.ciphers(db, key_ids, fresh=fresh)
    out = list(events)
    for i, payload, spots, marked in found:
        stored = events[i]
        erased: list[str] | None = None
        for parent, slot, path, value in spots:
            try:
                parent[slot] = crypto.open_with(ciphers[str(value.get("key"))], value,
                                                stored.event_type, path)
            except (InvalidTag, KeyError, ValueError, TypeError, AttributeError):
                # Destroyed key (or a value that does not open): the field's erased value.
                parent[slot] = marked.fields.get(path) if marked is not None else None
                erased = [*(erased or []), path]
        gone = tuple(sorted(set(erased))) if erased else ()
        if gone:
            payload[ERASED_KEY] = list(gone)
        out[i] = stored.opened(dumps(payload), gone)
    return out


_markings: dict[str, Personal | None] = {}


def _marking(event_type: str) -> Personal | None:
    if event_type not in _markings:
        cls = event_class(event_type)
        _markings[event_type] = personal_of(cls) if cls is not None else None
    return _markings[event_type]


_Spot = tuple[Any, Any, str, dict[str, Any]]


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _at(node: Any, steps: tuple[str, ...], path: str, spots: list[_Spot]) -> None:
    """The sealed values at a marked path."""
    head, rest = steps[0], steps[1:]
    if head == "*":
        if isinstance(node, list):
            for index, item in enumerate(node):
                if rest:
                    _at(item, rest, path, spots)
                elif crypto.is_sealed(item):
                    spots.append((node, index, path, item))
        return
    if not isinstance(node, dict) or head not in node:
        return
    value = node[head]
    if rest:
        _at(value, rest, path, spots)
    elif crypto.is_sealed(value):
        spots.append((node, head, path, value))


def _find(node: Any, path: str, spots: list[_Spot]) -> None:
    """Every sealed value under `node`, with its parent, slot and field path."""
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}" if path else str(key)
            if crypto.is_sealed(value):
                spots.append((node, key, sub, value))
            else:
                _find(value, sub, spots)
    elif isinstance(node, list):
        sub = f"{path}.*" if path else "*"
        for index, value in enumerate(node):
            if crypto.is_sealed(value):
                spots.append((node, index, sub, value))
            else:
                _find(value, sub, spots)


async def reopen(db: Db, stored: StoredEvent) -> StoredEvent:
    """`stored` opened again from its sealed form (itself when it had nothing sealed): for a
    reader that kept it while an erasure may have happened. The keys are asked for afresh,
    not taken from this process's cache: an erasure made by another process a moment ago is
    honoured too (a webhook retried after it carries no personal data)."""
    source = stored.sealed_source
    if source is None:
        return stored
    (opened,) = await open_events(db, [source], fresh=True)
    return opened
