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

from schema.auth import AuthError, authenticate
from schema.context import KehuContext

EXPIRED = 4403


async def close_when_expired(context: KehuContext, websocket: WebSocket) -> None:
    """Sleep until the (possibly renewed) expiry, then close the socket."""
    while context.token_expires_at is not None:
        remaining = context.token_expires_at - time.time()
        if remaining <= 0:
            break
        await asyncio.sleep(remaining)
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


class RenewingTransportWSHandler(BaseGraphQLTransportWSHandler[KehuContext, None]):
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
