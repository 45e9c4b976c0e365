"""A WebSocket lives no longer than the token that opened it, unless the client renews it.

The token is checked once, at `connection_init`; before this, a socket kept delivering events
and accepted new operations after its token expired. Now the server closes it with 4403 when
the token expires. A graphql-transport-ws client renews by sending a `ping` whose payload is
`{"Authorization": "Bearer <new token>"}` for the same user before then; the server answers
with the usual `pong` (or closes 4403 if the new token is not acceptable).
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from typing import Any

from starlette.websockets import WebSocket
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from events.shared.metrics import WEBSOCKET_CLOSES
from schema.auth import AuthError, authenticate
from schema.context import KehuContext
from schema.ws_budgets import TOO_MANY_SUBSCRIPTIONS, PerUserSockets

EXPIRED = 4403
async def close_when_expired(context: KehuContext, websocket: WebSocket) -> None:
    """Sleep until the (possibly renewed) expiry, then close the socket."""
    while context.token_expires_at is not None:
        remaining = context.token_expires_at - time.time()
        if remaining <= 0:
            break
        await asyncio.sleep(remaining)
    WEBSOCKET_CLOSES.labels(code=str(EXPIRED)).inc()
    with suppress(Exception):  # the client may have gone already
        await websocket.close(code=EXPIRED, reason="token expired")


def watch_expiry(context: KehuContext, websocket: WebSocket) -> None:
    context.expiry_task = asyncio.create_task(close_when_expired(context, websocket))


def stop_watching(context: KehuContext | None) -> None:
    if context is not None and context.expiry_task is not None:
        context.expiry_task.cancel()
        context.expiry_task = None


def bearer(raw: Any) -> str | None:
    if isinstance(raw, str) and raw.lower().startswith("bearer "):
        return raw[7:].strip()
    return raw if isinstance(raw, str) else None


class RenewingTransportWSHandler(PerUserSockets,
                                 BaseGraphQLTransportWSHandler[KehuContext, None]):
    """graphql-transport-ws with token renewal, per-user budgets and a bounded send."""

    def running_operations(self) -> int:
        return len(self.operations)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            await self.admit()

    async def handle_subscribe(self, message: Any) -> None:
        if self.over_subscription_budget():
            await self.send_message({"id": message.get("id"), "type": "error", "payload": [{
                "message": TOO_MANY_SUBSCRIPTIONS, "extensions": {"code": "RATE_LIMITED"}}]})
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        await super().shutdown()
        self.release()

    async def send_message(self, message: Any) -> None:
        await self.bounded_send(super().send_message(message), message)

    async def handle_ping(self, message: Any) -> None:
        payload = message.get("payload")
        raw = payload.get("Authorization") if isinstance(payload, dict) else None
        context = self.context
        if raw is not None and context.actor is not None:
            token = bearer(raw)
            try:
                if token is None:
                    raise AuthError("Authorization must be 'Bearer <token>'")
                actor, expires_at = authenticate(token, context.settings)
            except AuthError:
                await self.websocket.close(code=EXPIRED, reason="renewal refused")
                return
            if actor.user_id != context.actor.user_id:
                await self.websocket.close(code=EXPIRED, reason="renewal for another user")
                return
            context.actor, context.token_expires_at = actor, expires_at
        await super().handle_ping(message)
