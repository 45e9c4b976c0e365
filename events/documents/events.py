"""Events of the documents context, appended to the meal's or the bill's own stream.

Each names the document by its SHA-256 with its size and media type (read from the stored
bytes, never the client's claim), so the hash chain vouches for the exact file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from events.documents.values import DocumentKind
from events.store.envelope import Event


@dataclass(frozen=True)
class MealDocumentAttached(Event):
    meal_id: str
    sha256: str
    size: int
    media_type: str  # the IANA media type, e.g. image/jpeg, as read from the bytes
    kind: DocumentKind
    invoice_number: str | None
    attached_by: str
    attached_at: datetime


@dataclass(frozen=True)
class MealMissingReceiptExplained(Event):
    """M12: the meal's cost has no receipt, and this is why (a finding until then)."""

    meal_id: str
    reason: str
    explained_by: str
    explained_at: datetime


@dataclass(frozen=True)
class BillDocumentAttached(Event):
    bill_id: str
    restaurant: str
    month: str
    line_no: int | None  # None: the document is the whole bill's
    sha256: str
    size: int
    media_type: str  # the IANA media type, e.g. image/jpeg, as read from the bytes
    kind: DocumentKind
    invoice_number: str | None
    attached_by: str
    attached_at: datetime


DOCUMENT_EVENTS: tuple[type[Event], ...] = (
    MealDocumentAttached, MealMissingReceiptExplained, BillDocumentAttached)
