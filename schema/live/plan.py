"""What a live query is: the operation, its normalised arguments, whose figures it shows, the
projections it reads and how to compute it. Each query module builds its plan once, from the
same argument checks its query uses, so a subscription and its query never disagree."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def canonical(value: Any) -> Hashable:
    """A hashable, comparable form of normalised arguments: lists become tuples, dataclasses
    (the projections' filter criteria) their class and fields, enums their value."""
    if isinstance(value, Enum):
        return (type(value).__name__, value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,
                tuple((f.name, canonical(getattr(value, f.name)))
                      for f in dataclasses.fields(value)))
    if isinstance(value, list | tuple):
        return tuple(canonical(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), canonical(v)) for k, v in value.items()))
    assert isinstance(value, Hashable), value
    return value


@dataclass(frozen=True)
class Plan(Generic[T]):
    operation: str  # the GraphQL field name, e.g. expenseSummary
    arguments: Any  # normalised: defaults applied, validated, as the computation uses them
    owner: str | None  # visibility: the staff member whose own figures these are; None: all
    reads: frozenset[str]  # projection names; their advance makes the result worth computing
    compute: Callable[[], Awaitable[T]] = dataclasses.field(compare=False)

    @property
    def key(self) -> Hashable:
        return (self.operation, canonical(self.arguments), self.owner)
