"""The schema, composed from one query/mutation/subscription part per domain, and its ASGI app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import strawberry
from graphql import DocumentNode, ExecutionResult, GraphQLError, StringValueNode, Visitor, visit
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types

from schema import descriptions, graphiql, logs, tracing
from schema.audit import api as audit_api
from schema.audit.log import LogQueries, LogSubscriptions
from schema.auth import AuthError, actor_from_header, actor_from_token
from schema.context import KehuContext, Services
from schema.customers import api as customers_api
from schema.i18n.extension import Translate
from schema.i18n.locale import LOCALE, negotiate
from schema.limits import extensions
from schema.meals import api as meals_api
from schema.metrics_http import MeasureOperations
from schema.policy import api as policy_api
from schema.reports import api as reports_api
from schema.sales import api as sales_api
from schema.settings import Settings
from schema.visits import api as visits_api
from schema.webhooks import api as webhooks_api

# Each context's API module exports QUERIES, MUTATIONS and SUBSCRIPTIONS (lists of strawberry
# types); the schema is their merge, composed here in one place.
API_MODULES: tuple[Any, ...] = (
    customers_api, visits_api, policy_api, meals_api, sales_api, reports_api, audit_api,
    webhooks_api,
)


def _parts(attribute: str, base: list[type]) -> list[type]:
    parts = list(base)
    for module in API_MODULES:
        parts.extend(getattr(module, attribute, []))
    return parts


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class _NulLiterals(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.found = self.found or "\x00" in node.value


def _document_has_nul(document: DocumentNode | None) -> bool:
    finder = _NulLiterals()
    if document is not None:
        visit(document, finder)
    return finder.found


class RefuseNulCharacters(SchemaExtension):
    """PostgreSQL text and jsonb cannot store U+0000, so no valid input contains it. Refused here,
    before any resolver, it is bad input; let through, it fails deep in SQL as an internal error
    (found by the schemathesis fuzz in tests/conformance)."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if _has_nul(ctx.variables) or _document_has_nul(ctx.graphql_document):
            error = GraphQLError("text may not contain the NUL character (U+0000)",
                                 extensions={"code": "BAD_USER_INPUT"})
            ctx.result = ExecutionResult(data=None, errors=[error])  # skips execution
        yield


def build_schema(settings: Settings) -> strawberry.Schema:
    queries = _parts("QUERIES", [LogQueries])
    mutations = _parts("MUTATIONS", [])
    subscriptions = _parts("SUBSCRIPTIONS", [LogSubscriptions])
    schema = strawberry.Schema(
        query=merge_types("Query", tuple(queries)),
        mutation=merge_types("Mutation", tuple(mutations)) if mutations else None,
        subscription=merge_types("Subscription", tuple(subscriptions)),
        extensions=[*extensions(settings), RefuseNulCharacters, MeasureOperations, Translate,
                    *tracing.graphql_extensions()],
    )
    descriptions.fill(schema._schema)  # every type, field and argument described
    return schema


GRAPHQL_RESPONSE = "application/graphql-response+json"


def _quality(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def prefers_graphql_response(accept: str | None) -> bool:
    """GraphQL over HTTP content negotiation: the newer media type when the client ranks it at
    least as high as application/json (a bare */* keeps legacy JSON, as the spec allows)."""
    ranks = {GRAPHQL_RESPONSE: 0.0, "application/json": 0.0}
    for part in (accept or "").split(","):
        kind, *params = part.split(";")
        kind = kind.strip().lower()
        if kind in ranks:
            ranks[kind] = max(ranks[kind], _quality(params))
    return ranks[GRAPHQL_RESPONSE] > 0 and ranks[GRAPHQL_RESPONSE] >= ranks["application/json"]


def is_request_error(body: Any) -> bool:
    """Parse, validation and variable-coercion errors: nothing executed, so no error has a path."""
    return (isinstance(body, dict) and body.get("data") is None and bool(body.get("errors"))
            and all("path" not in e for e in body["errors"]))


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
        self._ide_page = graphiql.page() if settings.graphiql else ""

    @property
    def graphql_ide_html(self) -> str:
        return self._ide_page  # GraphiQL from Kehu's own assets (schema/graphiql.py), no CDN

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub = await super().get_sub_response(request)
        if isinstance(request, Request) and prefers_graphql_response(
                request.headers.get("accept")):
            sub.media_type = GRAPHQL_RESPONSE  # read back in create_response
        return sub

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        if sub_response.media_type != GRAPHQL_RESPONSE:
            return super().create_response(response_data, sub_response)
        # With application/graphql-response+json a request error is a 400 without "data".
        if is_request_error(response_data):
            response_data = {k: v for k, v in response_data.items() if k != "data"}
            sub_response.status_code = 400
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        return response

    async def get_context(self, request: Request | WebSocket, response: Any) -> KehuContext:
        LOCALE.set(negotiate(request.headers.get("accept-language")))  # zh-CN or English
        if isinstance(request, WebSocket):
            # Authenticated in connection_init (on_ws_connect), not by header.
            return KehuContext(services=self.services, actor=None)
        try:
            actor = actor_from_header(request.headers.get("authorization"),
                                      self.services.settings)
            context = KehuContext(services=self.services, actor=actor)
            logs.CORRELATION_ID.set(context.request_id)  # the id this request's events carry
            logs.ACTOR.set(f"{actor.user_id} ({actor.role.value})")
            return context
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
