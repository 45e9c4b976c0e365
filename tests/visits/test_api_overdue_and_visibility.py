"""Overdue commitments and follow-ups by the company time zone's today (V11, V12), and who
sees which visits: staff their own unless KEHU_STAFF_SEE_ALL; managers and auditors all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.customers.api import (
    AUDITOR,
    COMMITMENTS,
    CUSTOMER,
    FOLLOW_UPS,
    MANAGER,
    OTHER_STAFF,
    VISIT,
    VISITS,
    company_today,
    log_input,
    mutate,
    new_customer,
    query,
)
from tests.live import LiveServer, run_server


def _zone_whose_today_is_not_utcs() -> str:
    """UTC-12 is a day behind UTC before 12:00 UTC; UTC+14 a day ahead from 10:00 UTC. The
    hour of choice leaves at least an hour's margin, so the test is deterministic."""
    return "Etc/GMT+12" if datetime.now(UTC).hour < 11 else "Pacific/Kiritimati"


ZONE = _zone_whose_today_is_not_utcs()


@pytest.fixture(scope="module")
def zoned_server(dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second server on the same database, in another company time zone, letting staff see
    all visits. The session server keeps running the projections; this one reads them."""
    tmp: Path = tmp_path_factory.mktemp("zoned")
    with run_server(dsn, tmp, KEHU_TIMEZONE=ZONE, KEHU_STAFF_SEE_ALL="true") as server:
        yield server


async def _visit_with_commitment(server: LiveServer, actual: date, due: date,
                                 *, auth: str | None = None) -> tuple[str, str, str, int]:
    extra = {"auth": auth} if auth else {}
    customer, _ = await new_customer(server)
    logged = await mutate(server, "logVisit", log_input(
        actual, unplanned=True, customerId=customer, purposes=["HELP_WITH_PROBLEM"]), **extra)
    recorded = await mutate(server, "recordCommitment", {
        "visitId": logged["visitId"], "what": "维修设备", "dueDate": due.isoformat()}, **extra)
    assert recorded["__typename"] == "CommitmentMutationOk", recorded
    return customer, logged["visitId"], recorded["commitmentId"], recorded["position"]


async def test_V11_V12_overdue_commitments_and_follow_ups_are_listed(
    live_server: LiveServer,
) -> None:
    today = company_today()
    customer, visit, late, _ = await _visit_with_commitment(
        live_server, today - timedelta(20), today - timedelta(18))
    kept = await mutate(live_server, "recordCommitment", {
        "visitId": visit, "what": "提供报价", "dueDate": (today - timedelta(19)).isoformat()})
    fulfilled = await mutate(live_server, "fulfillCommitment", {
        "visitId": visit, "commitmentId": kept["commitmentId"],
        "fulfilledOn": (today - timedelta(15)).isoformat()})
    at = fulfilled["position"]
    overdue = await query(live_server, COMMITMENTS, {"overdue": True, "customer": customer,
                                                     "at": at})
    assert [n["commitmentId"] for n in overdue["commitments"]["nodes"]] == [late]
    follow_ups = await query(live_server, FOLLOW_UPS, {"overdue": True, "customer": customer})
    assert [n["commitmentId"] for n in follow_ups["followUps"]["nodes"]] == [kept["commitmentId"]]
    summary = (await query(live_server, CUSTOMER, {"id": customer}))["customer"]
    assert (summary["overdueCommitments"], summary["followUpsOverdue"]) == (1, 1)


async def test_V11_V12_overdue_is_judged_by_the_company_time_zone(
    zoned_server: LiveServer,
) -> None:
    zone_today = datetime.now(ZoneInfo(ZONE)).date()
    utc_today = datetime.now(UTC).date()
    assert zone_today != utc_today
    # Overdue in the company's zone exactly when it is not in UTC, and the other way round.
    d = min(zone_today, utc_today)
    expected = d < zone_today
    customer, visit, open_one, _ = await _visit_with_commitment(
        zoned_server, d - timedelta(7), d)
    kept = await mutate(zoned_server, "recordCommitment", {
        "visitId": visit, "what": "寄送资料", "dueDate": (d - timedelta(7)).isoformat()})
    fulfilled = await mutate(zoned_server, "fulfillCommitment", {
        "visitId": visit, "commitmentId": kept["commitmentId"],
        "fulfilledOn": (d - timedelta(7)).isoformat()})
    assert fulfilled["followUpDue"] == d.isoformat()
    at = fulfilled["position"]
    listed = await query(zoned_server, COMMITMENTS, {"customer": customer, "at": at})
    by_id = {n["commitmentId"]: n for n in listed["commitments"]["nodes"]}
    assert by_id[open_one]["overdue"] is expected
    due = await query(zoned_server, FOLLOW_UPS, {"due": True, "customer": customer})
    assert due["followUps"]["nodes"][0]["followUpOverdue"] is expected


async def test_staff_see_only_their_own_visits_managers_and_auditors_all(
    live_server: LiveServer, zoned_server: LiveServer,
) -> None:
    customer, visit, _, at = await _visit_with_commitment(
        live_server, company_today(), company_today())
    mine = await query(live_server, VISIT, {"id": visit, "at": at})
    assert mine["visit"]["id"] == visit
    theirs = await query(live_server, VISIT, {"id": visit}, auth=OTHER_STAFF)
    assert theirs["visit"] is None
    listed = await query(live_server, VISITS, {"filter": {"customerId": customer}},
                         auth=OTHER_STAFF)
    assert listed["visits"]["totalCount"] == 0
    hidden = await query(live_server, COMMITMENTS, {"customer": customer}, auth=OTHER_STAFF)
    assert hidden["commitments"]["totalCount"] == 0
    for reader in (MANAGER, AUDITOR):
        seen = await query(live_server, VISITS, {"filter": {"customerId": customer}},
                           auth=reader)
        assert seen["visits"]["totalCount"] == 1
    # With KEHU_STAFF_SEE_ALL, other staff see it too.
    shared = await query(zoned_server, VISIT, {"id": visit}, auth=OTHER_STAFF)
    assert shared["visit"]["id"] == visit


async def test_V11_staff_cannot_fulfil_another_staff_members_commitment(
    live_server: LiveServer,
) -> None:
    _, visit, commitment, _ = await _visit_with_commitment(
        live_server, company_today(), company_today())
    refused = await mutate(live_server, "fulfillCommitment",
                           {"visitId": visit, "commitmentId": commitment}, auth=OTHER_STAFF)
    assert refused["__typename"] == "ForbiddenError"
    done = await mutate(live_server, "fulfillCommitment",
                        {"visitId": visit, "commitmentId": commitment}, auth=MANAGER)
    assert done["status"] == "FULFILLED"
