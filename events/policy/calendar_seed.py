"""Regenerate `calendar_cn.json` from the `chinesecalendar` package (a build step, not runtime).

    python -m events.policy.calendar_seed

The data file is committed and read at seed time, so upgrading the package changes nothing by
itself: new years reach decisions only through a rule-book version drafted with the new data.
"""

from __future__ import annotations

import importlib
import json
import re
from collections import defaultdict
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any


def package_data() -> dict[str, Any]:
    """The package's holidays and make-up working days, grouped by year, as JSON-ready data."""
    source: Any = importlib.import_module("chinese_calendar")
    years: dict[str, dict[str, list[list[str]]]] = defaultdict(
        lambda: {"holidays": [], "makeUpWorkdays": []}
    )
    holidays: dict[date, str] = source.holidays
    workdays: dict[date, str] = source.workdays
    for day, name in sorted(holidays.items()):
        years[str(day.year)]["holidays"].append([day.isoformat(), name])
    for day, name in sorted(workdays.items()):
        years[str(day.year)]["makeUpWorkdays"].append([day.isoformat(), name])
    version = metadata.version("chinesecalendar")
    return {"source": f"chinesecalendar {version}", "years": dict(sorted(years.items()))}


def main() -> None:
    data = package_data()
    # A new file per package release: files already shipped are what past versions applied.
    target = Path(__file__).with_name(f"calendar-{data['source'].replace(' ', '-')}.json")
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # One [day, name] pair per line, so a reviewer reads a year's diff at a glance.
    text = re.sub(r'\[\s+("[^"]+"),\s+("[^"]+")\s+\]', r"[\1, \2]", text)
    target.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
