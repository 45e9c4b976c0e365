"""The customer attributes T1 classifies by (客户总体分类表), one row per customer.

Its own table, built from the customer events alone, so T1 never waits on or couples to
another view. A NULL attribute means the department does not know it: T1 counts it as
"unknown".
"""

from __future__ import annotations

from typing import Any

import asyncpg

from events.customers.commands import (
    CustomerProfileUpdated,
    CustomerRegistered,
    CustomerStatusChanged,
    CustomerTierChanged,
    ProspectPromoted,
)
from events.customers.values import Classification, CustomerStatus
from events.privacy.events import PersonalDataErased
from events.store.envelope import StoredEvent
from projections import bulk
from projections.base import Projection

# The T1 criteria, in the source table's order; each is a column of classification_customers.
CRITERIA = ("gender", "age_band", "area", "region", "spending", "demand_type", "wage_band",
            "buying_channel")

DDL = (
    "CREATE TABLE classification_customers (customer_id text PRIMARY KEY,"
    " name text NOT NULL, tier text NOT NULL, status text NOT NULL, registered_on date NOT NULL,"
    + ", ".join(f"{c} text" for c in CRITERIA) + ")",
)


def _values(classification: Classification) -> list[Any]:
    values = [getattr(classification, c) for c in CRITERIA]
    return [None if v is None else v.value for v in values]


_SET = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(CRITERIA))


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    e = stored.event
    if isinstance(e, CustomerRegistered):
        columns = ", ".join(CRITERIA)
        params = ", ".join(f"${i}" for i in range(6, 6 + len(CRITERIA)))
        await conn.execute(
            f"INSERT INTO classification_customers (customer_id, name, tier, status,"
            f" registered_on, {columns}) VALUES ($1, $2, $3, $4, $5, {params})",
            e.customer_id, e.organisation_name, e.tier.value, e.status.value, e.registered_on,
            *_values(e.classification))
    elif isinstance(e, CustomerProfileUpdated):
        if e.organisation_name is not None:
            await conn.execute("UPDATE classification_customers SET name = $2"
                               " WHERE customer_id = $1", e.customer_id, e.organisation_name)
        if e.classification is not None:  # the full classification after the change
            await conn.execute(f"UPDATE classification_customers SET {_SET}"
                               " WHERE customer_id = $1", e.customer_id,
                               *_values(e.classification))
    elif isinstance(e, CustomerTierChanged):
        await conn.execute("UPDATE classification_customers SET tier = $2 WHERE customer_id = $1",
                           e.customer_id, e.tier.value)
    elif isinstance(e, CustomerStatusChanged):
        await _status(conn, e.customer_id, e.status)
    elif isinstance(e, ProspectPromoted):
        await _status(conn, e.customer_id, CustomerStatus.ACTIVE)
    elif isinstance(e, PersonalDataErased):
        # An individual's own attributes go; T1 counts them as unknown from now on.
        await conn.execute("UPDATE classification_customers SET gender = NULL,"
                           " age_band = NULL, wage_band = NULL WHERE customer_id = $1",
                           e.subject_id)


async def _status(conn: asyncpg.Connection, customer_id: str, status: CustomerStatus) -> None:
    await conn.execute("UPDATE classification_customers SET status = $2 WHERE customer_id = $1",
                       customer_id, status.value)


async def write_registrations(conn: asyncpg.Connection, events: list[StoredEvent]) -> None:
    rows = []
    for stored in events:
        e = stored.event
        assert isinstance(e, CustomerRegistered)
        rows.append({"customer_id": e.customer_id, "name": e.organisation_name,
                     "tier": e.tier.value, "status": e.status.value,
                     "registered_on": e.registered_on,
                     **dict(zip(CRITERIA, _values(e.classification), strict=True))})
    await bulk.insert(conn, "classification_customers", rows)


PROJECTIONS = [
    Projection(
        name="classification",
        version=1,
        tables=("classification_customers",),
        ddl=DDL,
        handle=handle,
        event_types=frozenset({
            "CustomerRegistered", "CustomerProfileUpdated", "CustomerTierChanged",
            "CustomerStatusChanged", "ProspectPromoted", "PersonalDataErased",
        }),
        page_order=(frozenset({"CustomerRegistered"}),),
        bulk=((frozenset({"CustomerRegistered"}), write_registrations),),
    )
]
