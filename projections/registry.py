"""Every projection the runner keeps up to date, composed from one module per view."""

from __future__ import annotations

import importlib

from projections.base import Projection

# Each module exports PROJECTIONS: a list of Projection.
MODULES = (
    "projections.customers",
    "projections.visits",
    "projections.policies",
    "projections.meals",
    "projections.expenses",
    "projections.sales",
    "projections.classification",
)


def _collect() -> list[Projection]:
    found: list[Projection] = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not written yet
                continue
            raise
        found.extend(module.PROJECTIONS)
    return found


ALL: list[Projection] = _collect()


def by_name(name: str) -> Projection:
    for projection in ALL:
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in ALL)
    raise KeyError(f"no projection {name!r}; known: {known}")
