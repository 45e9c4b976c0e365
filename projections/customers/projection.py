"""The customer view: profile, contacts, tier, status, T1 attributes, credit status (V6) and the
customer's visit count and last visit.

Commitment and follow-up counts are not kept here: whether one is overdue depends on today, so
queries count them from the visits projection's `commitments` table at read time. Meal spend is
the meals projection's own table, joined by customer_id.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from events.customers.commands import (
    CreditChangeRecorded,
    CustomerProfileUpdated,
    CustomerRegistered,
    CustomerStatusChanged,
    CustomerTierChanged,
    ProspectPromoted,
)
from events.customers.values import Classification, CustomerStatus
from events.privacy.events import PersonalDataErased
from events.store.codec import to_data
from events.store.envelope import StoredEvent
from events.visits.commands import VisitLogged
from projections import bulk
from projections.base import Projection

CLASSIFICATION_COLUMNS = (
    "gender", "age_band", "area", "region", "spending", "demand_type", "wage_band",
    "buying_channel",
)

DDL = (
    """CREATE TABLE customers (
        customer_id text PRIMARY KEY,
        organisation_name text NOT NULL,
        tier text NOT NULL,
        status text NOT NULL,
        contacts jsonb NOT NULL,
        notes text,
        gender text, age_band text, area text, region text, spending text,
        demand_type text, wage_band text, buying_channel text,
        source_visit_id text,
        registered_on date NOT NULL,
        registered_position bigint NOT NULL,
        credit_changes int NOT NULL DEFAULT 0,
        credit_direction text,
        last_credit_change text,
        last_credit_cause text,
        last_credit_on date,
        visit_count int NOT NULL DEFAULT 0,
        last_visit_date date,
        personal_data_erased boolean NOT NULL DEFAULT false,
        updated_position bigint NOT NULL
    )""",
    # The customers connection pages by (organisation_name, customer_id).
    "CREATE INDEX customers_by_name ON customers (organisation_name, customer_id)",
)


def _classification(c: Classification) -> list[Any]:
    return [to_data(getattr(c, name)) for name in CLASSIFICATION_COLUMNS]


async def _register(conn: asyncpg.Connection, e: CustomerRegistered, position: int) -> None:
    columns = ", ".join(CLASSIFICATION_COLUMNS)
    marks = ", ".join(f"${i}" for i in range(10, 10 + len(CLASSIFICATION_COLUMNS)))
    await conn.execute(
        f"INSERT INTO customers (customer_id, organisation_name, tier, status, contacts, notes,"
        f" source_visit_id, registered_on, registered_position, {columns}, updated_position)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, {marks}, $9)",
        e.customer_id, e.organisation_name, e.tier.value, e.status.value, to_data(e.contacts),
        e.notes, e.source_visit_id, e.registered_on, position, *_classification(e.classification),
    )


async def _update(conn: asyncpg.Connection, e: CustomerProfileUpdated, position: int) -> None:
    changes: dict[str, Any] = {}
    if e.organisation_name is not None:
        changes["organisation_name"] = e.organisation_name
    if e.contacts is not None:
        changes["contacts"] = to_data(e.contacts)
    if e.notes is not None:
        changes["notes"] = e.notes
    if e.classification is not None:
        changes.update(zip(CLASSIFICATION_COLUMNS, _classification(e.classification),
                           strict=True))
    await _set(conn, e.customer_id, position, changes)


async def _set(conn: asyncpg.Connection, customer_id: str, position: int,
               changes: dict[str, Any]) -> None:
    # Column names come from this module only, never from input.
    names = [*changes, "updated_position"]
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    await conn.execute(f"UPDATE customers SET {assignments} WHERE customer_id = $1",
                       customer_id, *changes.values(), position)


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    e = stored.event
    at = stored.position
    if isinstance(e, CustomerRegistered):
        await _register(conn, e, at)
    elif isinstance(e, CustomerProfileUpdated):
        await _update(conn, e, at)
    elif isinstance(e, CustomerTierChanged):
        await _set(conn, e.customer_id, at, {"tier": e.tier.value})
    elif isinstance(e, CustomerStatusChanged):
        await _set(conn, e.customer_id, at, {"status": e.status.value})
    elif isinstance(e, ProspectPromoted):
        await _set(conn, e.customer_id, at, {"status": CustomerStatus.ACTIVE.value})
    elif isinstance(e, CreditChangeRecorded):
        await conn.execute(
            "UPDATE customers SET credit_changes = credit_changes + 1, credit_direction = $2,"
            " last_credit_change = $3, last_credit_cause = $4, last_credit_on = $5,"
            " updated_position = $6 WHERE customer_id = $1",
            e.customer_id, e.direction.value, e.change, e.cause, e.recorded_on, at,
        )
    elif isinstance(e, PersonalDataErased):
        # The events before it read as erased from now on; the row must not keep a copy.
        await conn.execute(
            "UPDATE customers SET contacts = '[]', notes = NULL, gender = NULL,"
            " age_band = NULL, wage_band = NULL, personal_data_erased = true,"
            " updated_position = $2 WHERE customer_id = $1", e.subject_id, at)
    elif isinstance(e, VisitLogged):
        await conn.execute(
            "UPDATE customers SET visit_count = visit_count + 1,"
            " last_visit_date = GREATEST(last_visit_date, $2) WHERE customer_id = $1",
            e.customer_id, e.actual_date,
        )


async def write_registrations(conn: asyncpg.Connection, events: list[StoredEvent]) -> None:
    rows = []
    for stored in events:
        e = stored.event
        assert isinstance(e, CustomerRegistered)
        rows.append({
            "customer_id": e.customer_id, "organisation_name": e.organisation_name,
            "tier": e.tier.value, "status": e.status.value,
            "contacts": bulk.as_json(e.contacts),
            "notes": e.notes, "source_visit_id": e.source_visit_id,
            "registered_on": e.registered_on, "registered_position": stored.position,
            # msgspec writes an enum as its value, as to_data does
            **{name: getattr(e.classification, name) for name in CLASSIFICATION_COLUMNS},
            "updated_position": stored.position})
    await bulk.insert(conn, "customers", rows)


async def write_visits(conn: asyncpg.Connection, events: list[StoredEvent]) -> None:
    """A run of logged visits: each customer's count and last date moved once, by the sum."""
    customers, dates = [], []
    for stored in events:
        e = stored.event
        assert isinstance(e, VisitLogged)
        customers.append(e.customer_id)
        dates.append(e.actual_date)
    # GREATEST and max both skip NULLs, so folding the run's dates first changes nothing.
    await conn.execute(
        "UPDATE customers t SET visit_count = t.visit_count + v.n,"
        " last_visit_date = GREATEST(t.last_visit_date, v.last)"
        " FROM (SELECT customer_id, count(*) AS n, max(actual_date) AS last"
        " FROM unnest($1::text[], $2::date[]) AS u(customer_id, actual_date)"
        " GROUP BY customer_id) v WHERE t.customer_id = v.customer_id", customers, dates)


EVENT_TYPES = frozenset(
    cls.type_name()
    for cls in (CustomerRegistered, CustomerProfileUpdated, CustomerTierChanged,
                CustomerStatusChanged, ProspectPromoted, CreditChangeRecorded, VisitLogged,
                PersonalDataErased)
)

PROJECTIONS = [
    Projection(name="customers", version=2, tables=("customers",), ddl=DDL, handle=handle,
               event_types=EVENT_TYPES,
               page_order=(frozenset({"CustomerRegistered"}),),
               bulk=((frozenset({"CustomerRegistered"}), write_registrations),
                     (frozenset({"VisitLogged"}), write_visits)),
    ),
]
