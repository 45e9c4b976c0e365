"""Frozen dataclasses <-> JSON-safe dicts, driven by type hints.

Events are stored as JSONB and hashed as canonical JSON, so every value must survive a round
trip unchanged: ints (money in fen), strings, bools, None, ISO dates, enum values, lists and
nested dataclasses. Floats are refused on purpose: they do not round-trip through JSONB exactly.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, Union, get_args, get_origin

_PLAIN = frozenset({str, int, bool, type(None)})
_converters: dict[type, Callable[[Any], Any]] = {}


def to_data(value: Any) -> Any:
    """The JSON-safe form of a value. Called for every value of every event written and of
    every row a projection writes, so plain values return at once and everything else goes
    through a converter chosen once per type (is_dataclass, fields() and the isinstance chain
    on every call were a third of a rebuild's client time)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    convert = _converters.get(kind)
    if convert is None:
        convert = _converters[kind] = _converter_for(value)
    return convert(value)


def _converter_for(value: Any) -> Callable[[Any], Any]:
    """How every value of `type(value)` is converted (isinstance answers the same for all)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = tuple(f.name for f in dataclasses.fields(value))
        return lambda v: {name: to_data(getattr(v, name)) for name in names}
    if isinstance(value, Enum):
        return lambda v: v.value
    if isinstance(value, date):  # datetimes too
        return lambda v: v.isoformat()
    if isinstance(value, (list, tuple, frozenset)):
        return lambda v: [to_data(item) for item in v]
    if isinstance(value, dict):
        return lambda v: {str(k): to_data(item) for k, item in v.items()}
    if isinstance(value, float):
        return _refuse_float
    return lambda v: v


def _refuse_float(_value: float) -> Any:
    raise TypeError("floats are not stored in events; use integers (fen, minutes, ...)")


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
