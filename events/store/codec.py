"""Frozen dataclasses <-> JSON-safe dicts, driven by type hints.

Events are stored as JSONB and hashed as canonical JSON, so every value must survive a round
trip unchanged: ints (money in fen), strings, bools, None, ISO dates, enum values, lists and
nested dataclasses. Floats are refused on purpose: they do not round-trip through JSONB exactly.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, Union, get_args, get_origin


def to_data(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, frozenset)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, float):
        raise TypeError("floats are not stored in events; use integers (fen, minutes, ...)")
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_data(tp: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(tp) if a is not type(None)]
        return from_data(inner[0], data)
    if origin in (list, tuple, frozenset):
        args = get_args(tp)
        item = args[0] if args else Any
        return origin(from_data(item, v) for v in data)
    if origin is dict:
        _, value_type = get_args(tp)
        return {k: from_data(value_type, v) for k, v in data.items()}
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            hints = _hints(tp)
            names = {f.name for f in dataclasses.fields(tp)}
            return tp(**{k: from_data(hints[k], v) for k, v in data.items() if k in names})
        if issubclass(tp, Enum):
            return tp(data)
        if issubclass(tp, datetime):
            return datetime.fromisoformat(data)
        if issubclass(tp, date):
            return date.fromisoformat(data)
    return data
