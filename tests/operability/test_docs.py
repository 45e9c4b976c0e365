"""The docs stay inside the repository: every relative link in README.md and docs/ points to
a file of this repository, and none leaves it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.live import ROOT

LINK = re.compile(r"\]\(([^)\s]+)\)")


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_relative_link_resolves_inside_the_repository() -> None:
    broken = []
    for doc in _documents():
        for target in LINK.findall(doc.read_text()):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            path = (doc.parent / target.split("#")[0]).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                broken.append(f"{doc.name}: {target}")
    assert broken == []


def test_readme_links_the_api_and_operations_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "(docs/api.md)" in readme and "(docs/operations.md)" in readme
