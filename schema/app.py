"""The schema, composed from one query/mutation/subscription part per domain, and its ASGI app."""

from __future__ import annotations

import importlib
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

# Each domain's API module exports QUERIES, MUTATIONS and SUBSCRIPTIONS (lists of strawberry
# types) and may export ERROR_TYPES; the schema is their merge, composed here in one place.
API_MODULES = (
    "schema.customers_api",
    "schema.visits_api",
    "schema.policy_api",
    "schema.meals_api",
    "schema.sales_api",
    "schema.analytics_api",
    "schema.audit_api",
    "schema.webhooks_api",
)


def _parts(attribute: str, base: list[type]) -> list[type]:
    parts = list(base)
    for name in API_MODULES:
        module = _load(name)
        if module is not None:
            parts.extend(getattr(module, attribute, []))
    return parts


def _load(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:  # not written yet; any other missing import is a real error
            return None
        raise


def build_schema(settings: Settings) -> strawberry.Schema:
    queries = _parts("QUERIES", [LogQueries])
    mutations = _parts("MUTATIONS", [])
    subscriptions = _parts("SUBSCRIPTIONS", [LogSubscriptions])
    return strawberry.Schema(
        query=merge_types("Query", tuple(queries)),
        mutation=merge_types("Mutation", tuple(mutations)) if mutations else None,
        subscription=merge_types("Subscription", tuple(subscriptions)),
        extensions=extensions(settings),
    )


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
