"""Every projection the runner keeps up to date, one module per view."""

from __future__ import annotations

from projections.base import Projection
from projections.classification import projection as classification
from projections.customers import projection as customers
from projections.documents import projection as documents
from projections.expenses import projection as expenses
from projections.meals import projection as meals
from projections.notifications import projection as notifications
from projections.people import projection as people
from projections.policies import projection as policies
from projections.sales import projection as sales
from projections.visits import projection as visits

ALL: list[Projection] = [
    *customers.PROJECTIONS,
    *visits.PROJECTIONS,
    *policies.PROJECTIONS,
    *meals.PROJECTIONS,
    *expenses.PROJECTIONS,
    *sales.PROJECTIONS,
    *classification.PROJECTIONS,
    *people.PROJECTIONS,
    *documents.PROJECTIONS,
    *notifications.PROJECTIONS,
]


def by_name(name: str) -> Projection:
    for projection in ALL:
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in ALL)
    raise KeyError(f"no projection {name!r}; known: {known}")
