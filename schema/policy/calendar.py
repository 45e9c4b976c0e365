"""The working-day calendar a rule-book version carries (M11, V12), over GraphQL: read it, and
bring a year's official holidays and make-up working days (调休) with a new draft."""

from __future__ import annotations

from datetime import date

import strawberry

from events.policy.calendar import CalendarYear, Holiday, MakeUpWorkday, WorkingDayCalendar
from events.shared.errors import ValidationFailed

MAX_YEARS = 5
MAX_DAYS = 80  # a year's holidays and make-up days together stay well under this


@strawberry.type(description="A day off (a public holiday) or a make-up working day (调休).")
class CalendarDay:
    day: date
    name: str


@strawberry.type(description="One year of the official working-day calendar.")
class CalendarYearView:
    year: int
    holidays: list[CalendarDay]
    make_up_workdays: list[CalendarDay] = strawberry.field(
        description="Saturdays and Sundays that are working days (调休).")


@strawberry.type(description="M11/V12: which days are working days under this version.")
class WorkingDayCalendarView:
    source: str
    first_year: int | None
    last_year: int | None
    calendar_years: list[CalendarYearView] = strawberry.field(
        description="Each covered year's holidays and make-up working days.")

    @classmethod
    def of(cls, calendar: WorkingDayCalendar | None) -> WorkingDayCalendarView:
        if calendar is None:
            return cls(source="", first_year=None, last_year=None, calendar_years=[])
        span = calendar.covered_span()
        return cls(
            source=calendar.source, first_year=span[0] if span else None,
            last_year=span[1] if span else None,
            calendar_years=[CalendarYearView(
                year=y.year, holidays=[CalendarDay(day=h.day, name=h.name) for h in y.holidays],
                make_up_workdays=[CalendarDay(day=w.day, name=w.name)
                                  for w in y.make_up_workdays]) for y in calendar.years],
        )


@strawberry.input
class CalendarDayInput:
    day: date
    name: str


@strawberry.input(description="A year of official holidays and make-up working days, as the "
                  "State Council publishes them; it replaces that year in the inherited calendar.")
class CalendarYearInput:
    year: int
    holidays: list[CalendarDayInput]
    make_up_workdays: list[CalendarDayInput]


def calendar_years(inputs: list[CalendarYearInput] | None) -> tuple[CalendarYear, ...]:
    if not inputs:
        return ()
    if len(inputs) > MAX_YEARS or any(
            len(y.holidays) + len(y.make_up_workdays) > MAX_DAYS for y in inputs):
        raise ValidationFailed.single(
            "calendarYears", f"at most {MAX_YEARS} years of at most {MAX_DAYS} days", "M11")
    return tuple(
        CalendarYear(y.year, tuple(Holiday(d.day, d.name[:100]) for d in y.holidays),
                     tuple(MakeUpWorkday(d.day, d.name[:100]) for d in y.make_up_workdays))
        for y in inputs)
