"""/metrics, and what is measured at the HTTP and GraphQL edge: request durations, GraphQL
operations by name and outcome, WebSocket connections and subscriptions (counted from the
graphql-transport-ws messages themselves, so every server-side path is covered)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from events.shared import metrics, tracing
from schema.context import Services
from schema.logs import REQUEST_ID, request_id_from

# Label values are bounded: a fixed set of routes, and at most this many operation names.
ROUTES = ("/graphql", "/metrics", "/healthz", "/readyz", "/graphiql", "/exports",
          "/documents")
MAX_OPERATION_NAMES = 200
_operation_names: set[str] = set()


def route_of(path: str) -> str:
    for route in ROUTES:
        if path == route or path.startswith(route + "/"):
            return route
    return "other"


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    name = name[:64]
    if name in _operation_names or len(_operation_names) < MAX_OPERATION_NAMES:
        _operation_names.add(name)
        return name
    return "other"


class MeasureOperations(SchemaExtension):
    """Duration of every GraphQL operation, by type, operation name and outcome."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        result = ctx.result
        outcome = "error" if result is None or getattr(result, "errors", None) else "ok"
        try:
            kind = ctx.operation_type.value
        except Exception:  # not parsed (a syntax error): no operation type to speak of
            kind = "unknown"
        metrics.GRAPHQL_SECONDS.labels(type=kind, operation=operation_label(ctx.operation_name),
                                       outcome=outcome).observe(time.perf_counter() - started)


class MeasureTransport:
    """HTTP request durations; open WebSockets and their active subscriptions."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, method = route_of(scope["path"]), scope["method"]
        with tracing.span(f"{method} {route}", kind="server",
                          attributes={"http.method": method, "http.route": route}) as span:
            await self._http(scope, receive, send, route, span)

    async def _http(self, scope: Scope, receive: Receive, send: Send, route: str,
                    span: Any) -> None:
        status = {"code": 500}
        header = dict(scope.get("headers", [])).get(b"x-request-id")
        # Traced: the trace id is the request id, hence the correlation id of its events.
        trace_id = None if header else tracing.current_trace_id()
        request_id = trace_id or request_id_from(header)
        REQUEST_ID.set(request_id)  # logs and the GraphQL context (correlation id) read it

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        with metrics.timed(metrics.HTTP_SECONDS, route=route, method=scope["method"],
                           status="500") as labels:
            try:
                await self.app(scope, receive, sending)
            finally:
                labels["status"] = str(status["code"])
                if span is not None:
                    span.set_attribute("http.status_code", status["code"])

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        active: set[str] = set()

        def track(message: Message, *, incoming: bool) -> None:
            text = message.get("text")
            if not text or (not incoming and _carries_data(text)):
                return
            try:
                frame: Any = json.loads(text)
                kind, ident = frame.get("type"), str(frame.get("id"))
            except (ValueError, AttributeError):
                return
            if incoming and kind == "subscribe" and ident not in active:
                active.add(ident)
                metrics.SUBSCRIPTIONS.inc()
            elif kind in {"complete", "error"} and ident in active:
                active.discard(ident)
                metrics.SUBSCRIPTIONS.dec()

        async def receiving() -> Message:
            message = await receive()
            track(message, incoming=True)
            return message

        async def sending(message: Message) -> None:
            track(message, incoming=False)
            await send(message)

        metrics.WEBSOCKETS.inc()
        try:
            await self.app(scope, receiving, sending)
        finally:
            metrics.WEBSOCKETS.dec()
            metrics.SUBSCRIPTIONS.dec(len(active))


async def refresh_from_database(services: Services) -> None:
    """The figures that live in the database, read at scrape time (true across processes)."""
    pool = services.pool
    size, idle = pool.get_size(), pool.get_idle_size()
    for state, value in (("open", size), ("idle", idle), ("in_use", size - idle),
                         ("max", pool.get_max_size())):
        metrics.POOL_CONNECTIONS.labels(state=state).set(value)
    head = int(await pool.fetchval("SELECT position FROM kehu_log.event_head"))
    rows = await pool.fetch("SELECT name, position FROM projection_checkpoints"
                            " WHERE name = ANY($1)", services.projection_names)
    positions = {r["name"]: int(r["position"]) for r in rows}
    metrics.LOG_HEAD.set(head)
    for name in services.projection_names:
        metrics.PROJECTION_POSITION.labels(projection=name).set(positions.get(name, 0))
        metrics.PROJECTION_LAG.labels(projection=name).set(head - positions.get(name, 0))


async def metrics_endpoint(request: Request) -> Response:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is not None:
        await refresh_from_database(services)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _carries_data(text: str) -> bool:
    """A `next` (graphql-transport-ws) or `data` (graphql-ws) frame, told without parsing it:
    most frames a server sends, and never the end of a subscription. Decoding every outgoing
    frame to find out took a third of an `eventPages` catch-up. The server writes compact JSON
    (schema/response_json.py), and inside a JSON string a quote is escaped, so the pattern
    before `"payload"` can only be the frame's own type."""
    end = text.find('"payload":')
    return end > 0 and ('"type":"next"' in text[:end] or '"type":"data"' in text[:end])
