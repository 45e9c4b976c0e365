"""`LoggedEvent.data` as a union with one GraphQL type per event type (`MealSettled { mealId
amount month ... }`), generated from the event classes, so integrations write typed queries and
codegen works, and a new event type appears in the schema without code here.

The shape is the public one of events/integration/public.py (webhooks, NATS): camelCase names,
money (`*_fen`) as a decimal string under the name without `_fen`, enums by the API's value,
times in the company's zone. Objects inside an event get a type named `<Object>Data`. An event
type this server does not know (written by a newer version) is an `UnknownEventData` with its
stored payload.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from enum import Enum
from functools import cache
from typing import Any, Union, cast, get_args, get_origin

import strawberry
from strawberry.scalars import JSON

from events.integration.catalogue import load_event_types
from events.integration.public import FEN, public_key
from events.shared.money import format_fen
from events.store.envelope import Event, StoredEvent
from schema import enums  # noqa: F401 (the API's enums registered before types are made)
from schema.descriptions_text import FIELDS

# value, company zone -> what the GraphQL field returns
Convert = Callable[[Any, tzinfo], Any]

TYPE_TEXT = ("The data of a {event} event, in the API's shape: camelCase names, money as "
             "decimal strings, enum values, times with the company's offset.")
OBJECT_TEXT = "A {name} inside an event's data, in the same shape as the event's data."
FIELD_TEXT = "{field} of the event (stored as {stored})."


@strawberry.type(description="The data of an event type this server version does not know "
                             "(written by a newer version): its stored payload.")
class UnknownEventData:
    type: str = strawberry.field(description="The event's type name.")
    payload: JSON = strawberry.field(description="The stored payload, as written.")


def _is_api_enum(tp: type) -> bool:
    """An enum the API already exposes (strawberry.enum): the field uses that GraphQL enum."""
    return hasattr(tp, "__strawberry_definition__") or hasattr(tp, "_enum_definition")


def _same(value: Any, _: tzinfo) -> Any:
    return value


def _shape(tp: Any, money: bool) -> tuple[Any, Convert]:
    """The GraphQL annotation for a stored field's Python type, and how to convert its value."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(tp) if a is not type(None)]
        annotation, convert = _shape(inner[0], money)
        return annotation | None, lambda v, tz: None if v is None else convert(v, tz)
    if origin in (list, tuple, frozenset):
        item, convert_item = _shape(get_args(tp)[0], money)
        return list[item], lambda v, tz: [convert_item(x, tz) for x in v]  # type: ignore[valid-type]
    if money and tp is int:
        return str, lambda v, _: format_fen(v)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return (tp, _same) if _is_api_enum(tp) else (str, lambda v, _: v.name)
    if tp is datetime:
        return datetime, lambda v, tz: v.astimezone(tz)
    if tp is date:
        return date, _same
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        nested = _data_type(tp, f"{tp.__name__}Data", OBJECT_TEXT.format(name=tp.__name__))
        return nested, lambda v, tz: _build(nested, v, tz)
    return tp, _same


_made: dict[type, type] = {}  # class -> its GraphQL type: an object in several events is one
_names: dict[str, type] = {}  # GraphQL name -> the class that has it


def _data_type(cls: type, graphql_name: str, description: str) -> type:
    if cls not in _made:
        if _names.setdefault(graphql_name, cls) is not cls:
            # Two contexts with an object of the same name (meals' and visits' Finding): the
            # second is named after its context (VisitsFindingData).
            graphql_name = cls.__module__.split(".")[1].title() + graphql_name
            _names[graphql_name] = cls
        _made[cls] = _make(cls, graphql_name, description)
    return _made[cls]


def _make(cls: type, graphql_name: str, description: str) -> type:
    hints = typing.get_type_hints(cls)
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    converters: dict[str, tuple[str, Convert]] = {}
    for f in dataclasses.fields(cls):
        public = public_key(f.name)
        annotation, convert = _shape(hints[f.name], f.name.endswith(FEN))
        attribute = f.name.removesuffix(FEN)
        annotations[attribute] = annotation
        text = None if public in FIELDS else FIELD_TEXT.format(field=public, stored=f.name)
        namespace[attribute] = strawberry.field(name=public, description=text)
        converters[attribute] = (f.name, convert)
    namespace["__annotations__"] = annotations
    namespace["__kehu_converters__"] = converters
    generated = type(graphql_name, (), namespace)
    return strawberry.type(generated, name=graphql_name, description=description)


def _build(data_type: type, value: Any, tz: tzinfo) -> Any:
    converters: dict[str, tuple[str, Convert]] = data_type.__kehu_converters__  # type: ignore[attr-defined]
    return data_type(**{attribute: convert(getattr(value, stored), tz)
                        for attribute, (stored, convert) in converters.items()})


@cache
def event_data_types() -> dict[str, type]:
    """Event type name -> its GraphQL data type, for every event class the write side has."""
    return {name: _data_type(cls, name, TYPE_TEXT.format(event=name))
            for name, cls in load_event_types().items()}


@cache
def event_data_union() -> Any:
    members = (*event_data_types().values(), UnknownEventData)
    return typing.Annotated[Union[members],  # noqa: UP007 (a tuple of members needs Union[...])
                            strawberry.union("EventData", description=(
                                "An event's data, one type per event type (the type is named "
                                "after the event); `UnknownEventData` for a type this server "
                                "does not know."))]


def generated_types() -> dict[type, type]:
    """Every class given a GraphQL type so far (events and the objects inside them)."""
    event_data_types()
    return dict(_made)


def event_data(e: StoredEvent, tz: tzinfo) -> Any:
    event: Event | None = e.event
    data_type = event_data_types().get(e.event_type) if event is not None else None
    if data_type is None:
        return UnknownEventData(type=e.event_type, payload=cast(JSON, e.payload))
    return _build(data_type, event, tz)
