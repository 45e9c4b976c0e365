"""Meal requests as the department sees them: state, findings, who did what, and the lists a
manager works from (open exceptions, overdue paperwork, signed meals waiting for the bill).

The full history of a meal is its event stream (read by the API); this row is its summary.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from events.bills.matching import restaurant_key
from events.meals.events import (
    MEAL_EVENTS,
    MealApproved,
    MealApprovedVerbally,
    MealCostRecorded,
    MealCostSigned,
    MealPaperworkCompleted,
    MealReimbursementDenied,
    MealRejected,
    MealRequested,
    MealSettled,
    MealVouchersIssued,
)
from events.meals.rules import Finding, Severity
from events.store.codec import to_data
from events.store.envelope import StoredEvent
from projections.base import Projection

DDL = (
    """CREATE TABLE meal_requests (
        meal_id text PRIMARY KEY,
        status text NOT NULL,
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL,
        customer_id text NOT NULL,
        organisation text NOT NULL,
        customer_tier text NOT NULL,
        meal_type text NOT NULL,
        host text NOT NULL,
        meal_at timestamptz NOT NULL,
        restaurant text NOT NULL,
        restaurant_key text NOT NULL,
        guests int NOT NULL,
        accompanying int NOT NULL,
        estimated_total_fen bigint,
        estimated_drinks_fen bigint,
        arranging_specialist text,
        designated_restaurant boolean NOT NULL DEFAULT false,
        manager_attends boolean NOT NULL DEFAULT false,
        purpose text NOT NULL DEFAULT '',
        policy_version int NOT NULL,
        findings jsonb NOT NULL,
        policy_exception boolean NOT NULL,
        exception_reason text,
        exception_approved boolean NOT NULL DEFAULT false,
        verbal boolean NOT NULL DEFAULT false,
        urgency_reason text,
        paperwork_due date,
        approved_by text,
        approved_at timestamptz,
        decision_note text,
        vouchers_issued int NOT NULL DEFAULT 0,
        total_fen bigint,
        drinks_fen bigint,
        cost_findings jsonb NOT NULL DEFAULT '[]',
        cost_blocked boolean NOT NULL DEFAULT false,
        cost_policy_version int,
        signed_by text,
        annotation text,
        bill_id text,
        settled_month text,
        settled_by text,
        denial_reason text,
        updated_at timestamptz NOT NULL,
        position bigint NOT NULL
    )""",
    "CREATE INDEX meal_requests_by_requester ON meal_requests (requested_by, requested_at)",
    "CREATE INDEX meal_requests_by_status ON meal_requests (status, restaurant_key)",
    "CREATE INDEX meal_requests_recent ON meal_requests (requested_at DESC, meal_id DESC)",
)


def findings_json(findings: tuple[Finding, ...]) -> list[Any]:
    data = to_data(list(findings))
    assert isinstance(data, list)
    return data


async def _insert(conn: asyncpg.Connection, stored: StoredEvent, row: dict[str, Any]) -> None:
    row = {**row, "updated_at": stored.recorded_at, "position": stored.position}
    names = ", ".join(row)
    params = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    await conn.execute(f"INSERT INTO meal_requests ({names}) VALUES ({params})", *row.values())


async def _update(conn: asyncpg.Connection, stored: StoredEvent, meal_id: str,
                  changes: dict[str, Any]) -> None:
    changes = {**changes, "updated_at": stored.recorded_at, "position": stored.position}
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=2))
    await conn.execute(f"UPDATE meal_requests SET {sets} WHERE meal_id = $1",
                       meal_id, *changes.values())


def _requested(stored: StoredEvent, e: MealRequested) -> dict[str, Any]:
    f = e.form
    return {
        "meal_id": e.meal_id, "status": "requested", "requested_by": e.requested_by,
        "requested_at": e.requested_at, "customer_id": f.customer_id,
        "organisation": f.organisation, "customer_tier": e.customer_tier.value,
        "meal_type": f.meal_type.value, "host": f.host.value, "meal_at": f.meal_at,
        "restaurant": f.restaurant, "restaurant_key": restaurant_key(f.restaurant),
        "guests": f.guests, "accompanying": f.accompanying,
        "estimated_total_fen": f.estimated_total_fen,
        "estimated_drinks_fen": f.estimated_drinks_fen,
        "arranging_specialist": f.arranging_specialist,
        "designated_restaurant": f.designated_restaurant, "manager_attends": f.manager_attends,
        "purpose": f.purpose, "policy_version": e.policy_version,
        "findings": findings_json(e.findings), "policy_exception": e.policy_exception,
        "exception_reason": f.exception_reason,
    }


def _verbal(stored: StoredEvent, e: MealApprovedVerbally) -> dict[str, Any]:
    return {
        "meal_id": e.meal_id, "status": "verbally_approved", "requested_by": e.requested_by,
        "requested_at": e.approved_at, "customer_id": e.customer_id,
        "organisation": e.organisation, "customer_tier": e.customer_tier.value,
        "meal_type": e.meal_type.value, "host": e.host.value, "meal_at": e.meal_at,
        "restaurant": e.restaurant, "restaurant_key": restaurant_key(e.restaurant),
        "guests": e.guests, "accompanying": e.accompanying,
        "estimated_total_fen": e.estimated_total_fen, "policy_version": e.policy_version,
        "findings": findings_json(e.findings), "policy_exception": e.exception_approved,
        "exception_approved": e.exception_approved, "verbal": True,
        "urgency_reason": e.urgency_reason, "paperwork_due": e.paperwork_due,
        "approved_by": e.approved_by, "approved_at": e.approved_at,
    }


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    e = stored.event
    if isinstance(e, MealRequested):
        await _insert(conn, stored, _requested(stored, e))
    elif isinstance(e, MealApprovedVerbally):
        await _insert(conn, stored, _verbal(stored, e))
    elif isinstance(e, MealCostRecorded):
        # Mirrors the aggregate: the first cost moves approved -> held and verbally approved ->
        # pending paperwork (M11); a corrected cost leaves the status alone.
        await conn.execute(
            "UPDATE meal_requests SET status = CASE status WHEN 'approved' THEN 'held'"
            " WHEN 'verbally_approved' THEN 'pending_paperwork' ELSE status END"
            " WHERE meal_id = $1", e.meal_id,
        )
        await _update(conn, stored, e.meal_id, {
            "total_fen": e.total_fen, "drinks_fen": e.drinks_fen, "guests": e.guests,
            "accompanying": e.accompanying, "cost_findings": findings_json(e.findings),
            "cost_blocked": any(f.severity is Severity.BLOCK for f in e.findings),
            "cost_policy_version": e.policy_version,
        })
    elif e is not None:
        changes = _changes(e)
        if changes:
            await _update(conn, stored, getattr(e, "meal_id"), changes)  # noqa: B009


def _changes(e: Any) -> dict[str, Any]:
    if isinstance(e, MealApproved):
        return {"status": "approved", "approved_by": e.approved_by, "approved_at": e.approved_at,
                "decision_note": e.note, "exception_approved": e.exception_approved}
    if isinstance(e, MealRejected):
        return {"status": "rejected", "decision_note": e.reason}
    if isinstance(e, MealVouchersIssued):
        return {"vouchers_issued": e.count}
    if isinstance(e, MealPaperworkCompleted):
        f = e.form
        return {"status": "paperwork_completed", "meal_at": f.meal_at,
                "restaurant": f.restaurant, "restaurant_key": restaurant_key(f.restaurant),
                "organisation": f.organisation, "estimated_total_fen": f.estimated_total_fen,
                "estimated_drinks_fen": f.estimated_drinks_fen, "purpose": f.purpose,
                "arranging_specialist": f.arranging_specialist,
                "exception_reason": f.exception_reason}
    if isinstance(e, MealCostSigned):
        return {"status": "signed", "signed_by": e.signed_by, "annotation": e.annotation}
    if isinstance(e, MealSettled):
        return {"status": "settled", "bill_id": e.bill_id, "settled_month": e.month,
                "settled_by": e.settled_by}
    if isinstance(e, MealReimbursementDenied):
        return {"status": "reimbursement_denied", "denial_reason": e.reason}
    return {}


async def signed_unsettled_ids(pool: asyncpg.Pool, restaurant: str) -> list[str]:
    """Meals signed and not yet settled at a restaurant: the candidates for its bill (M13)."""
    rows = await pool.fetch(
        "SELECT meal_id FROM meal_requests WHERE status = 'signed' AND restaurant_key = $1"
        " ORDER BY meal_id", restaurant_key(restaurant),
    )
    return [r["meal_id"] for r in rows]


PROJECTIONS = [
    Projection(
        name="meals", version=1, tables=("meal_requests",), ddl=DDL, handle=handle,
        event_types=frozenset(cls.__name__ for cls in MEAL_EVENTS),
    )
]
