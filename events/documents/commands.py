"""Commands of the documents context: attach a stored document to a meal or a restaurant
bill, or explain why a meal's cost has no receipt (M12, M13)."""

from __future__ import annotations

from dataclasses import dataclass

from events.documents.values import DocumentKind


@dataclass(frozen=True)
class AttachMealDocument:
    meal_id: str
    sha256: str
    kind: DocumentKind
    invoice_number: str | None = None


@dataclass(frozen=True)
class ExplainMissingReceipt:
    meal_id: str
    reason: str


@dataclass(frozen=True)
class AttachBillDocument:
    restaurant: str
    month: str  # "YYYY-MM"
    sha256: str
    kind: DocumentKind
    bill_id: str | None = None  # None: the bill being audited
    line_no: int | None = None  # None: the whole bill
    invoice_number: str | None = None
