"""What one principal (a user, or an address when anonymous) and everyone together may hold.

HTTP requests to the API: concurrent requests per principal and in total, and a request rate per
principal (a token bucket). Over budget, the answer is `429` with `Retry-After` and a GraphQL
error body (`extensions.code = RATE_LIMITED`). WebSocket connections in total are counted here
too (the handshake is refused beyond); per user, connections and subscriptions are counted when
the socket authenticates (schema/ws_session.py). Figures come from Settings (README).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from schema.auth import AuthError, actor_from_header
from schema.settings import Settings

BUDGETED = ("/graphql", "/exports/", "/documents")


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass
class Ledger:
    """Counts shared by the HTTP middleware and the WebSocket handlers of one process."""

    requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total_requests: int = 0
    buckets: dict[str, Bucket] = field(default_factory=dict)
    total_sockets: int = 0
    # user -> that user's authenticated graphql-transport-ws handlers (ws_session.py)
    handlers: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))

    def take(self, principal: str, rate: float, burst: int, now: float) -> float:
        """Take one request from the principal's bucket: 0, or seconds until one is free."""
        bucket = self.buckets.get(principal)
        if bucket is None:
            bucket = self.buckets[principal] = Bucket(float(burst), now)
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        if len(self.buckets) > 100_000:  # forget idle principals rather than grow forever
            self.buckets = {k: b for k, b in self.buckets.items() if b.tokens < burst}
        return (1 - bucket.tokens) / rate


def principal(scope: Scope, settings: Settings) -> str:
    """The user a valid token names; otherwise the client address (forged tokens share it)."""
    header = Headers(scope=scope).get("authorization")
    if header:
        try:
            return "user:" + actor_from_header(header, settings).user_id
        except AuthError:
            pass
    client = scope.get("client")
    return "address:" + (client[0] if client else "-")


def too_many(message: str, retry_after: float) -> JSONResponse:
    seconds = max(1, math.ceil(retry_after))
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": "RATE_LIMITED",
                                                         "retryAfter": seconds}}]},
        status_code=429, headers={"Retry-After": str(seconds)})


class Budgets:
    def __init__(self, app: ASGIApp, settings: Settings, ledger: Ledger):
        self.app = app
        self.settings = settings
        self.ledger = ledger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._socket(scope, receive, send)
            return
        if scope["type"] != "http" or not scope["path"].startswith(BUDGETED):
            await self.app(scope, receive, send)
            return
        s, ledger = self.settings, self.ledger
        who = principal(scope, s)
        wait = ledger.take(who, s.rate_per_user, s.rate_burst, time.monotonic())
        if wait > 0:
            await too_many("too many requests; slow down", wait)(scope, receive, send)
            return
        if ledger.requests[who] >= s.max_concurrent_per_user:
            await too_many("too many requests at once from this user", 1)(scope, receive, send)
            return
        if ledger.total_requests >= s.max_concurrent_requests:
            await too_many("the server is at capacity", 1)(scope, receive, send)
            return
        ledger.requests[who] += 1
        ledger.total_requests += 1
        try:
            await self.app(scope, receive, send)
        finally:
            ledger.total_requests -= 1
            ledger.requests[who] -= 1
            if ledger.requests[who] <= 0:
                del ledger.requests[who]

    async def _socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        ledger = self.ledger
        if ledger.total_sockets >= self.settings.max_websockets:
            # Closing before accepting refuses the handshake (HTTP 403).
            await send({"type": "websocket.close", "code": 4429})
            return
        ledger.total_sockets += 1
        try:
            await self.app(scope, receive, send)
        finally:
            ledger.total_sockets -= 1
