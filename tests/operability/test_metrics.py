"""/metrics on a real server shows each figure an operator needs, moved by real traffic:
request and operation durations, append latency and batch sizes, projection lag and rate,
WebSocket connections and subscriptions, webhook deliveries, pool use, audit verifications.
Also: JSON logs carry the request id, the correlation id and the actor."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from events.shared.actors import Role
from tests.audit.receiver import run_receiver
from tests.audit.webhook_support import register
from tests.customers.api import mutate
from tests.live import (
    LiveServer,
    Samples,
    Subscriber,
    connect_ws,
    gql,
    metric,
    run_server,
    scrape,
    token,
)
from tests.random_refs import random_id

value = metric


async def eventually(server: LiveServer, check: object, timeout: float = 30) -> Samples:
    deadline = time.monotonic() + timeout
    while True:
        samples = scrape(server)
        if check(samples):  # type: ignore[operator]
            return samples
        assert time.monotonic() < deadline, "metric did not move"
        await asyncio.sleep(0.1)


@pytest.fixture
def metrics_server(fresh_dsn: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server alone on its database: the figures are per process, and on the shared
    database another test's server may hold a projection's or a webhook's leader lock (and
    do the work this test wants to see counted here)."""
    with run_server(fresh_dsn, tmp_path) as server:
        yield server


async def test_metrics_show_every_figure(metrics_server: LiveServer) -> None:
    live_server = metrics_server
    manager, auditor = token("metrics-mgr", Role.MANAGER), token("metrics-aud", Role.AUDITOR)
    integration = token(random_id("int-"), Role.INTEGRATION)
    before = scrape(live_server)
    with run_receiver(fail_first=1) as receiver:
        hook = await register(live_server, integration, receiver.url, ["CustomerRegistered"])
        async with connect_ws(live_server) as ws:
            subscriber = Subscriber(ws)
            await subscriber.init(auditor)
            await subscriber.subscribe("s1", "subscription { events(after: 0) { position } }",
                                       {})
            during = await eventually(
                live_server, lambda s: value(s, "kehu_graphql_subscriptions") >= 1)
            assert value(during, "kehu_websocket_connections") >= 1
            registered = await mutate(live_server, "registerCustomer",
                                      {"organisationName": random_id("指标公司")}, auth=manager)
            assert registered["__typename"] == "CustomerMutationOk", registered
            body = await gql(live_server, "query Check { verifyAuditLog { ok } }", auth=auditor)
            assert body["data"]["verifyAuditLog"]["ok"] is True
            await gql(live_server, "query Broken { nosuchField }", auth=auditor)
        after = await eventually(
            live_server, lambda s: value(s, "kehu_webhook_deliveries_total", outcome="delivered")
            > value(before, "kehu_webhook_deliveries_total", outcome="delivered")
            and value(s, "kehu_websocket_connections") == 0)
        await gql(live_server, "mutation($id: ID!) { deactivateWebhook(input: {id: $id}) "
                  "{ __typename } }", {"id": hook["webhook"]["id"]}, auth=integration)

    def grew(name: str, **labels: str) -> bool:
        return value(after, name, **labels) > value(before, name, **labels)

    assert grew("kehu_http_request_duration_seconds_count", route="/graphql", status="200")
    assert grew("kehu_graphql_operation_duration_seconds_count", operation="Check",
                outcome="ok", type="query")
    assert grew("kehu_graphql_operation_duration_seconds_count", operation="Broken",
                outcome="error")
    assert grew("kehu_append_duration_seconds_count", outcome="ok")
    assert grew("kehu_append_batch_size_count") and grew("kehu_append_batch_events_sum")
    assert grew("kehu_projection_events_total", projection="customers")
    assert value(after, "kehu_projection_lag_events", projection="customers") >= 0
    assert value(after, "kehu_log_head_position") >= value(
        after, "kehu_projection_position", projection="customers") > 0
    assert grew("kehu_webhook_deliveries_total", outcome="failed")
    assert value(after, "kehu_db_pool_connections", state="max") > 0
    assert value(after, "kehu_db_pool_connections", state="open") >= value(
        after, "kehu_db_pool_connections", state="in_use")
    assert grew("kehu_audit_verifications_total", result="ok")
    assert value(after, "kehu_audit_last_verified_events") > 0
    assert value(after, "kehu_graphql_subscriptions") == 0  # closed with its connection


async def test_json_logs_carry_request_correlation_and_actor(dsn: str, tmp_path: Path) -> None:
    with run_server(dsn, tmp_path, KEHU_LOG_FORMAT="json") as server:
        manager = token("json-log-mgr", Role.MANAGER)
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                server.url + "/graphql", json={"query": "{ verifyAuditLog { ok } }"},
                headers={"Authorization": f"Bearer {manager}", "X-Request-ID": "req-42"})
        assert response.headers["x-request-id"] == "req-42"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [json.loads(line) for line in server.log().splitlines()
                     if line.startswith("{")]
            access = [e for e in lines if e.get("request_id") == "req-42"]
            if access:
                break
            await asyncio.sleep(0.1)
    assert lines and all({"time", "level", "logger", "message"} <= set(e) for e in lines)
    assert access, lines[-5:]
    assert access[-1]["correlation_id"] == "req-42"
    assert access[-1]["actor"] == "json-log-mgr (manager)"
