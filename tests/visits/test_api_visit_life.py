"""A visit's whole life through the GraphQL API on a real server (RULES V1-V12):
plan -> log -> report -> commitment -> fulfilment -> follow-up."""

from __future__ import annotations

from datetime import timedelta

from tests.customers.api import (
    COMMITMENTS,
    CUSTOMER,
    FOLLOW_UPS,
    VISIT,
    company_today,
    log_input,
    mutate,
    new_customer,
    query,
)
from tests.live import LiveServer


async def test_V10_V11_V12_a_visit_from_plan_to_follow_up(live_server: LiveServer) -> None:
    today = company_today()
    customer, _ = await new_customer(live_server)
    planned = await mutate(live_server, "planVisit", {
        "customerId": customer, "plannedDate": today.isoformat(),
        "purposes": ["LEARN_NEEDS", "MAINTAIN_RELATIONS"], "objectives": ["了解明年采购计划"],
        "salesPolicy": "三月促销：满十万返点2%", "promotions": ["新品试用"],
        "materials": ["BROCHURES", "BUSINESS_CARDS"],
    })
    assert planned["__typename"] == "VisitMutationOk" and planned["status"] == "PLANNED"
    visit = planned["visitId"]
    seen = await query(live_server, VISIT, {"id": visit, "at": planned["position"]})
    assert seen["visit"]["status"] == "PLANNED" and seen["visit"]["unplanned"] is False

    logged = await mutate(live_server, "logVisit", {"visitId": visit, **log_input(today)})
    assert logged["__typename"] == "LogVisitOk" and logged["status"] == "LOGGED"
    reported = await mutate(live_server, "fileVisitReport", {
        "visitId": visit, "report": "客户计划扩大采购", "recordCard": "拜访记录卡：陈经理"})
    assert reported["status"] == "COMPLETED"

    recorded = await mutate(live_server, "recordCommitment", {
        "visitId": visit, "what": "一周内寄送样品", "dueDate": (today + timedelta(3)).isoformat()})
    assert recorded["__typename"] == "CommitmentMutationOk" and recorded["status"] == "OPEN"
    commitment = recorded["commitmentId"]
    data = await query(live_server, CUSTOMER, {"id": customer, "at": recorded["position"]})
    assert (data["customer"]["openCommitments"], data["customer"]["followUpsDue"]) == (1, 0)
    assert data["customer"]["visitCount"] == 1
    assert data["customer"]["lastVisitDate"] == today.isoformat()

    fulfilled = await mutate(live_server, "fulfillCommitment",
                             {"visitId": visit, "commitmentId": commitment})
    assert fulfilled["status"] == "FULFILLED"
    assert fulfilled["followUpDue"] == (today + timedelta(7)).isoformat()  # seed rule book
    due = await query(live_server, FOLLOW_UPS,
                      {"due": True, "customer": customer, "at": fulfilled["position"]})
    assert [n["commitmentId"] for n in due["followUps"]["nodes"]] == [commitment]
    assert due["followUps"]["nodes"][0]["followUpOverdue"] is False

    followed = await mutate(live_server, "logFollowUp", {
        "visitId": visit, "commitmentId": commitment, "satisfaction": 5, "remarks": "很满意"})
    assert followed["status"] == "FOLLOWED_UP"
    at = followed["position"]
    done = await query(live_server, FOLLOW_UPS, {"due": False, "customer": customer, "at": at})
    assert done["followUps"]["nodes"][0]["satisfaction"] == 5
    still_due = await query(live_server, FOLLOW_UPS, {"due": True, "customer": customer})
    assert still_due["followUps"]["totalCount"] == 0
    all_commitments = await query(live_server, COMMITMENTS, {"customer": customer})
    assert all_commitments["commitments"]["nodes"][0]["status"] == "FOLLOWED_UP"

    final = (await query(live_server, VISIT, {"id": visit, "at": at}))["visit"]
    assert final["status"] == "COMPLETED" and final["report"] == "客户计划扩大采购"
    assert final["plan"]["salesPolicy"] == "三月促销：满十万返点2%"  # V3
    assert final["plan"]["materials"] == ["BROCHURES", "BUSINESS_CARDS"]
    assert final["purposes"] == ["LEARN_NEEDS", "MAINTAIN_RELATIONS"]  # V1
    assert final["log"]["receivedBy"]["decisionMaker"] is True  # V4
    summary = (await query(live_server, CUSTOMER, {"id": customer, "at": at}))["customer"]
    assert (summary["openCommitments"], summary["followUpsDue"]) == (0, 0)
