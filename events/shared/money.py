"""Money is integer fen inside Kehu and a decimal string of yuan at the API; never a float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from events.shared.errors import ValidationFailed

FEN_PER_YUAN = 100
# A bound on any single amount: ten million yuan. Keeps arithmetic and sums far from overflow
# and catches a mistyped figure.
MAX_FEN = 10_000_000 * FEN_PER_YUAN


def parse_yuan(text: str, field: str) -> int:
    """'123.45' -> 12345 fen. At most two decimals, non-negative, bounded."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ValidationFailed.single(field, f"'{text}' is not a decimal amount of yuan") from None
    if not value.is_finite():
        raise ValidationFailed.single(field, "amount must be a finite number")
    if value < 0:
        raise ValidationFailed.single(field, "amount must not be negative")
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValidationFailed.single(field, "amount has more than two decimals (fen)")
    if fen > MAX_FEN:
        raise ValidationFailed.single(field, "amount exceeds 10,000,000 yuan")
    return int(fen)


def format_fen(fen: int) -> str:
    """12345 -> '123.45' (always two decimals)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{part:02d}"
