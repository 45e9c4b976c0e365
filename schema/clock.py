"""What time it is for a decision: the system clock, or a clock file for tests.

Time rules (M11 deadlines across 元旦 and 国庆, M13 month end) are tested through the real
server by pointing KEHU_CLOCK_FILE at a file holding an ISO timestamp with its zone; the test
rewrites the file to move time; an empty file means the system clock. Never set in
production: without it the system clock is used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def now(clock_file: Path | None) -> datetime:
    if clock_file is None:
        return datetime.now(UTC)
    text = clock_file.read_text(encoding="utf-8").strip()
    if not text:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{clock_file} must hold a time with its zone")
    return moment
