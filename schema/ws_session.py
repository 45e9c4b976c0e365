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

EXPIRED = 4403
TOO_MANY = 4429
# A subscriber that does not read: its outgoing messages wait in the kernel's buffer, then in
# ours; when one cannot be sent within KEHU_WS_SEND_TIMEOUT the socket is closed with this code
# and the last event position delivered to it, so it can resume with `after`.
SLOW_SUBSCRIBER = 4410


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


def _position(message: Any) -> int | None:
    """The event position a `next` message carries (the events subscription), if any."""
    if not isinstance(message, dict) or message.get("type") != "next":
        return None
    data = (message.get("payload") or {}).get("data") or {}
    for value in data.values() if isinstance(data, dict) else ():
        if isinstance(value, dict) and isinstance(value.get("position"), int):
            return int(value["position"])
    return None


class RenewingTransportWSHandler(BaseGraphQLTransportWSHandler[KehuContext, None]):
    """graphql-transport-ws with token renewal, per-user budgets and a bounded send."""

    _user: str | None = None
    _last_position: int | None = None

    @property
    def _ledger(self) -> Any:
        return getattr(self.view, "ledger", None)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        actor, ledger = self.context.actor, self._ledger
        if not self.connection_acknowledged or actor is None or ledger is None:
            return
        if len(ledger.handlers[actor.user_id]) >= self.context.settings.max_websockets_per_user:
            WEBSOCKET_CLOSES.labels(code=str(TOO_MANY)).inc()
            await self.websocket.close(code=TOO_MANY,
                                       reason="too many WebSocket connections for this user")
            return
        self._user = actor.user_id
        ledger.handlers[actor.user_id].add(self)

    async def handle_subscribe(self, message: Any) -> None:
        ledger = self._ledger
        if self._user is not None and ledger is not None:
            running = sum(len(h.operations) for h in ledger.handlers[self._user])
            if running >= self.context.settings.max_subscriptions_per_user:
                await self.send_message({"id": message.get("id"), "type": "error", "payload": [{
                    "message": "too many subscriptions for this user",
                    "extensions": {"code": "RATE_LIMITED"}}]})
                return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        await super().shutdown()
        ledger = self._ledger
        if self._user is not None and ledger is not None:
            ledger.handlers[self._user].discard(self)
            if not ledger.handlers[self._user]:
                del ledger.handlers[self._user]

    async def send_message(self, message: Any) -> None:
        try:
            await asyncio.wait_for(super().send_message(message),
                                   self.context.settings.ws_send_timeout_s)
        except TimeoutError:
            last = "none" if self._last_position is None else str(self._last_position)
            # Counted before closing: the close frame itself waits behind what the client has
            # not read, and an operator should see the slow subscriber at once.
            WEBSOCKET_CLOSES.labels(code=str(SLOW_SUBSCRIBER)).inc()
            with suppress(Exception):
                await self.websocket.close(code=SLOW_SUBSCRIBER,
                                           reason=f"subscriber too slow; last position {last}")
            return
        position = _position(message)
        if position is not None:
            self._last_position = position
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
