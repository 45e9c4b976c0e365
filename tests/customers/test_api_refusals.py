"""Invalid input through the API gets a typed error naming the field and writes no event."""

from __future__ import annotations

import uuid
from datetime import timedelta

from events.customers import model as customers
from events.store.event_store import EventStore
from events.visits import model as visits
from projections.paging import encode_cursor
from tests.customers.api import (
    AUDITOR,
    VISITS,
    company_today,
    log_input,
    mutate,
    new_customer,
    stream_length,
)
from tests.live import LiveServer, gql


async def _logged_visit(server: LiveServer, days_ago: int = 0) -> tuple[str, str]:
    customer, _ = await new_customer(server)
    actual = company_today() - timedelta(days=days_ago)
    logged = await mutate(server, "logVisit", log_input(
        actual, unplanned=True, customerId=customer, purposes=["HELP_WITH_PROBLEM"]))
    assert logged["__typename"] == "LogVisitOk", logged
    return customer, logged["visitId"]


async def test_V2_unknown_customer_is_not_found_and_writes_nothing(
    live_server: LiveServer, store: EventStore
) -> None:
    visit = str(uuid.uuid4())
    result = await mutate(live_server, "planVisit", {
        "id": visit, "customerId": str(uuid.uuid4()), "plannedDate": company_today().isoformat(),
        "purposes": ["LEARN_NEEDS"], "objectives": ["介绍新品"]})
    assert result["__typename"] == "NotFoundError" and result["field"] == "customerId"
    assert await stream_length(store, visits.stream_id(visit)) == 0


async def test_V10_a_report_before_the_log_is_refused_and_writes_nothing(
    live_server: LiveServer, store: EventStore
) -> None:
    customer, _ = await new_customer(live_server)
    planned = await mutate(live_server, "planVisit", {
        "customerId": customer, "plannedDate": company_today().isoformat(),
        "purposes": ["COLLECT_INFORMATION"], "objectives": ["了解竞争对手"]})
    stream = visits.stream_id(planned["visitId"])
    result = await mutate(live_server, "fileVisitReport", {
        "visitId": planned["visitId"], "report": "报告", "recordCard": "记录卡"})
    assert result["__typename"] == "InvalidStateError"
    assert (result["field"], result["rule"]) == ("visitId", "V10")
    assert await stream_length(store, stream) == 1


async def test_V12_a_follow_up_before_fulfilment_is_refused_and_writes_nothing(
    live_server: LiveServer, store: EventStore
) -> None:
    _, visit = await _logged_visit(live_server)
    recorded = await mutate(live_server, "recordCommitment", {
        "visitId": visit, "what": "安排技术培训", "dueDate": company_today().isoformat()})
    before = await stream_length(store, visits.stream_id(visit))
    result = await mutate(live_server, "logFollowUp", {
        "visitId": visit, "commitmentId": recorded["commitmentId"], "satisfaction": 4})
    assert result["__typename"] == "InvalidStateError" and result["rule"] == "V12"
    assert await stream_length(store, visits.stream_id(visit)) == before


async def test_V11_V12_dates_in_the_wrong_order_name_the_field_and_write_nothing(
    live_server: LiveServer, store: EventStore
) -> None:
    today = company_today()
    _, visit = await _logged_visit(live_server, days_ago=2)
    stream = visits.stream_id(visit)
    early = await mutate(live_server, "recordCommitment", {
        "visitId": visit, "what": "报价", "dueDate": (today - timedelta(5)).isoformat()})
    assert early["__typename"] == "ValidationError"
    assert (early["field"], early["rule"]) == ("dueDate", "V11")
    recorded = await mutate(live_server, "recordCommitment", {
        "visitId": visit, "what": "报价", "dueDate": today.isoformat()})
    commitment = recorded["commitmentId"]
    before_visit = await mutate(live_server, "fulfillCommitment", {
        "visitId": visit, "commitmentId": commitment,
        "fulfilledOn": (today - timedelta(3)).isoformat()})
    assert (before_visit["field"], before_visit["rule"]) == ("fulfilledOn", "V11")
    await mutate(live_server, "fulfillCommitment", {"visitId": visit, "commitmentId": commitment})
    before = await stream_length(store, stream)
    too_early = await mutate(live_server, "logFollowUp", {
        "visitId": visit, "commitmentId": commitment, "satisfaction": 3,
        "followedUpOn": (today - timedelta(1)).isoformat()})
    assert too_early["__typename"] == "ValidationError"
    assert (too_early["field"], too_early["rule"]) == ("followedUpOn", "V12")
    assert await stream_length(store, stream) == before


async def test_V1_an_unknown_purpose_is_refused_by_the_schema_naming_the_field(
    live_server: LiveServer, store: EventStore
) -> None:
    customer, _ = await new_customer(live_server)
    visit = str(uuid.uuid4())
    body = await mutate(live_server, "planVisit", {
        "id": visit, "customerId": customer, "plannedDate": company_today().isoformat(),
        "purposes": ["SELL_HARDER"], "objectives": ["x"]})
    message = body["errors"][0]["message"]
    assert "purposes" in message and "SELL_HARDER" in message and "VisitPurpose" in message
    assert await stream_length(store, visits.stream_id(visit)) == 0


async def test_V1_a_visit_without_purpose_is_a_validation_error(live_server: LiveServer) -> None:
    customer, _ = await new_customer(live_server)
    result = await mutate(live_server, "planVisit", {
        "customerId": customer, "plannedDate": company_today().isoformat(),
        "purposes": [], "objectives": ["拜访"]})
    assert result["__typename"] == "ValidationError"
    assert {"field": "purposes", "rule": "V1"} in [
        {"field": p["field"], "rule": p["rule"]} for p in result["problems"]]


async def test_V2_a_visit_without_a_plan_must_say_unplanned(live_server: LiveServer) -> None:
    result = await mutate(live_server, "logVisit", {"visitId": str(uuid.uuid4()),
                                                    **log_input(company_today())})
    assert result["__typename"] == "NotFoundError"
    assert (result["field"], result["rule"]) == ("visitId", "V2")


async def test_a_bad_id_and_a_bad_cursor_are_typed(
    live_server: LiveServer, store: EventStore
) -> None:
    result = await mutate(live_server, "registerCustomer",
                          {"id": "not-a-uuid", "organisationName": "某公司"})
    assert result["__typename"] == "ValidationError" and result["field"] == "id"
    body = await gql(live_server, VISITS, {"after": "bm9wZQ=="}, auth=AUDITOR)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    forged = encode_cursor(2**70)  # well-formed, but no position of this query
    body = await gql(live_server, VISITS, {"after": forged}, auth=AUDITOR)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    reversed_range = {"dateFrom": "2025-03-10", "dateTo": "2025-03-01"}
    body = await gql(live_server, VISITS, {"filter": reversed_range}, auth=AUDITOR)
    assert body["errors"][0]["extensions"]["field"] == "filter.dateTo"


async def test_auditors_read_but_never_write(live_server: LiveServer, store: EventStore) -> None:
    customer = str(uuid.uuid4())
    result = await mutate(live_server, "registerCustomer",
                          {"id": customer, "organisationName": "审计测试"}, auth=AUDITOR)
    assert result["__typename"] == "ForbiddenError" and result["rule"] == "roles"
    assert await stream_length(store, customers.stream_id(customer)) == 0
