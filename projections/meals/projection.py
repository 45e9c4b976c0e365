"""Meal requests as the department sees them: state, findings, who did what, and the lists a
manager works from (open exceptions, overdue paperwork, signed meals waiting for the bill).

The full history of a meal is its event stream (read by the API); this row is its summary.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from events.bills.matching import restaurant_key
from events.customers.commands import CustomerTierChanged
from events.meals.events import (
    MEAL_EVENTS,
    MealApproved,
    MealApprovedAfterTheFact,
    MealApprovedVerbally,
    MealCostRecorded,
    MealCostSigned,
    MealPaperworkCompleted,
    MealReimbursementDenied,
    MealRejected,
    MealReportedUnapproved,
    MealRequested,
    MealSettled,
    MealVouchersIssued,
)
from events.meals.rules import Finding, Severity
from events.store.codec import to_data
from events.store.envelope import StoredEvent
from projections import bulk
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
        unapproved boolean NOT NULL DEFAULT false,
        unapproved_reason text,
        tier_change text,                   -- a tier change around the request (M5), if any
        updated_at timestamptz NOT NULL,
        position bigint NOT NULL
    )""",
    """CREATE TABLE meal_tier_changes (
        customer_id text NOT NULL,
        changed_at timestamptz NOT NULL,
        previous_tier text NOT NULL,
        tier text NOT NULL
    )""",
    "CREATE INDEX meal_tier_changes_by_customer ON meal_tier_changes (customer_id, changed_at)",
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


def _unapproved(stored: StoredEvent, e: MealReportedUnapproved) -> dict[str, Any]:
    return {
        "meal_id": e.meal_id, "status": "pending_paperwork", "requested_by": e.requested_by,
        "requested_at": e.reported_at, "customer_id": e.customer_id,
        "organisation": e.organisation, "customer_tier": e.customer_tier.value,
        "meal_type": e.meal_type.value, "host": e.host.value, "meal_at": e.meal_at,
        "restaurant": e.restaurant, "restaurant_key": restaurant_key(e.restaurant),
        "guests": e.guests, "accompanying": e.accompanying, "policy_version": e.policy_version,
        "findings": findings_json(e.findings), "policy_exception": True,
        "unapproved": True, "unapproved_reason": e.reason, "paperwork_due": e.paperwork_due,
    }


def _verbal(stored: StoredEvent, e: MealApprovedVerbally) -> dict[str, Any]:
    return {
        "meal_id": e.meal_id, "status": "pending_paperwork", "requested_by": e.requested_by,
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
        await _tier_changed_before(conn, e.meal_id, e.form.customer_id, e.requested_at)
    elif isinstance(e, MealApprovedVerbally):
        await _insert(conn, stored, _verbal(stored, e))
        await _tier_changed_before(conn, e.meal_id, e.customer_id, e.approved_at)
    elif isinstance(e, MealReportedUnapproved):
        await _insert(conn, stored, _unapproved(stored, e))
        await _tier_changed_before(conn, e.meal_id, e.customer_id, e.reported_at)
    elif isinstance(e, CustomerTierChanged):
        await _tier_changed_after(conn, stored, e)
    elif isinstance(e, MealApprovedAfterTheFact):
        await _update(conn, stored, e.meal_id, {
            "approved_by": e.approved_by, "approved_at": e.approved_at, "decision_note": e.note,
            "exception_approved": True})
        await conn.execute(
            "UPDATE meal_requests SET status = CASE WHEN total_fen IS NULL THEN 'approved'"
            " ELSE 'held' END WHERE meal_id = $1", e.meal_id)
    elif isinstance(e, MealCostRecorded):
        # Mirrors the aggregate: the first cost moves approved -> held; a meal waiting for its
        # paperwork keeps waiting (M11); a corrected cost leaves the status alone.
        await conn.execute(
            "UPDATE meal_requests SET status = CASE status WHEN 'approved' THEN 'held'"
            " ELSE status END WHERE meal_id = $1", e.meal_id,
        )
        await _update(conn, stored, e.meal_id, _cost_changes(e))
    elif e is not None:
        changes = _changes(e)
        if changes:
            await _update(conn, stored, getattr(e, "meal_id"), changes)  # noqa: B009


def _cost_changes(e: MealCostRecorded) -> dict[str, Any]:
    return {"total_fen": e.total_fen, "drinks_fen": e.drinks_fen, "guests": e.guests,
            "accompanying": e.accompanying, "cost_findings": findings_json(e.findings),
            "cost_blocked": any(f.severity is Severity.BLOCK for f in e.findings),
            "cost_policy_version": e.policy_version}


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


# A tier change this close before a request is shown with the meal: raising a customer's tier
# just before a meal and lowering it after is how caps would be stepped around (M5).
TIER_CHANGE_WINDOW = "30 days"
_CLOSED = "('settled', 'rejected', 'reimbursement_denied')"


async def _tier_changed_before(conn: asyncpg.Connection, meal_id: str, customer_id: str,
                               at: Any) -> None:
    await conn.execute(
        "UPDATE meal_requests m SET tier_change = 'tier changed from ' || c.previous_tier"
        " || ' to ' || c.tier || ' on ' || to_char(c.changed_at, 'YYYY-MM-DD')"
        " || ', before this request (M5)'"
        " FROM (SELECT * FROM meal_tier_changes WHERE customer_id = $2"
        f" AND changed_at > $3::timestamptz - interval '{TIER_CHANGE_WINDOW}'"
        " AND changed_at <= $3 ORDER BY changed_at DESC LIMIT 1) c WHERE m.meal_id = $1",
        meal_id, customer_id, at,
    )


async def _tier_changed_after(conn: asyncpg.Connection, stored: StoredEvent,
                              e: CustomerTierChanged) -> None:
    await conn.execute(
        "INSERT INTO meal_tier_changes VALUES ($1, $2, $3, $4)",
        e.customer_id, stored.recorded_at, e.previous_tier.value, e.tier.value,
    )
    # Open meals keep the tier in force when they were requested; the change is shown beside.
    await conn.execute(
        "UPDATE meal_requests SET tier_change = 'tier changed from ' || $2 || ' to ' || $3"
        " || ' on ' || to_char($4::timestamptz, 'YYYY-MM-DD') || ', after this request; the"
        " meal keeps the tier ' || customer_tier || ' (M5)'"
        f" WHERE customer_id = $1 AND status NOT IN {_CLOSED}",
        e.customer_id, e.previous_tier.value, e.tier.value, stored.recorded_at,
    )


_CREATED: dict[type, Any] = {MealRequested: _requested, MealApprovedVerbally: _verbal,
                             MealReportedUnapproved: _unapproved}


def _customer_and_time(e: Any) -> tuple[str, Any]:
    if isinstance(e, MealRequested):
        return e.form.customer_id, e.requested_at
    if isinstance(e, MealApprovedVerbally):
        return e.customer_id, e.approved_at
    return e.customer_id, e.reported_at


# A cost recorded on a row whose status this run has not set: `MealCostRecorded`'s CASE.
_HELD_IF_APPROVED = {"status": "CASE t.status WHEN 'approved' THEN 'held' ELSE t.status END"}


async def write_meals(conn: asyncpg.Connection, events: list[StoredEvent]) -> None:
    """A run of new meals, decisions, costs and paperwork: each meal's events folded in order
    (later values win). A meal new in the run is one INSERT row, then its tier change before
    (M5) in one UPDATE: no tier change can come between them, as it would end the run. A meal
    from an earlier page is one UPDATE row per shape of change."""
    new: dict[str, dict[str, Any]] = {}
    old: dict[str, dict[str, Any]] = {}
    held: set[str] = set()  # old meals whose status the database decides (_HELD_IF_APPROVED)
    looked_up: tuple[list[str], list[str], list[Any]] = ([], [], [])
    for stored in events:
        e = stored.event
        meal_id = getattr(e, "meal_id")  # noqa: B009
        if type(e) in _CREATED:
            row = new[meal_id] = _CREATED[type(e)](stored, e)
            for column, value in zip(looked_up, (meal_id, *_customer_and_time(e)), strict=True):
                column.append(value)
        else:
            row = new.get(meal_id) or old.setdefault(meal_id, {"meal_id": meal_id})
        if isinstance(e, MealCostRecorded):
            if "status" in row:  # known here: the aggregate's rule, in Python
                row["status"] = "held" if row["status"] == "approved" else row["status"]
            else:
                held.add(meal_id)
            row.update(_cost_changes(e))
        elif type(e) not in _CREATED:
            changes = _changes(e)
            row.update(changes)
            if "status" in changes:
                held.discard(meal_id)
        row.update(updated_at=stored.recorded_at, position=stored.position)
    await bulk.insert(conn, "meal_requests", list(new.values()))
    if new:
        await conn.execute(
            "UPDATE meal_requests m SET tier_change = 'tier changed from ' || c.previous_tier"
            " || ' to ' || c.tier || ' on ' || to_char(c.changed_at, 'YYYY-MM-DD')"
            " || ', before this request (M5)'"
            " FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(meal_id, customer_id,"
            " at) CROSS JOIN LATERAL (SELECT * FROM meal_tier_changes"
            f" WHERE customer_id = u.customer_id AND changed_at > u.at - interval"
            f" '{TIER_CHANGE_WINDOW}' AND changed_at <= u.at ORDER BY changed_at DESC LIMIT 1) c"
            " WHERE m.meal_id = u.meal_id", *looked_up)
    await bulk.update(conn, "meal_requests", ("meal_id",),
                      [r for m, r in old.items() if m not in held])
    await bulk.update(conn, "meal_requests", ("meal_id",),
                      [r for m, r in old.items() if m in held], _HELD_IF_APPROVED)


_BULK_TYPES = frozenset({"MealRequested", "MealApprovedVerbally", "MealReportedUnapproved",
                        "MealApproved", "MealRejected", "MealVouchersIssued",
                        "MealPaperworkCompleted", "MealCostSigned", "MealSettled",
                        "MealReimbursementDenied", "MealCostRecorded"})


async def signed_unsettled_ids(pool: asyncpg.Pool, restaurant: str) -> list[str]:
    """Meals signed and not yet settled at a restaurant: the candidates for its bill (M13)."""
    rows = await pool.fetch(
        "SELECT meal_id FROM meal_requests WHERE status = 'signed' AND restaurant_key = $1"
        " ORDER BY meal_id", restaurant_key(restaurant),
    )
    return [r["meal_id"] for r in rows]


PROJECTIONS = [
    Projection(
        # v2: unapproved meals (M14), tier changes around a request (M5), pending paperwork
        # from the verbal approval on (M11).
        name="meals", version=2, tables=("meal_requests", "meal_tier_changes"), ddl=DDL,
        handle=handle,
        event_types=frozenset({*(cls.__name__ for cls in MEAL_EVENTS), "CustomerTierChanged"}),
        # No page_order: a tier change reads every open meal of the customer, so meals must
        # not move ahead of it; one bulk writer takes a meal's whole run instead.
        bulk=((_BULK_TYPES, write_meals),),
    )
]
