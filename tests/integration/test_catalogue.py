"""docs/integrations.md lists every event type with the fields integrations receive."""

from __future__ import annotations

from events.integration.catalogue import load_event_types, markdown, rewrite
from tests.live import ROOT

DOC = ROOT / "docs" / "integrations.md"


def test_the_documented_catalogue_is_the_current_one() -> None:
    text = DOC.read_text()
    assert rewrite(text) == text, (
        "regenerate: python -m events.integration.catalogue docs/integrations.md")


def test_every_event_type_is_in_it_with_money_as_decimal_strings() -> None:
    catalogue = markdown()
    for name in load_event_types():
        assert f"| `{name}` |" in catalogue
    assert "`amount`: decimal string (yuan)" in catalogue
    assert "_fen" not in catalogue
