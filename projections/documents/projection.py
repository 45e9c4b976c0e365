"""The documents view: every attachment (to a meal or a bill, with the meal's owner for
visibility), and each meal's receipt status for the M12 finding "a cost without a receipt".

Visibility is decided on these rows: a meal's documents are seen by whoever sees the meal
(staff: their own), a bill's by whoever sees the bill's totals (not staff).
"""

from __future__ import annotations

import asyncpg

from events.documents.events import (
    BillDocumentAttached,
    MealDocumentAttached,
    MealMissingReceiptExplained,
)
from events.documents.values import invoice_key
from events.meals.events import (
    MealApprovedVerbally,
    MealCostRecorded,
    MealReimbursementDenied,
    MealRejected,
    MealReportedUnapproved,
    MealRequested,
)
from events.store.envelope import StoredEvent
from projections import bulk
from projections.base import Projection
from projections.bulk import Row

DDL = (
    """CREATE TABLE document_attachments (
        position bigint PRIMARY KEY,      -- the attaching event's log position
        sha256 text NOT NULL,
        size integer NOT NULL,
        media_type text NOT NULL,
        kind text NOT NULL,
        invoice_number text,
        invoice_key text,
        meal_id text,                     -- set for a meal's document
        owner text,                       -- the meal's requester; NULL for a bill's
        bill_stream text,                 -- set for a bill's document
        bill_id text,
        line_no integer,
        attached_by text NOT NULL,
        attached_at timestamptz NOT NULL
    )""",
    "CREATE INDEX document_attachments_sha ON document_attachments (sha256)",
    "CREATE INDEX document_attachments_meal ON document_attachments (meal_id)",
    "CREATE INDEX document_attachments_bill ON document_attachments (bill_stream)",
    "CREATE INDEX document_attachments_invoice ON document_attachments (invoice_key)",
    """CREATE TABLE meal_receipts (
        meal_id text PRIMARY KEY,
        owner text NOT NULL,
        cost_recorded_at timestamptz,     -- NULL until the actual cost is recorded (M12)
        documents integer NOT NULL DEFAULT 0,
        no_receipt_reason text,
        closed boolean NOT NULL DEFAULT false   -- rejected or reimbursement denied
    )""",
    "CREATE INDEX meal_receipts_open ON meal_receipts (cost_recorded_at)"
    " WHERE documents = 0 AND no_receipt_reason IS NULL AND NOT closed",
)

EVENT_TYPES = frozenset({
    "MealRequested", "MealApprovedVerbally", "MealReportedUnapproved", "MealCostRecorded",
    "MealRejected", "MealReimbursementDenied", "MealDocumentAttached",
    "MealMissingReceiptExplained", "BillDocumentAttached",
})


async def _attached(conn: asyncpg.Connection, stored: StoredEvent,
                    e: MealDocumentAttached | BillDocumentAttached) -> None:
    common = (stored.position, e.sha256, e.size, e.media_type, e.kind.value,
              e.invoice_number, invoice_key(e.invoice_number) if e.invoice_number else None,
              e.attached_by, e.attached_at)
    if isinstance(e, MealDocumentAttached):
        await conn.execute(
            "INSERT INTO document_attachments (position, sha256, size, media_type, kind,"
            " invoice_number, invoice_key, attached_by, attached_at, meal_id, owner)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
            " (SELECT owner FROM meal_receipts WHERE meal_id = $10))", *common, e.meal_id)
        await conn.execute("UPDATE meal_receipts SET documents = documents + 1"
                           " WHERE meal_id = $1", e.meal_id)
        return
    await conn.execute(
        "INSERT INTO document_attachments (position, sha256, size, media_type, kind,"
        " invoice_number, invoice_key, attached_by, attached_at, bill_stream, bill_id, line_no)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        *common, stored.stream_id, e.bill_id, e.line_no)


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    e = stored.event
    if isinstance(e, MealRequested | MealApprovedVerbally | MealReportedUnapproved):
        await conn.execute("INSERT INTO meal_receipts (meal_id, owner) VALUES ($1, $2)"
                           " ON CONFLICT (meal_id) DO NOTHING", e.meal_id, e.requested_by)
    elif isinstance(e, MealCostRecorded):
        # A corrected cost keeps the first moment: the receipt has been due since then.
        await conn.execute("UPDATE meal_receipts SET cost_recorded_at ="
                           " coalesce(cost_recorded_at, $2) WHERE meal_id = $1",
                           e.meal_id, e.recorded_at)
    elif isinstance(e, MealRejected | MealReimbursementDenied):
        await conn.execute("UPDATE meal_receipts SET closed = true WHERE meal_id = $1",
                           e.meal_id)
    elif isinstance(e, MealMissingReceiptExplained):
        await conn.execute("UPDATE meal_receipts SET no_receipt_reason = $2 WHERE meal_id = $1",
                           e.meal_id, e.reason)
    elif isinstance(e, MealDocumentAttached | BillDocumentAttached):
        await _attached(conn, stored, e)


_CREATED = (MealRequested, MealApprovedVerbally, MealReportedUnapproved)
_KEEP_FIRST = {"cost_recorded_at": "coalesce(t.cost_recorded_at, r.cost_recorded_at)"}


async def write_receipts(conn: asyncpg.Connection, events: list[StoredEvent]) -> None:
    """A run of new meals, costs and closings: the receipts inserted (a meal already known is
    left alone, as in `handle`), then each meal's changes folded into one UPDATE row. Every
    change comes after its meal's creation in the log, so inserting first changes nothing."""
    created: list[Row] = []
    changed: dict[str, Row] = {}
    for stored in events:
        e = stored.event
        if isinstance(e, _CREATED):
            created.append({"meal_id": e.meal_id, "owner": e.requested_by})
            continue
        row = changed.setdefault(getattr(e, "meal_id"), {"meal_id": getattr(e, "meal_id")})  # noqa: B009
        if isinstance(e, MealCostRecorded):
            row.setdefault("cost_recorded_at", e.recorded_at)  # the first moment is kept
        else:
            row["closed"] = True
    await bulk.insert(conn, "meal_receipts", created, "ON CONFLICT (meal_id) DO NOTHING")
    costs = [r for r in changed.values() if "cost_recorded_at" in r]
    await bulk.update(conn, "meal_receipts", ("meal_id",), costs, _KEEP_FIRST)
    await bulk.update(conn, "meal_receipts", ("meal_id",),
                      [r for r in changed.values() if "cost_recorded_at" not in r])


PROJECTIONS = [
    Projection(
        name="documents", version=1, tables=("document_attachments", "meal_receipts"),
        ddl=DDL, handle=handle, event_types=EVENT_TYPES,
        bulk=((frozenset({"MealRequested", "MealApprovedVerbally", "MealReportedUnapproved",
                          "MealCostRecorded", "MealRejected", "MealReimbursementDenied"}),
               write_receipts),),
    )
]
