"""Every projection the runner keeps up to date, in one list."""

from __future__ import annotations

from projections.base import Projection

ALL: list[Projection] = []


def by_name(name: str) -> Projection:
    for projection in ALL:
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in ALL)
    raise KeyError(f"no projection {name!r}; known: {known}")
