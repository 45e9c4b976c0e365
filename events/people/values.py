"""How people are named and compared."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# A deliberately plain address: what email headers can carry without quoting or encoding, so
# nothing from the directory can add a header or a recipient (no CR, LF, comma, quote, space).
EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")
MAX_EMAIL = 254
LANGUAGES = ("en", "zh")


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


def contact_problems(email: str | None, language: str | None) -> list[tuple[str, str]]:
    """(field, message) for what is wrong with a person's contact, every problem at once."""
    problems = []
    if email is not None:
        address = email.strip()
        if len(address) > MAX_EMAIL or not EMAIL.fullmatch(address):
            problems.append(("email", "a plain email address such as li.na@example.com "
                                      f"(at most {MAX_EMAIL} characters)"))
    if language is not None and language not in LANGUAGES:
        problems.append(("language", "en or zh"))
    return problems
