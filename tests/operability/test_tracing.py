"""Traces over OTLP to a receiver on loopback: one trace from the HTTP request through the
GraphQL operation to the append, whose events carry the trace id as their correlation id."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from events.shared.actors import Role
from tests.customers.api import mutate
from tests.live import gql, run_server, token
from tests.random_refs import random_id

trace_service = pytest.importorskip(
    "opentelemetry.proto.collector.trace.v1.trace_service_pb2",
    reason="the otel extra is not installed (pip install -e '.[otel]')")


@contextmanager
def otlp_receiver() -> Iterator[tuple[str, list[Any]]]:
    spans: list[Any] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            request = trace_service.ExportTraceServiceRequest()
            request.ParseFromString(body)
            with lock:
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        spans.extend(scope.spans)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", spans
    finally:
        server.shutdown()
        server.server_close()


async def test_one_trace_from_request_to_the_events_correlation_id(dsn: str,
                                                                   tmp_path: Path) -> None:
    manager, auditor = token("trace-mgr", Role.MANAGER), token("trace-aud", Role.AUDITOR)
    with otlp_receiver() as (endpoint, spans), run_server(
            dsn, tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
            OTEL_BSP_SCHEDULE_DELAY="100") as server:
        registered = await mutate(server, "registerCustomer",
                                  {"organisationName": random_id("追踪公司")}, auth=manager)
        assert registered["__typename"] == "CustomerMutationOk", registered
        history = await gql(server, "query($s: ID!) { history(streamId: $s) { correlationId } }",
                            {"s": f"customer-{registered['customerId']}"}, auth=auditor)
        correlation = history["data"]["history"][0]["correlationId"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            traced = [s for s in spans if s.trace_id.hex() == correlation]
            if {"POST /graphql", "kehu.append"} <= {s.name for s in traced}:
                break
            await asyncio.sleep(0.1)
    names = {s.name for s in traced}
    assert {"POST /graphql", "kehu.append"} <= names, names
    assert any("GraphQL" in n or "mutation" in n.lower() for n in names), names
