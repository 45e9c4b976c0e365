"""Money is integer fen inside Kehu and a decimal string of yuan at the API; never a float."""

from __future__ import annotations

import re

from events.shared.errors import ValidationFailed

FEN_PER_YUAN = 100
# A bound on any single amount: ten million yuan. Keeps arithmetic and sums far from overflow
# and catches a mistyped figure.
MAX_FEN = 10_000_000 * FEN_PER_YUAN


# The one accepted spelling of an amount: ASCII digits, an optional '.' and one or two decimals.
# No sign, exponent, underscore, spaces inside, or non-ASCII digits: Decimal() and int() accept
# "1e3", "1_0", "-0" and full-width digits, and "1e-99999999" silently became 0 fen.
# \Z (not $) so a trailing newline is refused too; re.ASCII keeps \d to 0-9.
_AMOUNT = re.compile(r"(\d{1,9})(?:\.(\d{1,2}))?\Z", re.ASCII)


def parse_yuan(text: str, field: str) -> int:
    """'123.45' -> 12345 fen. ASCII digits, at most two decimals, from 0 up to MAX_FEN
    (10,000,000.00 yuan); anything else is refused naming the field, never rounded."""
    if not isinstance(text, str):
        raise ValidationFailed.single(field, "amount must be a string of yuan such as '12.50'")
    match = _AMOUNT.match(text.strip(" "))
    if match is None:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise ValidationFailed.single(
            field, f"{shown!r} is not an amount of yuan: use ASCII digits with at most two "
                   "decimals, such as '12.50' (no sign, exponent or separators)")
    whole, part = match.group(1), (match.group(2) or "").ljust(2, "0")
    fen = int(whole) * FEN_PER_YUAN + int(part)
    if fen > MAX_FEN:
        raise ValidationFailed.single(field, "amount exceeds 10,000,000 yuan")
    return fen


def format_fen(fen: int) -> str:
    """12345 -> '123.45' (always two decimals)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{part:02d}"
