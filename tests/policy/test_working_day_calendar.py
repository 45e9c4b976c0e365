"""M11 / V12 working days on the official calendar: holidays off, 调休 weekends on, no guessing."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

import pytest

from events.policy.calendar import (
    SEED_DATA,
    CalendarGap,
    CalendarYear,
    Holiday,
    MakeUpWorkday,
    WorkingDayCalendar,
    calendar_from_json,
    seed_calendar,
)
from events.policy.calendar_seed import package_data

CAL = seed_calendar()


def test_M11_yuandan_new_years_day_is_not_a_working_day_and_its_make_up_sunday_is() -> None:
    # 2026-01-01..03 off; Sunday 2026-01-04 is worked instead (调休).
    assert not CAL.is_working_day(date(2026, 1, 1))
    assert not CAL.is_working_day(date(2026, 1, 2))  # a Friday, still a holiday
    assert CAL.is_working_day(date(2026, 1, 4))
    assert CAL.holiday_name(date(2026, 1, 2)) == "New Year's Day"


def test_M11_three_working_days_after_new_years_eve_skip_yuandan() -> None:
    # Wed 31 Dec: Sun 4 Jan (make-up), Mon 5, Tue 6. Weekdays alone would say Mon 5 Jan.
    assert CAL.add_working_days(date(2025, 12, 31), 3) == date(2026, 1, 6)


def test_M11_three_working_days_after_30_september_skip_guoqing() -> None:
    # Wed 30 Sep 2026: 1-7 Oct off; Thu 8, Fri 9, Sat 10 Oct (make-up working day).
    assert date(2026, 9, 30).weekday() == 2
    assert CAL.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert not CAL.is_working_day(date(2026, 10, 5))  # a Monday inside 国庆


def test_M11_a_tiaoxiu_saturday_counts_as_a_working_day() -> None:
    # Sat 28 Feb 2026 is worked for the Spring Festival: Fri 27, Sat 28, Mon 2 Mar.
    assert date(2026, 2, 28).weekday() == 5
    assert CAL.add_working_days(date(2026, 2, 26), 3) == date(2026, 3, 2)


def test_M11_an_ordinary_weekend_is_not_a_working_day() -> None:
    assert not CAL.is_working_day(date(2026, 3, 7))
    assert CAL.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)


def test_M11_a_year_outside_the_calendar_is_refused_not_guessed_from_weekdays() -> None:
    with pytest.raises(CalendarGap) as gap:
        CAL.add_working_days(date(2026, 12, 30), 3)  # reaches 1 Jan 2027
    assert gap.value.year == 2027
    assert gap.value.covered == (2004, 2026)
    with pytest.raises(CalendarGap):
        CAL.is_working_day(date(2003, 6, 2))


def test_M15_each_version_applies_its_own_calendar_data() -> None:
    # A version whose data knows one more holiday decides differently; the seed is unchanged.
    extra = CalendarYear(2026, (Holiday(date(2026, 3, 2), "Company day"),), ())
    other = WorkingDayCalendar("test", (extra,))
    assert other.add_working_days(date(2026, 2, 27), 1) == date(2026, 3, 3)
    assert CAL.add_working_days(date(2026, 2, 27), 1) == date(2026, 2, 28)
    make_up = WorkingDayCalendar("test", (CalendarYear(2026, (), (MakeUpWorkday(
        date(2026, 3, 7), "Test"),)),))
    assert make_up.is_working_day(date(2026, 3, 7))


def test_M15_seed_calendar_file_matches_the_package_it_was_generated_from() -> None:
    # The shipped data is what `python -m events.policy.calendar_seed` wrote; a package upgrade
    # that rewrites a covered year shows up here instead of silently changing decisions.
    generated = package_data()
    assert CAL.source.startswith("chinesecalendar ")
    shipped = json.loads(resources.files("events.policy").joinpath(SEED_DATA).read_text("utf-8"))
    for year, entry in shipped["years"].items():
        assert generated["years"][year] == entry, f"the package changed {year}"
    assert calendar_from_json(shipped) == CAL
