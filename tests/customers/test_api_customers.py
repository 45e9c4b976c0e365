"""Customers over GraphQL: profile, T1 classification, tier, status, credit (V6), pages."""

from __future__ import annotations

import uuid

from tests.customers.api import CUSTOMER, MANAGER, mutate, new_customer, query
from tests.live import LiveServer

CUSTOMERS = """query($filter: CustomerFilter, $first: Int, $after: String, $at: Int) {
  customers(filter: $filter, first: $first, after: $after, atLeast: $at) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id organisationName tier } } }"""


async def test_register_with_contacts_and_T1_attributes_then_update(
    live_server: LiveServer,
) -> None:
    customer = str(uuid.uuid4())
    registered = await mutate(live_server, "registerCustomer", {
        "id": customer, "organisationName": "东方食品批发市场", "tier": "IMPORTANT",
        "contacts": [{"name": "李总", "title": "董事长", "decisionMaker": True,
                      "phone": "13800000000"}],
        "classification": {"gender": "FEMALE", "ageBand": "FROM_46_TO_60", "area": "URBAN",
                           "region": "EAST", "spending": "HIGH", "demandType": "CONSUMER_GOODS",
                           "wageBand": "OVER_3000", "buyingChannel": "MARKET_WHOLESALE"}})
    assert registered["customerId"] == customer
    updated = await mutate(live_server, "updateCustomer", {
        "customerId": customer, "classification": {"spending": "MEDIUM"}, "notes": "年度大客户"})
    data = (await query(live_server, CUSTOMER, {"id": customer,
                                                "at": updated["position"]}))["customer"]
    assert data["tier"] == "IMPORTANT" and data["status"] == "ACTIVE"
    assert data["contacts"] == [{"name": "李总", "title": "董事长", "decisionMaker": True,
                                 "phone": "13800000000"}]
    assert data["classification"] == {
        "gender": "FEMALE", "ageBand": "FROM_46_TO_60", "area": "URBAN", "region": "EAST",
        "spending": "MEDIUM", "demandType": "CONSUMER_GOODS", "wageBand": "OVER_3000",
        "buyingChannel": "MARKET_WHOLESALE"}
    same = await mutate(live_server, "updateCustomer", {"customerId": customer,
                                                        "notes": "年度大客户"})
    assert same["position"] == 0  # nothing changed, nothing written


async def test_tier_status_and_credit_changes(live_server: LiveServer) -> None:
    customer, _ = await new_customer(live_server)
    # M5: the tier selects the caps, so staff cannot change it; the manager can.
    refused = await mutate(live_server, "changeCustomerTier",
                           {"customerId": customer, "tier": "IMPORTANT"})
    assert refused["__typename"] == "ForbiddenError" and refused["rule"] == "M5", refused
    await mutate(live_server, "changeCustomerTier", {"customerId": customer, "tier": "IMPORTANT",
                                                     "reason": "年采购额超过500万"}, auth=MANAGER)
    inactive = await mutate(live_server, "changeCustomerStatus",
                            {"customerId": customer, "status": "INACTIVE"}, auth=MANAGER)
    assert inactive["__typename"] == "CustomerMutationOk"
    credit = await mutate(live_server, "recordCreditChange", {
        "customerId": customer, "change": "恢复按时付款", "cause": "新融资到位",
        "direction": "IMPROVED"})
    data = (await query(live_server, CUSTOMER, {"id": customer,
                                                "at": credit["position"]}))["customer"]
    assert (data["tier"], data["status"]) == ("IMPORTANT", "INACTIVE")
    assert data["credit"]["direction"] == "IMPROVED" and data["credit"]["changes"] == 1
    promote = await mutate(live_server, "promoteProspect", {"customerId": customer})
    assert promote["__typename"] == "InvalidStateError" and promote["field"] == "status"
    missing = await mutate(live_server, "recordCreditChange", {
        "customerId": str(uuid.uuid4()), "change": "x", "cause": "y", "direction": "WORSENED"})
    assert missing["__typename"] == "NotFoundError" and missing["field"] == "customerId"


async def test_V6_a_blank_credit_cause_names_field_and_rule(live_server: LiveServer) -> None:
    customer, _ = await new_customer(live_server)
    result = await mutate(live_server, "recordCreditChange", {
        "customerId": customer, "change": "逾期", "cause": " ", "direction": "WORSENED"})
    assert result["__typename"] == "ValidationError"
    assert (result["field"], result["rule"]) == ("cause", "V6")


async def test_idempotent_registration_without_a_client_id(live_server: LiveServer) -> None:
    key = str(uuid.uuid4())
    first = await mutate(live_server, "registerCustomer", {"organisationName": "重试公司"},
                         key=key)
    again = await mutate(live_server, "registerCustomer", {"organisationName": "重试公司"},
                         key=key)
    assert again["replayed"] is True and again["customerId"] == first["customerId"]
    assert again["position"] == first["position"]
    other = await mutate(live_server, "registerCustomer", {"organisationName": "别的公司"},
                         key=key)
    assert other["__typename"] == "IdempotencyKeyReusedError"


async def test_customers_are_paged_by_name_with_filters(live_server: LiveServer) -> None:
    marker = uuid.uuid4().hex[:8]
    last = 0
    for name in ("C", "A", "B"):
        _, last = await new_customer(live_server, organisationName=f"{marker}-{name}",
                                     tier="GENERAL")
    variables = {"filter": {"nameContains": marker, "tier": "GENERAL"}, "first": 2, "at": last}
    page1 = (await query(live_server, CUSTOMERS, variables))["customers"]
    assert page1["totalCount"] == 3 and page1["pageInfo"]["hasNextPage"] is True
    page2 = (await query(live_server, CUSTOMERS, {
        **variables, "after": page1["pageInfo"]["endCursor"]}))["customers"]
    names = [n["organisationName"] for n in page1["nodes"] + page2["nodes"]]
    assert names == [f"{marker}-A", f"{marker}-B", f"{marker}-C"]
    assert page2["pageInfo"]["hasNextPage"] is False
