"""The older graphql-ws protocol (subscriptions-transport-ws), under the same per-user budgets
and bounded send as graphql-transport-ws (schema/ws_budgets.py). It has no `ping` message, so
a token cannot be renewed on it: the socket closes with 4403 when the token expires."""

from __future__ import annotations

from typing import Any

from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from schema.context import KehuContext
from schema.ws_budgets import TOO_MANY_SUBSCRIPTIONS, PerUserSockets


class BudgetedLegacyWSHandler(PerUserSockets, BaseGraphQLWSHandler[KehuContext, None]):
    def running_operations(self) -> int:
        return len(self.tasks)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            await self.admit()

    async def handle_start(self, message: Any) -> None:
        if self.connection_acknowledged and self.over_subscription_budget():
            await self.send_message({"id": message.get("id"), "type": "error", "payload": {
                "message": TOO_MANY_SUBSCRIPTIONS, "extensions": {"code": "RATE_LIMITED"}}})
            return
        await super().handle_start(message)

    async def cleanup(self) -> None:
        await super().cleanup()
        self.release()

    async def send_message(self, message: Any) -> None:
        await self.bounded_send(super().send_message(message), message)
