"""Date and DateTime inputs within one documented range, for every argument and input field.

strawberry's own scalars accept any ISO date, so `9999-12-31T23:59:59-12:00` reached a resolver
and overflowed there when moved to UTC (an internal error instead of a refusal). These replace
them schema-wide (strawberry `scalar_overrides`), so no resolver sees a date outside the range:
from 1900-01-01 to 2999-12-31, in the caller's zone or any other. Output is unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dateutil.parser
from strawberry.types.scalar import ScalarDefinition

from schema.positions import POSITION, Position


class OutOfRange(ValueError):
    """graphql-core reports it with the value's location; tagged BAD_USER_INPUT with the field
    by schema/input_errors.py."""


FIRST_YEAR = 1900
LAST_YEAR = 2999
RANGE_TEXT = f"{FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"
# A date string longer than this is not a date: refused before any parser reads it.
MAX_TEXT = 64


def _text(value: Any, kind: str) -> str:
    if not isinstance(value, str):
        raise OutOfRange(f"{kind} must be an ISO 8601 string")
    if len(value) > MAX_TEXT or not value.isascii():
        raise OutOfRange(f"{kind} must be an ISO 8601 string")
    return value


def year_in_range(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def parse_date(value: Any) -> dt.date:
    text = _text(value, "Date")
    try:
        parsed = dt.date.fromisoformat(text)
    except ValueError:
        raise OutOfRange(f"Date {text!r} is not YYYY-MM-DD") from None
    if not year_in_range(parsed.year):
        raise OutOfRange(f"Date {text!r} is outside {RANGE_TEXT}")
    return parsed


def parse_datetime(value: Any) -> dt.datetime:
    text = _text(value, "DateTime")
    try:
        parsed: dt.datetime = dateutil.parser.isoparse(text)
    except (ValueError, OverflowError):
        raise OutOfRange(f"DateTime {text!r} is not ISO 8601") from None
    # Both the wall time and the instant stay inside the range, so moving it to UTC or to the
    # company zone cannot overflow.
    aware = parsed.utcoffset() is not None
    if not year_in_range(parsed.year) or (aware and not _utc_in_range(parsed)):
        raise OutOfRange(f"DateTime {text!r} is outside {RANGE_TEXT}")
    return parsed


def _utc_in_range(value: dt.datetime) -> bool:
    try:
        return year_in_range(value.astimezone(dt.UTC).year)
    except OverflowError:
        return False


def _isoformat(value: Any) -> str:
    return value.isoformat()  # type: ignore[no-any-return]


DATE = ScalarDefinition(
    name="Date", description=f"A calendar date, YYYY-MM-DD, from {RANGE_TEXT}.",
    specified_by_url=None, serialize=_isoformat, parse_value=parse_date, parse_literal=None,
)
DATE_TIME = ScalarDefinition(
    name="DateTime",
    description=f"A date and time in ISO 8601 with its zone offset, from {RANGE_TEXT}.",
    specified_by_url=None, serialize=_isoformat, parse_value=parse_datetime,
    parse_literal=None,
)
OVERRIDES: dict[object, Any] = {dt.date: DATE, dt.datetime: DATE_TIME, Position: POSITION}
