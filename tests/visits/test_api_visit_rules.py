"""What a visit records, through the API (RULES V3-V9), and the V6 process."""

from __future__ import annotations

import uuid

from tests.customers.api import (
    CUSTOMER,
    VISIT,
    VISITS,
    company_today,
    log_input,
    mutate,
    new_customer,
    query,
)
from tests.live import LiveServer

VERBATIM = "  价格能否再降5%？\n交货期最好不超过两周。 "


async def _unplanned(server: LiveServer, customer: str, **fields: object) -> dict[str, object]:
    result = await mutate(server, "logVisit", log_input(
        company_today(), unplanned=True, customerId=customer, purposes=["COLLECT_INFORMATION"],
        **fields), key=str(uuid.uuid4()))
    assert result["__typename"] == "LogVisitOk", result
    return result


async def test_V4_V5_V7_V8_V9_the_log_records_what_the_rules_ask(live_server: LiveServer) -> None:
    customer, _ = await new_customer(live_server)
    logged = await _unplanned(
        live_server, customer, needsAndProblems=["库存周转慢"],
        requestsAndSuggestions=[VERBATIM], objections=[{"objection": "价格偏高",
                                                        "handling": "说明批量折扣"}],
        gifts=[{"item": "公司台历", "value": "88.50"}], informationPresented=["PRODUCTS",
                                                                           "COMPETITORS"],
        trainingMinutes=150, trainingReason="客户要求增加操作演示", channel="TRADE_FAIR")
    visit = (await query(live_server, VISIT, {"id": logged["visitId"],
                                              "at": logged["position"]}))["visit"]
    log = visit["log"]
    assert visit["unplanned"] is True and visit["status"] == "LOGGED"
    assert log["needsAndProblems"] == ["库存周转慢"] and log["channel"] == "TRADE_FAIR"  # V4
    assert log["requestsAndSuggestions"] == [VERBATIM]  # V5: verbatim, not trimmed
    assert log["objections"] == [{"objection": "价格偏高", "handling": "说明批量折扣"}]  # V7
    assert log["gifts"] == [{"item": "公司台历", "value": "88.50"}]  # V7: money as yuan
    assert log["informationPresented"] == ["PRODUCTS", "COMPETITORS"]  # V8
    assert (log["trainingMinutes"], log["trainingMeetsStandard"]) == (150, False)  # V9


async def test_V9_training_outside_the_standard_needs_a_reason(live_server: LiveServer) -> None:
    customer, _ = await new_customer(live_server)
    result = await mutate(live_server, "logVisit", log_input(
        company_today(), unplanned=True, customerId=customer, purposes=["LEARN_NEEDS"],
        trainingMinutes=10))
    assert result["__typename"] == "ValidationError"
    assert (result["field"], result["rule"]) == ("trainingReason", "V9")


async def test_V7_a_gift_value_with_fractions_of_a_fen_is_refused(live_server: LiveServer) -> None:
    customer, _ = await new_customer(live_server)
    result = await mutate(live_server, "logVisit", log_input(
        company_today(), unplanned=True, customerId=customer, purposes=["LEARN_NEEDS"],
        gifts=[{"item": "茶叶", "value": "12.345"}]))
    assert result["__typename"] == "ValidationError" and result["field"] == "gifts[0].value"


async def test_V3_the_plan_records_policy_promotions_and_materials(
    live_server: LiveServer,
) -> None:
    customer, _ = await new_customer(live_server)
    planned = await mutate(live_server, "planVisit", {
        "customerId": customer, "plannedDate": company_today().isoformat(),
        "purposes": ["MAINTAIN_RELATIONS"], "objectives": ["续签年度合同"],
        "salesPolicy": "本月政策：老客户九五折", "promotions": ["买十送一"],
        "materials": ["CUSTOMER_FACT_SHEET", "GIFTS"], "materialsNote": "带两份合同样本"})
    plan = (await query(live_server, VISIT, {"id": planned["visitId"],
                                             "at": planned["position"]}))["visit"]["plan"]
    assert plan == {"objectives": ["续签年度合同"], "salesPolicy": "本月政策：老客户九五折",
                    "promotions": ["买十送一"], "materials": ["CUSTOMER_FACT_SHEET", "GIFTS"],
                    "materialsNote": "带两份合同样本"}


async def test_V6_findings_become_a_prospect_and_a_credit_change(live_server: LiveServer) -> None:
    customer, _ = await new_customer(live_server)
    key = str(uuid.uuid4())
    fields = log_input(company_today(), unplanned=True, customerId=customer,
                       purposes=["COLLECT_INFORMATION"], findings=[
        {"kind": "PROSPECT", "organisationName": "西部农资合作社",
         "contact": {"name": "马主任", "title": "主任", "decisionMaker": True}},
        {"kind": "COMPETITOR_PRACTICE", "competitorName": "某竞品公司",
         "serviceMethods": "每月上门巡检"},
        {"kind": "CREDIT_CHANGE", "change": "回款周期延长", "cause": "下游客户拖欠",
         "direction": "WORSENED"}])
    first = await mutate(live_server, "logVisit", fields, key=key)
    assert first["__typename"] == "LogVisitOk" and first["creditChangesRecorded"] == 1
    [prospect] = first["prospectCustomerIds"]
    seen = await query(live_server, CUSTOMER, {"id": prospect, "at": first["position"]})
    assert seen["customer"]["status"] == "PROSPECT"
    assert seen["customer"]["sourceVisitId"] == first["visitId"]
    assert seen["customer"]["contacts"][0]["name"] == "马主任"
    credit = (await query(live_server, CUSTOMER, {"id": customer}))["customer"]["credit"]
    assert credit["changes"] == 1 and credit["direction"] == "WORSENED"
    assert (credit["lastChange"], credit["lastCause"]) == ("回款周期延长", "下游客户拖欠")
    again = await mutate(live_server, "logVisit", fields, key=key)
    assert again["replayed"] is True and again["prospectCustomerIds"] == [prospect]
    assert again["visitId"] == first["visitId"]
    promoted = await mutate(live_server, "promoteProspect", {"customerId": prospect})
    after = await query(live_server, CUSTOMER, {"id": prospect, "at": promoted["position"]})
    assert after["customer"]["status"] == "ACTIVE"
    credit = (await query(live_server, CUSTOMER, {"id": customer}))["customer"]["credit"]
    assert credit["changes"] == 1  # the retry recorded nothing twice


async def test_V1_visits_filter_by_purpose_status_and_customer_with_cursor_pages(
    live_server: LiveServer,
) -> None:
    customer, _ = await new_customer(live_server)
    last = None
    for purpose in ("LEARN_NEEDS", "HELP_WITH_PROBLEM", "LEARN_NEEDS"):
        last = await mutate(live_server, "logVisit", log_input(
            company_today(), unplanned=True, customerId=customer, purposes=[purpose]))
    assert last is not None
    variables = {"filter": {"customerId": customer, "purpose": "LEARN_NEEDS", "status": "LOGGED",
                            "unplanned": True}, "first": 1, "at": last["position"]}
    page1 = (await query(live_server, VISITS, variables))["visits"]
    assert page1["totalCount"] == 2 and page1["pageInfo"]["hasNextPage"] is True
    page2 = (await query(live_server, VISITS, {
        **variables, "after": page1["pageInfo"]["endCursor"]}))["visits"]
    assert page2["pageInfo"]["hasNextPage"] is False
    ids = [n["id"] for n in page1["nodes"] + page2["nodes"]]
    assert len(set(ids)) == 2 and ids[0] == last["visitId"]  # newest first
    for node in page1["nodes"] + page2["nodes"]:
        assert "LEARN_NEEDS" in node["purposes"]
