"""A meal or a bill together with the documents on its stream.

The meal's and the bill's own folds ignore the document events; these folds wrap them and add
what the documents decisions need (which documents are attached already).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from events.bills import model as bills
from events.bills.model import RestaurantBillState
from events.documents.events import BillDocumentAttached, MealDocumentAttached
from events.meals import model as meals
from events.meals.state import MealState
from events.store.envelope import Event


@dataclass(frozen=True)
class MealPapers:
    meal: MealState | None
    documents: frozenset[str] = frozenset()  # sha256 of each attached document


@dataclass(frozen=True)
class BillPapers:
    bill: RestaurantBillState | None
    # (bill id, line number or None, sha256) of each attached document
    documents: frozenset[tuple[str, int | None, str]] = frozenset()


def evolve_meal(state: MealPapers | None, event: Event) -> MealPapers:
    state = state or MealPapers(None)
    if isinstance(event, MealDocumentAttached):
        return replace(state, documents=state.documents | {event.sha256})
    return replace(state, meal=meals.evolve(state.meal, event))


def evolve_bill(state: BillPapers | None, event: Event) -> BillPapers:
    state = state or BillPapers(None)
    if isinstance(event, BillDocumentAttached):
        return replace(state, documents=state.documents | {
            (event.bill_id, event.line_no, event.sha256)})
    return replace(state, bill=bills.evolve(state.bill, event))
