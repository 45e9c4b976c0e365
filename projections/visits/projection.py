"""The visit list (V1-V10) and the commitments with their follow-ups (V11, V12).

`visits` holds one row per visit with the columns the list filters on (customer, owner, date,
status, purposes, unplanned) and the plan and log as JSON for the detail view. `commitments`
holds one row per commitment; a follow-up is the same row once the commitment is fulfilled, so
"follow-ups due" is a query, not a second copy. Overdue is decided at read time against the
company time zone's today, never stored, because it changes with the calendar, not the log.
"""

from __future__ import annotations

import asyncpg

from events.privacy.events import PersonalDataErased
from events.store.codec import to_data
from events.store.envelope import StoredEvent
from events.store.personal import ERASED
from events.visits.commands import (
    CommitmentFulfilled,
    CommitmentRecorded,
    FollowUpLogged,
    VisitLogged,
    VisitPlanned,
    VisitReportFiled,
)
from events.visits.model import VisitStatus
from projections import bulk
from projections.base import Projection
from projections.bulk import Row

DDL = (
    """CREATE TABLE visits (
        visit_id text PRIMARY KEY,
        seq bigint NOT NULL,             -- position of the first event: the list's order
        customer_id text NOT NULL,
        owner_id text NOT NULL,
        status text NOT NULL,
        unplanned boolean NOT NULL,
        purposes text[] NOT NULL,
        planned_date date,
        actual_date date,
        visit_date date NOT NULL,        -- actual date once logged, else the planned date
        training_meets_standard boolean, -- V9, for the dashboard's share
        plan jsonb,
        log jsonb,
        report text,
        record_card text,
        report_filed_on date,
        updated_position bigint NOT NULL
    )""",
    "CREATE INDEX visits_by_owner ON visits (owner_id, seq)",
    "CREATE INDEX visits_by_customer ON visits (customer_id, seq)",
    "CREATE INDEX visits_by_date ON visits (visit_date)",
    "CREATE INDEX visits_by_purpose ON visits USING gin (purposes)",
    """CREATE TABLE commitments (
        visit_id text NOT NULL,
        commitment_id text NOT NULL,
        customer_id text NOT NULL,
        visit_owner_id text NOT NULL,
        owner_id text NOT NULL,
        what text NOT NULL,
        due_date date NOT NULL,
        recorded_on date NOT NULL,
        status text NOT NULL,
        fulfilled_on date,
        fulfilment_note text,
        fulfilled_late boolean,
        follow_up_due date,
        followed_up_on date,
        satisfaction int,
        remarks text,
        follow_up_late boolean,
        seq bigint NOT NULL,
        PRIMARY KEY (visit_id, commitment_id)
    )""",
    "CREATE INDEX commitments_open ON commitments (status, due_date)",
    "CREATE INDEX commitments_follow_up ON commitments (status, follow_up_due)",
    "CREATE INDEX commitments_by_customer ON commitments (customer_id)",
)


async def _planned(conn: asyncpg.Connection, e: VisitPlanned, at: int) -> None:
    await conn.execute(
        "INSERT INTO visits (visit_id, seq, customer_id, owner_id, status, unplanned, purposes,"
        " planned_date, visit_date, plan, updated_position)"
        " VALUES ($1, $2, $3, $4, $5, false, $6, $7, $7, $8, $2)",
        e.visit_id, at, e.customer_id, e.planned_by, VisitStatus.PLANNED.value,
        [p.value for p in e.purposes], e.planned_date, to_data(e),
    )


async def _logged(conn: asyncpg.Connection, e: VisitLogged, at: int) -> None:
    # An unplanned visit (V2) has no row yet; a planned one keeps its seq, owner and plan.
    await conn.execute(
        "INSERT INTO visits (visit_id, seq, customer_id, owner_id, status, unplanned, purposes,"
        " actual_date, visit_date, training_meets_standard, log, updated_position)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $2)"
        " ON CONFLICT (visit_id) DO UPDATE SET status = $5, purposes = $7, actual_date = $8,"
        " visit_date = $8, training_meets_standard = $9, log = $10, updated_position = $2",
        e.visit_id, at, e.customer_id, e.logged_by, VisitStatus.LOGGED.value, e.unplanned,
        [p.value for p in e.purposes], e.actual_date, e.training_meets_standard, to_data(e),
    )


async def _reported(conn: asyncpg.Connection, e: VisitReportFiled, at: int) -> None:
    await conn.execute(
        "UPDATE visits SET status = $2, report = $3, record_card = $4, report_filed_on = $5,"
        " updated_position = $6 WHERE visit_id = $1",
        e.visit_id, VisitStatus.COMPLETED.value, e.report, e.record_card, e.filed_on, at,
    )


async def _committed(conn: asyncpg.Connection, e: CommitmentRecorded, at: int) -> None:
    await conn.execute(
        "INSERT INTO commitments (visit_id, commitment_id, customer_id, visit_owner_id,"
        " owner_id, what, due_date, recorded_on, status, seq)"
        " SELECT $1, $2, $3, v.owner_id, $4, $5, $6, $7, 'open', $8"
        " FROM visits v WHERE v.visit_id = $1",
        e.visit_id, e.commitment_id, e.customer_id, e.owner_id, e.what, e.due_date,
        e.recorded_on, at,
    )


# What the visit's events read as after the customer's erasure (events/visits/commands.py
# marks the same fields): the copies here must not outlive the key.
_ERASE_VISITS = """
UPDATE visits SET
    log = CASE WHEN log IS NULL THEN NULL ELSE
        jsonb_set(jsonb_set(log, '{received_by,name}', to_jsonb($2::text)),
                  '{received_by,title}', to_jsonb($2::text))
        || jsonb_build_object('findings', (SELECT coalesce(jsonb_agg(f || '{"contact": null}'),
                                                           '[]'::jsonb)
                                           FROM jsonb_array_elements(log->'findings') f)) END,
    report = CASE WHEN report IS NULL THEN NULL ELSE $2 END,
    record_card = CASE WHEN record_card IS NULL THEN NULL ELSE $2 END
WHERE customer_id = $1
"""


async def _erased(conn: asyncpg.Connection, e: PersonalDataErased) -> None:
    await conn.execute(_ERASE_VISITS, e.subject_id, ERASED)
    await conn.execute("UPDATE commitments SET fulfilment_note = NULL, remarks = NULL"
                       " WHERE customer_id = $1", e.subject_id)


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    e = stored.event
    at = stored.position
    if isinstance(e, VisitPlanned):
        await _planned(conn, e, at)
    elif isinstance(e, VisitLogged):
        await _logged(conn, e, at)
    elif isinstance(e, VisitReportFiled):
        await _reported(conn, e, at)
    elif isinstance(e, CommitmentRecorded):
        await _committed(conn, e, at)
    elif isinstance(e, CommitmentFulfilled):
        await conn.execute(
            "UPDATE commitments SET status = 'fulfilled', fulfilled_on = $3,"
            " fulfilment_note = $4, fulfilled_late = $5, follow_up_due = $6"
            " WHERE visit_id = $1 AND commitment_id = $2",
            e.visit_id, e.commitment_id, e.fulfilled_on, e.note, e.late, e.follow_up_due,
        )
    elif isinstance(e, PersonalDataErased):
        await _erased(conn, e)
    elif isinstance(e, FollowUpLogged):
        await conn.execute(
            "UPDATE commitments SET status = 'followed_up', followed_up_on = $3,"
            " satisfaction = $4, remarks = $5, follow_up_late = $6"
            " WHERE visit_id = $1 AND commitment_id = $2",
            e.visit_id, e.commitment_id, e.followed_up_on, e.satisfaction, e.remarks, e.late,
        )


# Rows go to PostgreSQL as JSON written by msgspec, which writes an enum as its value.
def _planned_row(e: VisitPlanned, at: int) -> Row:
    return {"visit_id": e.visit_id, "seq": at, "customer_id": e.customer_id,
            "owner_id": e.planned_by, "status": VisitStatus.PLANNED.value, "unplanned": False,
            "purposes": e.purposes, "planned_date": e.planned_date,
            "visit_date": e.planned_date, "plan": bulk.as_json(e), "updated_position": at}


def _logged_changes(e: VisitLogged, at: int) -> Row:
    """What logging sets on a row that exists (`_logged`'s ON CONFLICT assignments)."""
    return {"status": VisitStatus.LOGGED.value, "purposes": e.purposes,
            "actual_date": e.actual_date, "visit_date": e.actual_date,
            "training_meets_standard": e.training_meets_standard, "log": bulk.as_json(e),
            "updated_position": at}


_LOGGED_COLUMNS = ("status", "purposes", "actual_date", "visit_date", "training_meets_standard",
                   "log", "updated_position")
_LOGGED_SETS = ", ".join(f"{c} = excluded.{c}" for c in _LOGGED_COLUMNS)


async def write_plans_and_logs(conn: asyncpg.Connection, events: list[StoredEvent]) -> None:
    """A run of plans and logs: a visit planned and logged in the run is inserted once, as
    logged; a log of a visit planned earlier (or unplanned) is one upsert row."""
    fresh: dict[str, Row] = {}  # planned in this run: a plain INSERT of the final row
    logged: dict[str, Row] = {}  # not planned in this run: INSERT ... ON CONFLICT
    for stored in events:
        e, at = stored.event, stored.position
        if isinstance(e, VisitPlanned):
            fresh[e.visit_id] = _planned_row(e, at)
        elif isinstance(e, VisitLogged):
            row = fresh.get(e.visit_id) or logged.get(e.visit_id)
            if row is None:
                logged[e.visit_id] = {
                    "visit_id": e.visit_id, "seq": at, "customer_id": e.customer_id,
                    "owner_id": e.logged_by, "unplanned": e.unplanned,
                    **_logged_changes(e, at)}
            else:
                row.update(_logged_changes(e, at))
    await bulk.insert(conn, "visits", list(fresh.values()))
    await bulk.insert(conn, "visits", list(logged.values()),
                      f"ON CONFLICT (visit_id) DO UPDATE SET {_LOGGED_SETS}")


EVENT_TYPES = frozenset(
    cls.type_name()
    for cls in (VisitPlanned, VisitLogged, VisitReportFiled, CommitmentRecorded,
                CommitmentFulfilled, FollowUpLogged, PersonalDataErased)
)

PROJECTIONS = [
    Projection(name="visits", version=1, tables=("visits", "commitments"), ddl=DDL,
               handle=handle, event_types=EVENT_TYPES,
               page_order=(frozenset({"VisitPlanned"}), frozenset({"VisitLogged"})),
               bulk=((frozenset({"VisitPlanned", "VisitLogged"}), write_plans_and_logs),),
    ),
]
