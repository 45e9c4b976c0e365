"""HTTP endpoints beside GraphQL: health, readiness, and the request body limit."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.context import Services


async def healthz(_request: Request) -> PlainTextResponse:
    """The process is up (says nothing about the database)."""
    return PlainTextResponse("ok")


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and every projection is within the lag bound."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        return JSONResponse({"ready": False, "reason": "starting"}, status_code=503)
    try:
        head = await services.pool.fetchval("SELECT position FROM kehu_log.event_head")
        rows = await services.pool.fetch(
            "SELECT name, position FROM projection_checkpoints WHERE name = ANY($1)",
            services.projection_names,
        )
    except Exception as exc:  # any database failure means not ready
        return JSONResponse({"ready": False, "reason": f"database: {type(exc).__name__}"},
                            status_code=503)
    positions = {r["name"]: r["position"] for r in rows}
    lag = {name: head - positions.get(name, 0) for name in services.projection_names}
    # A projection with no checkpoint has not built its tables yet: not ready, whatever the lag.
    building = [name for name in services.projection_names if name not in positions]
    ready = not building and all(v <= services.settings.ready_max_lag for v in lag.values())
    body: dict[str, Any] = {"ready": ready, "head": head, "lag": lag, "building": building}
    return JSONResponse(body, status_code=200 if ready else 503)


class BodyLimit:
    """Refuse request bodies over a size before they are parsed (413)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await PlainTextResponse("request body too large", status_code=413)(scope, receive,
                                                                               send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except TooLarge:
            await PlainTextResponse("request body too large", status_code=413)(scope, receive,
                                                                               send)


class TooLarge(Exception):
    pass
