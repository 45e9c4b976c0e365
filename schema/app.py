"""The schema, composed from one query/mutation/subscription part per domain, and its ASGI app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.tools import merge_types

from schema.auth import AuthError, actor_from_header, actor_from_token
from schema.context import KehuContext, Services
from schema.limits import extensions
from schema.log_api import LogQueries, LogSubscriptions
from schema.settings import Settings

QUERY_PARTS: list[type] = [LogQueries]
MUTATION_PARTS: list[type] = []
SUBSCRIPTION_PARTS: list[type] = [LogSubscriptions]


def _register_domain_parts() -> None:
    """Domain parts register here, in one place, so the composition is explicit."""


def build_schema(settings: Settings) -> strawberry.Schema:
    _register_domain_parts()
    query = merge_types("Query", tuple(QUERY_PARTS))
    mutation = merge_types("Mutation", tuple(MUTATION_PARTS)) if MUTATION_PARTS else None
    subscription = merge_types("Subscription", tuple(SUBSCRIPTION_PARTS))
    return strawberry.Schema(query=query, mutation=mutation, subscription=subscription,
                             extensions=extensions(settings))


class KehuGraphQL(GraphQL[KehuContext, None]):
    def __init__(self, services: Services):
        settings = services.settings
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            connection_init_wait_timeout=timedelta(seconds=settings.connection_init_timeout_s),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        )
        self.services = services

    async def get_context(self, request: Request | WebSocket, response: Any) -> KehuContext:
        if isinstance(request, WebSocket):
            # Authenticated in connection_init (on_ws_connect), not by header.
            return KehuContext(services=self.services, actor=None)
        try:
            actor = actor_from_header(request.headers.get("authorization"),
                                      self.services.settings)
            return KehuContext(services=self.services, actor=actor)
        except AuthError as exc:
            return KehuContext(services=self.services, actor=None, auth_error=exc)

    async def on_ws_connect(self, context: KehuContext) -> Any:
        params = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization") or params.get("token")
        try:
            if isinstance(raw, str) and raw.lower().startswith("bearer "):
                context.actor = actor_from_header(raw, self.services.settings)
            elif isinstance(raw, str):
                context.actor = actor_from_token(raw, self.services.settings)
            else:
                raise AuthError("connection_init payload needs Authorization: Bearer <token>")
        except AuthError as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from None
        return await super().on_ws_connect(context)
