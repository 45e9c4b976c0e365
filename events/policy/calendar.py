"""The official working-day calendar as rule-book data (M11 paperwork, V12 follow-ups).

China's public holidays move every year and some weekends become working days (调休, make-up
working days), so "N working days" cannot be computed from weekdays alone. Each rule-book
version carries the calendar it applies: a decision is computed from the data in the version it
was made under, never from whatever a later package release says about the same days.

A year the calendar does not list is unknown, not "weekends only": asking about it raises
`CalendarGap`, so the caller refuses or flags the decision instead of guessing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, cached_property
from importlib import resources
from typing import Any

# Data files are named after their source and never rewritten: a rule-book version drafted
# before calendars were recorded is read with the first file (see the PolicyDrafted upcaster),
# and a newer package release is written to a new file by `python -m events.policy.calendar_seed`.
FIRST_DATA = "calendar-chinesecalendar-1.11.0.json"
SEED_DATA = FIRST_DATA  # what a new installation's version 1 carries
_SATURDAY = 5


class CalendarGap(LookupError):
    """A date falls in a year the calendar does not cover."""

    def __init__(self, year: int, covered: tuple[int, int] | None) -> None:
        self.year = year
        self.covered = covered
        span = f"{covered[0]}-{covered[1]}" if covered else "no year"
        super().__init__(f"the working-day calendar covers {span}, not {year}")


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str  # e.g. "National Day"; a day off even when it falls on a weekday


@dataclass(frozen=True)
class MakeUpWorkday:
    day: date  # a Saturday or Sunday that is an official working day (调休)
    name: str  # the holiday it makes up for


@dataclass(frozen=True)
class CalendarYear:
    year: int
    holidays: tuple[Holiday, ...]
    make_up_workdays: tuple[MakeUpWorkday, ...]


@dataclass(frozen=True)
class WorkingDayCalendar:
    source: str  # where the data came from, e.g. "chinesecalendar 1.11.0"
    years: tuple[CalendarYear, ...]

    def covered_span(self) -> tuple[int, int] | None:
        listed = [y.year for y in self.years]
        return (min(listed), max(listed)) if listed else None

    @cached_property
    def _days(self) -> _DayIndex:
        # Built once per calendar object and kept on it: a lookup keyed by the calendar itself
        # hashed the whole frozen value on every call, which thousands of reminder subjects
        # (and every working-day count) paid again and again.
        return _DayIndex(
            holidays={h.day: h.name for y in self.years for h in y.holidays},
            make_up={w.day: w.name for y in self.years for w in y.make_up_workdays},
            years=frozenset(y.year for y in self.years))

    def covers(self, year: int) -> bool:
        return year in self._days.years

    def is_working_day(self, day: date) -> bool:
        holidays, make_up = self._days.holidays, self._days.make_up
        if not self.covers(day.year):
            raise CalendarGap(day.year, self.covered_span())
        if day in make_up:
            return True
        return day.weekday() < _SATURDAY and day not in holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (start itself never counts)."""
        if days < 1:
            raise ValueError("count at least one working day")
        current, remaining = start, days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_day_on_or_after(self, day: date) -> date:
        """`day` itself if it is a working day, else the next one (a due date never lands on a
        day off)."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def holiday_name(self, day: date) -> str | None:
        """Why a weekday is off (for messages), None on an ordinary day."""
        return self._days.holidays.get(day)


def with_years(calendar: WorkingDayCalendar, years: tuple[CalendarYear, ...],
               added_by: str) -> WorkingDayCalendar:
    """The calendar with `years` added or replaced: how a rule-book version brings the next
    year's official holidays (published each winter) before the package does."""
    given = {y.year for y in years}
    kept = tuple(y for y in calendar.years if y.year not in given)
    merged = tuple(sorted((*kept, *years), key=lambda y: y.year))
    listed = ", ".join(str(y) for y in sorted(given))
    return WorkingDayCalendar(f"{calendar.source}; {listed} by {added_by}", merged)


def year_problems(year: CalendarYear) -> list[str]:
    """What is wrong with one year of calendar data, every problem at once."""
    problems = []
    if not 2000 <= year.year <= 2100:
        problems.append(f"{year.year} is not a plausible year")
    days = [h.day for h in year.holidays] + [w.day for w in year.make_up_workdays]
    if any(d.year != year.year for d in days):
        problems.append(f"every day of the {year.year} calendar falls in {year.year}")
    if len(set(days)) != len(days):
        problems.append(f"a day of {year.year} is listed twice")
    if any(w.day.weekday() < _SATURDAY for w in year.make_up_workdays):
        problems.append("a make-up working day (调休) is a Saturday or Sunday")
    if any(not h.name.strip() for h in year.holidays):
        problems.append("every holiday has a name")
    return problems


@dataclass(frozen=True)
class _DayIndex:
    holidays: dict[date, str]
    make_up: dict[date, str]
    years: frozenset[int]


def calendar_from_json(data: dict[str, Any]) -> WorkingDayCalendar:
    years = tuple(
        CalendarYear(
            year=int(year),
            holidays=tuple(Holiday(date.fromisoformat(d), n) for d, n in entry["holidays"]),
            make_up_workdays=tuple(
                MakeUpWorkday(date.fromisoformat(d), n) for d, n in entry["makeUpWorkdays"]
            ),
        )
        for year, entry in sorted(data["years"].items())
    )
    return WorkingDayCalendar(source=str(data["source"]), years=years)


@cache
def calendar_file(name: str) -> WorkingDayCalendar:
    text = resources.files("events.policy").joinpath(name).read_text(encoding="utf-8")
    return calendar_from_json(json.loads(text))


def seed_calendar() -> WorkingDayCalendar:
    """The calendar shipped with this release (a data file, not the installed package)."""
    return calendar_file(SEED_DATA)
