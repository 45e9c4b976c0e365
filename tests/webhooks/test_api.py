"""Webhooks through the real server: every SSRF form and bad URL of the issue refused at
registration, quotas per registrant, a secret shown once and rotated with an overlap, and a
receiver's huge or revealing answer neither read nor reported."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from events.shared.actors import Role
from events.store.event_store import EventStore
from tests.audit import flows
from tests.live import LiveServer, gql, run_server, token
from tests.random_refs import random_id
from tests.webhooks.receivers import run_receiver

REGISTER = """mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) {
  __typename ... on RegisterWebhookOk { secret webhook { id } }
  ... on ValidationError { field rule message } ... on InvalidStateError { rule message } } }"""
ROTATE = """mutation($id: ID!) { rotateWebhookSecret(input: {id: $id}) { __typename
  ... on RotateWebhookSecretOk { secret previousSecretValidUntil webhook { id } }
  ... on ForbiddenError { rule } } }"""
HOOKS = "{ webhooks { id attempts lastError consecutiveFailures } }"


@pytest.fixture(scope="module")
def strict(dsn: str, live_server: LiveServer,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server as deployed by default: https only, no internal network allowed; small quotas.
    It registers only: the session's server (live_server) runs the projections and delivers,
    with the tests' allow-list."""
    with run_server(dsn, tmp_path_factory.mktemp("strict"), KEHU_WEBHOOK_ALLOWED_NETWORKS="",
                    KEHU_WEBHOOK_ALLOW_HTTP="false", KEHU_WEBHOOK_MAX_PER_PRINCIPAL="3",
                    KEHU_WEBHOOK_REGISTRATIONS_PER_MINUTE="5",
                    KEHU_RUN_PROJECTIONS="false") as server:
        yield server


async def register(server: LiveServer, auth: str, url: str,
                   types: list[str] | None = None) -> dict[str, Any]:
    body = await gql(server, REGISTER, {"input": {"url": url,
                                                  "eventTypes": types or ["MealSettled"]}},
                     auth=auth)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["registerWebhook"]
    return result


def issue_urls(server: LiveServer) -> list[str]:
    port = server.url.rsplit(":", 1)[1]
    return [
        "https://127.0.0.1:5432/", f"https://localhost:{port}/graphql", "https://0.0.0.0/",
        "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://2130706433/",
        "https://0x7f.1/", "https://169.254.169.254/latest/meta-data/",
        "https://metadata.google.internal/computeMetadata/v1/", "https://10.0.0.1/",
        "https://[fe80::1%25eth0]/", "https://user:pw@example.com/", "https://example.com:99999/",
        "https://example.com/a\r\nX-Injected: 1", f"http://127.0.0.1:{port}/graphql",
        "http://example.com/hook",
    ]


async def test_every_ssrf_form_of_the_issue_is_refused_and_nothing_is_written(
        strict: LiveServer) -> None:
    user = random_id("int-")
    auth = token(user, Role.INTEGRATION)
    results = await asyncio.gather(*(register(strict, auth, url) for url in issue_urls(strict)))
    for url, result in zip(issue_urls(strict), results, strict=True):
        assert result["__typename"] == "ValidationError", (url, result)
        assert result["field"] == "url", (url, result)
    listed = await gql(strict, HOOKS, auth=auth)
    assert listed["data"]["webhooks"] == []
    history = await gql(strict, 'query($a: String) { events(types: ["WebhookRegistered"],'
                        ' actor: $a) { position } }', {"a": user},
                        auth=token("aud", Role.AUDITOR))
    assert history["data"]["events"] == []


async def test_quotas_hold_under_concurrent_registrations(strict: LiveServer) -> None:
    auth = token(random_id("int-"), Role.INTEGRATION)
    results = await asyncio.gather(*(register(strict, auth, f"https://erp{i}.example.com/k")
                                     for i in range(12)))
    ok = [r for r in results if r["__typename"] == "RegisterWebhookOk"]
    refused = [r for r in results if r["__typename"] == "InvalidStateError"]
    assert len(ok) == 3 and len(refused) == 9  # KEHU_WEBHOOK_MAX_PER_PRINCIPAL=3
    assert {r["rule"] for r in refused} == {"webhook-quota"}
    assert all(r["secret"].startswith("whsec_") for r in ok)
    other = token(random_id("int-"), Role.INTEGRATION)
    for i in range(3):  # deactivate-and-register churn still meets the per-minute quota
        hook = await register(strict, other, f"https://crm{i}.example.com/k")
        await gql(strict, 'mutation($id: ID!) { deactivateWebhook(input: {id: $id}) '
                  '{ __typename } }', {"id": hook["webhook"]["id"]}, auth=other)
    again = [await register(strict, other, f"https://crm{i}.example.com/k") for i in (3, 4, 5)]
    assert [r["__typename"] for r in again] == ["RegisterWebhookOk", "RegisterWebhookOk",
                                                "InvalidStateError"]
    assert "per minute" in again[2]["message"]


async def wait_until(check: Any, timeout: float = 40) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)
    return found


async def test_a_rotated_secret_and_its_predecessor_both_sign_during_the_overlap(
        live_server: LiveServer, store: EventStore) -> None:
    owner = random_id("int-")
    auth = token(owner, Role.INTEGRATION)
    with run_receiver(200) as receiver:
        first = await register(live_server, auth, receiver.url)
        rotated = (await gql(live_server, ROTATE, {"id": first["webhook"]["id"]},
                             auth=auth))["data"]["rotateWebhookSecret"]
        assert rotated["__typename"] == "RotateWebhookSecretOk"
        assert rotated["secret"] != first["secret"] and rotated["previousSecretValidUntil"]
        stranger = await gql(live_server, ROTATE, {"id": first["webhook"]["id"]},
                             auth=token(random_id("int-"), Role.INTEGRATION))
        assert stranger["data"]["rotateWebhookSecret"] == {"__typename": "ForbiddenError",
                                                           "rule": "roles"}
        await flows.settled_meal(store)
        await wait_until(lambda: _true(bool(receiver.accepted())))
        got = receiver.accepted()[0]
    for secret in (first["secret"], rotated["secret"]):
        assert Verifier(secret).verify(got.body, got.headers)["type"] == "MealSettled"
    history = await gql(live_server, 'query($s: ID!) { history(streamId: $s) { type payload } }',
                        {"s": f"webhook-{first['webhook']['id']}"},
                        auth=token("aud", Role.AUDITOR))
    events = history["data"]["history"]
    assert [e["type"] for e in events] == ["WebhookRegistered", "WebhookSecretRotated"]
    assert events[1]["payload"]["rotated_by"] == owner
    assert rotated["secret"] not in json.dumps(events) and first["secret"] not in json.dumps(events)


async def _true(value: bool) -> bool:
    return value


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def test_a_400_mb_answer_neither_grows_the_server_nor_reaches_last_error(
        live_server: LiveServer, store: EventStore) -> None:
    auth = token(random_id("int-"), Role.INTEGRATION)
    with run_receiver(500, answer_bytes=400 * 2**20,
                      answer_text=b"<html>admin db_password=hunter2</html>") as receiver:
        hook = await register(live_server, auth, receiver.url)
        before = rss_mb(live_server.process.pid)
        settled = await flows.settled_meal(store)

        async def failed_thrice() -> dict[str, Any] | None:
            (mine,) = [h for h in (await gql(live_server, HOOKS, auth=auth))["data"]["webhooks"]
                       if h["id"] == hook["webhook"]["id"]]
            return mine if mine["attempts"] >= 3 else None
        state = await wait_until(failed_thrice)
        after = rss_mb(live_server.process.pid)
        await gql(live_server, 'mutation($id: ID!) { deactivateWebhook(input: {id: $id}) '
                  '{ __typename } }', {"id": hook["webhook"]["id"]}, auth=auth)
    assert state["lastError"] == f"event {settled.last_position}: HTTP 500"
    assert after - before < 100, (before, after)  # the issue saw 137 MB grow to 3.9 GB
    assert receiver.bytes_sent < state["attempts"] * 32 * 2**20
