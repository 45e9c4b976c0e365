"""How people are named and compared."""

from __future__ import annotations

import hashlib
import unicodedata


def person_key(user_id: str) -> str:
    """The comparison form of a user id: NFKC, case folded, outer whitespace dropped.

    "MGR1", "mgr1 " and the full-width "ｍｇｒ1" are one person, so nobody approves their own
    meal by spelling their id differently.
    """
    return unicodedata.normalize("NFKC", user_id).casefold().strip()


def same_person(a: str, b: str) -> bool:
    return person_key(a) == person_key(b)


def stream_id(user_id: str) -> str:
    # Ids are free text (often Chinese names): a hash of the key is a stable, safe stream id,
    # and every spelling of one person lands on one stream.
    return "person-" + hashlib.sha256(person_key(user_id).encode()).hexdigest()[:24]
