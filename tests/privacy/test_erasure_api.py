"""Erasure end to end on a real server: register contacts, log visits and a meal, erase one
customer; every way of reading (API, history, as-of replay, subscription, webhook, export,
a full rebuild) shows that customer's personal fields as erased and nobody else's, and the
log still verifies."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from events.meals.commands import RequestMeal
from events.shared.actors import Role
from events.store.event_store import EventStore
from events.store.personal import ERASED
from tests.audit import flows
from tests.audit.webhook_support import register
from tests.customers.api import CUSTOMER, VISIT, company_today, log_input, mutate, query
from tests.live import ROOT, LiveServer, Subscriber, connect_ws, gql, token
from tests.privacy.gate import gated_receiver
from tests.random_refs import random_id

GM = token("privacy-gm", Role.GENERAL_MANAGER, "Gao")
MANAGER = token("privacy-mgr", Role.MANAGER)
STAFF = token("privacy-staff", Role.STAFF)
AUDITOR = token("privacy-aud", Role.AUDITOR)
ERASE = """mutation($s: String!, $r: String!, $key: String) {
  erasePersonalData(input: {subjectId: $s, reason: $r}, idempotencyKey: $key) { __typename
    ... on ErasureOk { position replayed subjectId keysDestroyed }
    ... on MutationError { message code rule }
    ... on ValidationError { field } ... on NotFoundError { field } } }"""
ERASED_FLAG = """query($id: ID!, $at: Int) { customer(id: $id, atLeast: $at) {
  personalDataErased notes } }"""
HISTORY = """query($id: ID!) { history(streamId: $id) {
  type payload data: dataJson erasedFields actorId actorRole } }"""
AS_OF = """query($id: ID!, $at: DateTime!) { customerAsOf(id: $id, at: $at) { state } }"""
EVENTS = """subscription($after: Int!, $types: [String!]) { events(after: $after, types: $types) {
  position streamId type data: dataJson erasedFields } }"""
TYPES = ["CustomerRegistered", "VisitLogged"]


def _person(n: int) -> dict[str, Any]:
    return {"name": f"联系人{n}号", "title": "店主", "decisionMaker": True,
            "phone": f"1390000{n:04d}"}


async def _customer(server: LiveServer, n: int) -> str:
    result = await mutate(server, "registerCustomer", {
        "organisationName": f"五金店{n}", "contacts": [_person(n)], "notes": f"备注{n}号",
        "classification": {"gender": "FEMALE", "ageBand": "FROM_46_TO_60", "region": "EAST",
                           "wageBand": "OVER_3000"}}, auth=STAFF)
    assert result["__typename"] == "CustomerMutationOk", result
    return str(result["customerId"])


async def _visit(server: LiveServer, customer: str, n: int) -> str:
    result = await mutate(server, "logVisit", log_input(
        company_today(), unplanned=True, customerId=customer, purposes=["HELP_WITH_PROBLEM"],
        receivedBy={"name": f"接待人{n}号", "title": "经理", "decisionMaker": False}),
        auth=STAFF)
    assert result["__typename"] == "LogVisitOk", result
    return str(result["visitId"])


def _kehu(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "server.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "DATABASE_URL": dsn})


async def _t1_female(server: LiveServer) -> tuple[int, int]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(server.url + "/exports/customer-classification.csv",
                                    headers={"Authorization": f"Bearer {MANAGER}"})
    assert response.status_code == 200, response.text
    rows = {(r[0], r[1]): int(r[2]) for r in csv.reader(io.StringIO(response.text))
            if len(r) == 4 and r[2].isdigit()}
    return rows[("性别", "女性")], rows[("性别", "未知")]


async def _until(check: Any, timeout: float = 30) -> Any:
    """Poll a condition the server reaches asynchronously (projections, deliveries)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.1)


async def _subscribed(server: LiveServer, after: int, streams: set[str]
                      ) -> list[dict[str, Any]]:
    """The subscription's events after `after`, until each of `streams` has appeared."""
    got: list[dict[str, Any]] = []
    async with connect_ws(server) as ws:
        client = Subscriber(ws)
        assert (await client.init(AUDITOR))["type"] == "connection_ack"
        await client.subscribe("1", EVENTS, {"after": after, "types": TYPES})
        while not streams <= {e["streamId"] for e in got}:
            message = await client.next()
            assert message["type"] == "next" and message["payload"].get("data"), message
            got.append(message["payload"]["data"]["events"])
    return got


async def test_privacy_erasure_reads_as_erased_everywhere_for_that_customer_only(
        privacy_server: LiveServer, live_server: LiveServer, store: EventStore,
        pool: asyncpg.Pool, dsn: str) -> None:
    server = privacy_server
    start = await store.head_position()
    with gated_receiver() as gate:
        hook = await register(server, token(random_id("int-"), Role.INTEGRATION), gate.url,
                              TYPES)
        assert hook["__typename"] == "RegisterWebhookOk", hook
        erased, kept = await _customer(server, 1), await _customer(server, 2)
        erased_visit, kept_visit = await _visit(server, erased, 1), await _visit(server, kept, 2)
        meal_id = random_id("meal-")
        now = datetime.now(UTC)
        await flows.meal_command(store, flows.staff(), RequestMeal(meal_id, dataclasses.replace(
            flows.meal_form(now + timedelta(hours=2)), customer_id=erased)), now)
        meal_before = (await store.read_stream(f"meal-{meal_id}"))[0].payload
        written = await store.head_position()
        await query(server, ERASED_FLAG, {"id": kept, "at": written}, auth=MANAGER)
        female_before, unknown_before = await _t1_female(server)
        # Another server process reads the customer too (and caches its key).
        elsewhere = await gql(live_server, HISTORY, {"id": f"customer-{erased}"}, auth=AUDITOR)
        assert elsewhere["data"]["history"][0]["data"]["notes"] == "备注1号"

        # Who may erase: the general manager alone; a refusal destroys nothing.
        refused = (await gql(server, ERASE, {"s": erased, "r": "PIPL 删除请求"},
                             auth=MANAGER))["data"]["erasePersonalData"]
        assert refused["__typename"] == "ForbiddenError" and refused["rule"] == "privacy"
        assert (await store.read_stream(f"customer-{erased}"))[0].erased_fields == []
        done = (await gql(server, ERASE, {"s": erased, "r": "PIPL 删除请求 #2026-17",
                                          "key": "erase-1"}, auth=GM))["data"]
        result = done["erasePersonalData"]
        assert result["__typename"] == "ErasureOk" and result["keysDestroyed"] == 1, result
        gate.open.set()
        erased_at = time.monotonic()

        # The other process sees it within its key check bound (KEHU_KEY_CHECK_SECONDS, 1 s).
        async def seen_elsewhere() -> list[str] | None:
            body = await gql(live_server, HISTORY, {"id": f"customer-{erased}"}, auth=AUDITOR)
            found: list[str] = body["data"]["history"][0]["erasedFields"]
            return found or None

        assert await _until(seen_elsewhere, timeout=10)
        assert time.monotonic() - erased_at < 5

        # The API (read models), with the customer's own flag.
        at = result["position"]
        mine = (await query(server, CUSTOMER, {"id": erased, "at": at}, auth=MANAGER))["customer"]
        assert mine["contacts"] == [] and mine["classification"]["gender"] is None
        assert mine["classification"]["wageBand"] is None
        assert mine["classification"]["region"] == "EAST"
        flag = (await query(server, ERASED_FLAG, {"id": erased, "at": at}, auth=MANAGER))
        assert flag["customer"] == {"personalDataErased": True, "notes": None}
        theirs = (await query(server, CUSTOMER, {"id": kept, "at": at}, auth=MANAGER))["customer"]
        assert theirs["contacts"] == [_person(2)]
        assert theirs["classification"]["gender"] == "FEMALE"
        visit = (await query(server, VISIT, {"id": erased_visit, "at": at}, auth=MANAGER))
        assert visit["visit"]["log"]["receivedBy"]["name"] == ERASED
        other = (await query(server, VISIT, {"id": kept_visit, "at": at}, auth=MANAGER))
        assert other["visit"]["log"]["receivedBy"]["name"] == "接待人2号"

        # history and as-of replay.
        history = (await gql(server, HISTORY, {"id": f"customer-{erased}"}, auth=AUDITOR))
        registered = history["data"]["history"][0]
        assert registered["erasedFields"] == ["classification.age_band",
                                              "classification.gender",
                                              "classification.wage_band", "contacts", "notes"]
        assert registered["data"]["contacts"] == [] and registered["data"]["notes"] is None
        assert "联系人1号" not in json.dumps(history, ensure_ascii=False)
        kept_history = (await gql(server, HISTORY, {"id": f"customer-{kept}"}, auth=AUDITOR))
        assert kept_history["data"]["history"][0]["erasedFields"] == []
        assert kept_history["data"]["history"][0]["data"]["notes"] == "备注2号"
        as_of = await gql(server, AS_OF, {"id": erased, "at": datetime.now(UTC).isoformat()},
                          auth=AUDITOR)
        assert as_of["data"]["customerAsOf"]["state"]["contacts"] == []

        # A subscription catching up over the same events.
        streams = {f"customer-{erased}", f"customer-{kept}", f"visit-{erased_visit}"}
        seen = {e["streamId"]: e for e in await _subscribed(server, start, streams)}
        assert seen[f"visit-{erased_visit}"]["data"]["receivedBy"]["name"] == ERASED
        assert seen[f"customer-{erased}"]["data"]["contacts"] == []
        assert "contacts" in seen[f"customer-{erased}"]["erasedFields"]
        assert seen[f"customer-{kept}"]["data"]["contacts"] == [_person(2)]

        # The webhook: deliveries held back until after the erasure carry no personal data.
        async def delivered() -> list[dict[str, Any]] | None:
            bodies = gate.accepted()
            return bodies if len(bodies) >= 4 else None

        bodies = {b["streamId"] + b["type"]: b for b in await _until(delivered)}
        assert gate.refused > 0  # they really were held back
        assert bodies[f"customer-{erased}CustomerRegistered"]["data"]["contacts"] == []
        assert bodies[f"visit-{erased_visit}VisitLogged"]["data"]["receivedBy"]["name"] == ERASED
        assert bodies[f"customer-{kept}CustomerRegistered"]["data"]["contacts"][0]["name"] \
            == "联系人2号"

    # The T1 export: the erased customer's gender is unknown from now on.
    async def moved() -> tuple[int, int] | None:
        now_counts = await _t1_female(server)
        return now_counts if now_counts != (female_before, unknown_before) else None

    assert await _until(moved) == (female_before - 1, unknown_before + 1)

    # Meals and the erasure event itself.
    assert (await store.read_stream(f"meal-{meal_id}"))[0].payload == meal_before
    audit = (await gql(server, HISTORY, {"id": f"erasure-{erased}"}, auth=AUDITOR))
    (event,) = audit["data"]["history"]
    assert event["type"] == "PersonalDataErased" and event["actorId"] == "privacy-gm"
    assert event["actorRole"] == "GENERAL_MANAGER"
    assert event["payload"]["reason"] == "PIPL 删除请求 #2026-17"
    assert event["payload"]["erased_by"] == "privacy-gm"
    assert len(event["payload"]["key_ids"]) == 1
    text = json.dumps(event, ensure_ascii=False)
    assert "联系人1号" not in text and "13900000001" not in text and "备注1号" not in text

    # Stored: ciphertext only, for everyone.
    raw = await pool.fetch("SELECT payload::text AS p FROM kehu_log.events"
                           " WHERE stream_id = ANY($1::text[])",
                           [f"customer-{erased}", f"customer-{kept}", f"visit-{kept_visit}"])
    assert raw and not any(s in r["p"] for r in raw
                           for s in ("联系人2号", "13900000002", "接待人2号", "备注2号"))

    # The chain still verifies, and a full rebuild replays the erasure.
    verified = _kehu(dsn, "verify")
    assert verified.returncode == 0, verified.stderr
    rebuilt = _kehu(dsn, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    head = await store.head_position()
    after = (await query(server, CUSTOMER, {"id": erased, "at": head}, auth=MANAGER))["customer"]
    assert after["contacts"] == [] and after["classification"]["gender"] is None
    flag = (await query(server, ERASED_FLAG, {"id": erased, "at": head}, auth=MANAGER))
    assert flag["customer"]["personalDataErased"] is True
    kept_after = (await query(server, CUSTOMER, {"id": kept, "at": head},
                              auth=MANAGER))["customer"]
    assert kept_after["contacts"] == [_person(2)]
    visit = (await query(server, VISIT, {"id": erased_visit, "at": head}, auth=MANAGER))
    assert visit["visit"]["log"]["receivedBy"]["name"] == ERASED

    # A retried request replays; a second erasure later records itself, destroying nothing.
    again = (await gql(server, ERASE, {"s": erased, "r": "PIPL 删除请求 #2026-17",
                                       "key": "erase-1"}, auth=GM))["data"]["erasePersonalData"]
    assert again["replayed"] is True


async def test_privacy_erasure_refuses_bad_requests(privacy_server: LiveServer) -> None:
    server = privacy_server
    customer = await _customer(server, 3)
    for auth in (STAFF, MANAGER, AUDITOR):
        body = await gql(server, ERASE, {"s": customer, "r": "x"}, auth=auth)
        assert body["data"]["erasePersonalData"]["__typename"] == "ForbiddenError", body
    unknown = await gql(server, ERASE, {"s": random_id("nobody-"), "r": "x"}, auth=GM)
    assert unknown["data"]["erasePersonalData"]["__typename"] == "NotFoundError"
    blank = await gql(server, ERASE, {"s": customer, "r": "  "}, auth=GM)
    refused = blank["data"]["erasePersonalData"]
    assert refused["__typename"] == "ValidationError" and refused["field"] == "reason"
    data = (await query(server, CUSTOMER, {"id": customer}, auth=MANAGER))["customer"]
    assert data["contacts"] == [_person(3)]  # nothing was destroyed


async def test_erase_personal_data_takes_subject_id_and_reason_as_arguments(
        privacy_server: LiveServer) -> None:
    """`erasePersonalData(subjectId:, reason:)`, the form the operation was asked for, beside
    `input`; both forms at once, or a missing reason, are refused naming the field."""
    server = privacy_server
    customer = await _customer(server, 3)
    direct = """mutation($s: String, $r: String) { erasePersonalData(subjectId: $s, reason: $r)
      { __typename ... on ErasureOk { subjectId keysDestroyed } } }"""
    body = await gql(server, direct, {"s": customer, "r": "PIPL 删除请求 #args"}, auth=GM)
    assert body["data"]["erasePersonalData"] == {
        "__typename": "ErasureOk", "subjectId": customer, "keysDestroyed": 1}, body
    missing = await gql(server, direct, {"s": customer}, auth=GM)
    assert missing["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", missing
    assert missing["errors"][0]["extensions"]["field"] == "reason", missing
    both = await gql(server, """mutation($s: String!) { erasePersonalData(
      input: {subjectId: $s, reason: "x"}, subjectId: $s) { __typename } }""",
                     {"s": customer}, auth=GM)
    assert both["errors"][0]["extensions"]["field"] == "input", both
