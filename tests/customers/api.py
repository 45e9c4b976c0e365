"""GraphQL documents and calls for the customer and visit end-to-end tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.live import LiveServer, gql, token

STAFF = token("e2e-staff", Role.STAFF)
OTHER_STAFF = token("e2e-staff-2", Role.STAFF)
MANAGER = token("e2e-mgr", Role.MANAGER)
AUDITOR = token("e2e-aud", Role.AUDITOR)

ERRORS = """
... on MutationError { message code rule }
... on ValidationError { field problems { field rule message } }
... on NotFoundError { field }
... on InvalidStateError { field }
"""

OK = {
    "customer": "... on CustomerMutationOk { customerId }",
    "visit": "... on VisitMutationOk { visitId status }",
    "log": "... on LogVisitOk { visitId status unplanned prospectCustomerIds "
           "creditChangesRecorded }",
    "commitment": "... on CommitmentMutationOk { visitId commitmentId status followUpDue }",
}
KIND = {
    "registerCustomer": "customer", "updateCustomer": "customer",
    "recordCreditChange": "customer", "changeCustomerTier": "customer",
    "promoteProspect": "customer", "changeCustomerStatus": "customer",
    "planVisit": "visit", "fileVisitReport": "visit", "logVisit": "log",
    "recordCommitment": "commitment", "fulfillCommitment": "commitment",
    "logFollowUp": "commitment",
}


def company_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


async def mutate(server: LiveServer, name: str, input: dict[str, Any], *, auth: str = STAFF,
                 key: str | None = None) -> dict[str, Any]:
    """Run one mutation; returns its result object (with __typename), or the raw body when
    GraphQL itself refused the request."""
    input_type = name[0].upper() + name[1:] + "Input"
    document = (
        f"mutation($input: {input_type}!, $key: String) {{ {name}(input: $input, "
        f"idempotencyKey: $key) {{ __typename ... on MutationOk {{ position replayed }} "
        f"{OK[KIND[name]]} {ERRORS} }} }}"
    )
    body = await gql(server, document, {"input": input, "key": key}, auth=auth)
    if "errors" in body:
        return body
    result: dict[str, Any] = body["data"][name]
    return result


async def query(server: LiveServer, document: str, variables: dict[str, Any] | None = None,
                *, auth: str = STAFF) -> dict[str, Any]:
    body = await gql(server, document, variables or {}, auth=auth)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def new_customer(server: LiveServer, **fields: Any) -> tuple[str, int]:
    result = await mutate(server, "registerCustomer",
                          {"organisationName": "华北机电设备公司", **fields})
    assert result["__typename"] == "CustomerMutationOk", result
    return result["customerId"], result["position"]


def log_input(actual: date, **fields: Any) -> dict[str, Any]:
    return {
        "actualDate": actual.isoformat(),
        "receivedBy": {"name": "陈经理", "title": "采购经理", "decisionMaker": True},
        "attitudeToProducts": "对新产品很感兴趣",
        "trainingMinutes": 90,
        **fields,
    }


async def stream_length(store: EventStore, stream_id: str) -> int:
    return len(await store.read_stream(stream_id))


VISIT = """query($id: ID!, $at: Int) { visit(id: $id, atLeast: $at) {
  id customerId customerName ownerId status unplanned purposes plannedDate actualDate
  plan { objectives salesPolicy promotions materials materialsNote }
  log { receivedBy { name title decisionMaker } needsAndProblems attitudeToProducts
        requestsAndSuggestions objections { objection handling } informationPresented
        trainingMinutes trainingReason trainingMeetsStandard gifts { item value } channel
        findings { kind organisationName competitorName serviceMethods change cause direction } }
  report recordCard reportFiledOn } }"""

CUSTOMER = """query($id: ID!, $at: Int) { customer(id: $id, atLeast: $at) {
  id organisationName tier status sourceVisitId visitCount lastVisitDate
  openCommitments overdueCommitments followUpsDue followUpsOverdue
  contacts { name title decisionMaker phone }
  classification { gender ageBand area region spending demandType wageBand buyingChannel }
  credit { changes direction lastChange lastCause lastRecordedOn } } }"""

COMMITMENTS = """query($overdue: Boolean, $customer: ID, $at: Int) {
  commitments(overdue: $overdue, filter: {customerId: $customer}, atLeast: $at) {
    totalCount nodes { commitmentId what status overdue dueDate followUpDue } } }"""

FOLLOW_UPS = """query($due: Boolean, $overdue: Boolean, $customer: ID, $at: Int) {
  followUps(due: $due, overdue: $overdue, filter: {customerId: $customer}, atLeast: $at) {
    totalCount nodes { commitmentId status followUpDue followUpOverdue satisfaction } } }"""

VISITS = """query($filter: VisitFilter, $first: Int, $after: String, $at: Int) {
  visits(filter: $filter, first: $first, after: $after, atLeast: $at) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id status unplanned purposes } } }"""
