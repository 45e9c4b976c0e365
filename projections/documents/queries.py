"""SELECTs of the documents view: a meal's or a bill's documents, whether a caller may see a
document at all, and the findings the manager sees (duplicates, costs without receipts)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

_COLUMNS = ("sha256, size, media_type, kind, invoice_number, attached_by, attached_at,"
            " meal_id, bill_stream, bill_id, line_no")


async def of_meals(pool: asyncpg.Pool, meal_ids: Sequence[str]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT {_COLUMNS} FROM document_attachments WHERE meal_id = ANY($1)"
        " ORDER BY position", list(meal_ids))
    return rows


async def of_bills(pool: asyncpg.Pool, bill_streams: Sequence[str]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        f"SELECT {_COLUMNS} FROM document_attachments WHERE bill_stream = ANY($1)"
        " ORDER BY position", list(bill_streams))
    return rows


async def receipt_reasons(pool: asyncpg.Pool, meal_ids: Sequence[str]) -> dict[str, str]:
    """The reason given for each meal whose cost has no receipt (M12), where one was given."""
    rows = await pool.fetch("SELECT meal_id, no_receipt_reason FROM meal_receipts"
                            " WHERE meal_id = ANY($1) AND no_receipt_reason IS NOT NULL",
                            list(meal_ids))
    return {r["meal_id"]: r["no_receipt_reason"] for r in rows}


async def may_see(pool: asyncpg.Pool, sha256: str, owner: str | None) -> bool:
    """Whether an attachment of this document is visible: `owner` None sees every meal and
    bill; a staff member (owner = their id) sees their own meals' documents only."""
    found = await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM document_attachments WHERE sha256 = $1"
        " AND ($2::text IS NULL OR (meal_id IS NOT NULL AND owner = $2)))", sha256, owner)
    return bool(found)


# Three kinds of finding, newest first; $1: only this staff member's meals (then duplicates,
# which involve other people's meals and bills, are not shown); $3: only those of one meal.
_FINDINGS = """
SELECT * FROM (
    SELECT 'DUPLICATE_DOCUMENT' AS kind, sha256, NULL::text AS invoice_number,
           array_agg(DISTINCT meal_id) AS meal_ids, ARRAY[]::text[] AS bill_ids,
           max(attached_at) AS at
    FROM document_attachments WHERE meal_id IS NOT NULL AND $1::text IS NULL
    GROUP BY sha256 HAVING count(DISTINCT meal_id) > 1
    UNION ALL
    SELECT 'DUPLICATE_INVOICE_NUMBER', NULL, min(invoice_number),
           coalesce(array_agg(DISTINCT meal_id) FILTER (WHERE meal_id IS NOT NULL), '{}'),
           coalesce(array_agg(DISTINCT bill_id) FILTER (WHERE bill_id IS NOT NULL), '{}'),
           max(attached_at)
    FROM document_attachments WHERE invoice_key IS NOT NULL AND $1::text IS NULL
    GROUP BY invoice_key
    HAVING count(DISTINCT sha256) > 1 OR count(DISTINCT meal_id) > 1
    UNION ALL
    SELECT 'MISSING_RECEIPT', NULL, NULL, ARRAY[meal_id], ARRAY[]::text[], cost_recorded_at
    FROM meal_receipts
    WHERE cost_recorded_at IS NOT NULL AND documents = 0 AND no_receipt_reason IS NULL
      AND NOT closed AND ($1::text IS NULL OR owner = $1)
) f WHERE $3::text IS NULL OR $3 = ANY(meal_ids)
ORDER BY at DESC, kind, sha256, invoice_number LIMIT $2
"""


async def findings(pool: asyncpg.Pool, owner: str | None, limit: int,
                   meal_id: str | None = None) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(_FINDINGS, owner, limit, meal_id)
    return rows
