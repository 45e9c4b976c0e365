"""One strict money parser: every amount in the API is ASCII digits with at most two decimals."""

from __future__ import annotations

import pytest

from events.shared.errors import ValidationFailed
from events.shared.money import MAX_FEN, parse_yuan


@pytest.mark.parametrize(("text", "fen"), [
    ("0", 0), ("12", 1200), ("12.5", 1250), ("12.50", 1250), ("0.01", 1),
    (" 3.20 ", 320), ("10000000", MAX_FEN), ("10000000.00", MAX_FEN),
])
def test_plain_amounts_are_read_exactly(text: str, fen: int) -> None:
    assert parse_yuan(text, "amount") == fen


@pytest.mark.parametrize("text", [
    "1e3", "1E3", "1e-99999999", "9e999999", "1_0", "-0", "-1", "+1", "１２", "١٢", "12.345",
    "1.", ".5", "", " ", "NaN", "Infinity", "1,000", "1 000", "0x10", "12\n", "\t12",
    "10000000.01", "99999999999999999999", "1" * 5000,
])
def test_other_spellings_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_yuan(text, "totalAmount")
    assert refused.value.field == "totalAmount"
    assert len(refused.value.message) < 200  # a 5000-digit input is not echoed back whole
