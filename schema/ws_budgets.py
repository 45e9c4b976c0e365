"""Per-user WebSocket budgets and the bounded send, the same for both subscription protocols.

A user may hold `KEHU_MAX_WEBSOCKETS_PER_USER` authenticated sockets and
`KEHU_MAX_SUBSCRIPTIONS_PER_USER` running subscriptions over all of them; a socket beyond the
first limit is closed with 4429, a subscription beyond the second refused with RATE_LIMITED.
Before, only graphql-transport-ws counted: a client speaking the older graphql-ws protocol
escaped both limits and the slow-subscriber close.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import suppress
from typing import Any

from events.shared.metrics import WEBSOCKET_CLOSES
from schema.context import KehuContext

TOO_MANY = 4429
# A subscriber that does not read: its outgoing messages wait in the kernel's buffer, then in
# ours; when one cannot be sent within KEHU_WS_SEND_TIMEOUT the socket is closed with this code
# and the last event position delivered to it, so it can resume with `after`.
SLOW_SUBSCRIBER = 4410
TOO_MANY_SUBSCRIPTIONS = "too many subscriptions for this user"
# The message types that carry a subscription's result, in each protocol.
RESULT_TYPES = ("next", "data")


def delivered_position(message: Any) -> int | None:
    """The event position a result message carries (the events subscription), if any."""
    if not isinstance(message, dict) or message.get("type") not in RESULT_TYPES:
        return None
    data = (message.get("payload") or {}).get("data") or {}
    for value in data.values() if isinstance(data, dict) else ():
        if isinstance(value, dict) and isinstance(value.get("position"), int):
            return int(value["position"])
    return None


class PerUserSockets:
    """Mixed into a strawberry protocol handler (before it in the bases)."""

    # Provided by the strawberry handler this is mixed into.
    view: Any
    websocket: Any
    context: KehuContext

    _user: str | None = None
    _last_position: int | None = None

    def running_operations(self) -> int:
        """Subscriptions running on this socket (each protocol keeps them differently)."""
        raise NotImplementedError

    @property
    def _ledger(self) -> Any:
        return getattr(self.view, "ledger", None)

    async def admit(self) -> None:
        """After an acknowledged connection_init: count the socket, or close it with 4429."""
        actor, ledger = self.context.actor, self._ledger
        if actor is None or ledger is None:
            return
        if len(ledger.handlers[actor.user_id]) >= self.context.settings.max_websockets_per_user:
            WEBSOCKET_CLOSES.labels(code=str(TOO_MANY)).inc()
            await self.websocket.close(code=TOO_MANY,
                                       reason="too many WebSocket connections for this user")
            return
        self._user = actor.user_id
        ledger.handlers[actor.user_id].add(self)

    def over_subscription_budget(self) -> bool:
        ledger = self._ledger
        if self._user is None or ledger is None:
            return False
        running: int = sum(h.running_operations() for h in ledger.handlers[self._user])
        return running >= self.context.settings.max_subscriptions_per_user

    def release(self) -> None:
        ledger = self._ledger
        if self._user is not None and ledger is not None:
            ledger.handlers[self._user].discard(self)
            if not ledger.handlers[self._user]:
                del ledger.handlers[self._user]

    async def bounded_send(self, send: Awaitable[None], message: Any) -> None:
        try:
            await asyncio.wait_for(send, self.context.settings.ws_send_timeout_s)
        except TimeoutError:
            last = "none" if self._last_position is None else str(self._last_position)
            # Counted before closing: the close frame itself waits behind what the client has
            # not read, and an operator should see the slow subscriber at once.
            WEBSOCKET_CLOSES.labels(code=str(SLOW_SUBSCRIBER)).inc()
            with suppress(Exception):
                await self.websocket.close(code=SLOW_SUBSCRIBER,
                                           reason=f"subscriber too slow; last position {last}")
            return
        position = delivered_position(message)
        if position is not None:
            self._last_position = position
