"""docs/rules.md is the project's own rule reference: complete, and its test names are real."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULE_IDS = (
    [f"V{n}" for n in range(1, 14)] + [f"M{n}" for n in range(1, 16)] + ["T1", "T2"]
)


def _reference() -> str:
    return (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def _test_names() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        names.update(re.findall(r"def (test_\w+)", path.read_text(encoding="utf-8")))
    return names


def test_every_rule_id_has_an_entry_with_enforcement_and_tests() -> None:
    text = _reference()
    sections = dict(re.findall(r"^### (\w+) (.*?)(?=^### |\Z)", text, flags=re.M | re.S))
    assert sorted(sections) == sorted(RULE_IDS)
    for rule, body in sections.items():
        assert "Enforced in" in body, rule
        named = re.findall(r"`(test_\w+)`", body)
        assert named, f"{rule} names no test"
        assert all(n.startswith(f"test_{rule}_") or f"_{rule}_" in n for n in named), rule


def test_every_test_named_in_the_reference_exists() -> None:
    missing = set(re.findall(r"`(test_\w+)`", _reference())) - _test_names()
    assert not missing


def test_every_module_named_in_the_reference_exists() -> None:
    paths = re.findall(r"`((?:events|projections|schema)/[\w/.]+)`", _reference())
    assert paths
    assert [p for p in paths if not (ROOT / p).exists()] == []


def test_nothing_in_the_repository_points_outside_it() -> None:
    # The rule book's own copy lives in docs/rules.md; a path to the folder beside the
    # repository breaks for anyone who clones the repository alone.
    outside = "../" + "shared"  # spelled apart so this file does not find itself
    offenders = []
    for folder in ("events", "projections", "schema", "tests", "docs", "bench"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".md"} and outside in path.read_text(encoding="utf-8"):
                offenders.append(str(path.relative_to(ROOT)))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert offenders == [] and outside not in readme
