"""The schema, composed from one query/mutation/subscription part per domain, and its ASGI app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.tools import merge_types

from schema import descriptions, graphiql, logs, tracing
from schema.audit import api as audit_api
from schema.audit.log import LogQueries, LogSubscriptions
from schema.auth import AuthError, actor_from_header, authenticate
from schema.budgets import Ledger
from schema.context import KehuContext, Services
from schema.customers import api as customers_api
from schema.documents import api as documents_api
from schema.i18n.extension import Translate
from schema.i18n.locale import LOCALE, negotiate
from schema.limits import extensions
from schema.live import api as live_api
from schema.meals import api as meals_api
from schema.metrics_http import MeasureOperations
from schema.notifications import api as notifications_api
from schema.people import api as people_api
from schema.policy import api as policy_api
from schema.privacy import api as privacy_api
from schema.reports import api as reports_api
from schema.request_text import BadRequestBody, RefuseNulCharacters, bad_text
from schema.response_json import response_json
from schema.sales import api as sales_api
from schema.scalars import OVERRIDES as SCALAR_OVERRIDES
from schema.settings import Settings
from schema.visits import api as visits_api
from schema.webhooks import api as webhooks_api
from schema.webhooks import secrets as webhook_secrets_api
from schema.ws_legacy import BudgetedLegacyWSHandler
from schema.ws_session import RenewingTransportWSHandler, bearer, stop_watching, watch_expiry

# Each context's API module exports QUERIES, MUTATIONS and SUBSCRIPTIONS (lists of strawberry
# types); the schema is their merge, composed here in one place.
API_MODULES: tuple[Any, ...] = (
    customers_api, visits_api, policy_api, meals_api, sales_api, reports_api, audit_api,
    webhooks_api, webhook_secrets_api, people_api, live_api, documents_api, notifications_api,
    privacy_api,
)


def _parts(attribute: str, base: list[type]) -> list[type]:
    parts = list(base)
    for module in API_MODULES:
        parts.extend(getattr(module, attribute, []))
    return parts


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
        scalar_overrides=SCALAR_OVERRIDES,  # dates within one documented range (issue 13)
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


WS_CONTEXT = "kehu.context"


class KehuGraphQL(GraphQL[KehuContext, None]):
    graphql_transport_ws_handler_class = RenewingTransportWSHandler
    graphql_ws_handler_class = BudgetedLegacyWSHandler
    def __init__(self, services: Services, ledger: Ledger | None = None):
        settings = services.settings
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            connection_init_wait_timeout=timedelta(seconds=settings.connection_init_timeout_s),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        )
        self.services = services
        self._ide_page = graphiql.page() if settings.graphiql else ""
        self.ledger = ledger  # budgets shared with the HTTP middleware (schema/budgets.py)
        self._sockets: dict[int, WebSocket] = {}  # context id -> its socket, until init

    def encode_json(self, data: object) -> str:
        """Every response and WebSocket message, through msgspec (several times faster than the
        standard library on the event loop every user shares; `eventPages` passes stored
        payloads through as raw JSON). Text, not bytes: graphql-transport-ws clients expect
        text frames."""
        return response_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        """The request body (and GET variables): strict UTF-8, and no text PostgreSQL cannot
        store. An invalid UTF-8 body was a bare HTTP 500 (json.loads raised UnicodeDecodeError)."""
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadRequestBody(f"the request body is not valid UTF-8 (byte {exc.start})",
                                     field=None) from None
        try:
            parsed = super().parse_json(data)
            where = bad_text(parsed)
        except RecursionError:
            raise BadRequestBody("the request body nests too deeply", field=None) from None
        if where is not None:
            raise BadRequestBody(f"{where} contains the NUL character (U+0000) or a lone "
                                 "surrogate, which no text may hold", field=where)
        return parsed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            try:
                await super().__call__(scope, receive, send)
            finally:  # the socket has ended: stop watching its token
                context = scope.get(WS_CONTEXT)
                stop_watching(context)
                self._sockets.pop(id(context), None)
            return
        try:
            await super().__call__(scope, receive, send)
        except BadRequestBody as exc:  # raised while reading the body, before any response
            extensions: dict[str, Any] = {"code": "BAD_USER_INPUT"}
            if exc.field:
                extensions["field"] = exc.field
            await JSONResponse({"errors": [{"message": str(exc), "extensions": extensions}]},
                               status_code=400)(scope, receive, send)

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
            # Authenticated in connection_init (on_ws_connect), not by header; the scope keeps
            # the context so __call__ can stop its expiry watch when the socket ends.
            context = KehuContext(services=self.services, actor=None)
            request.scope[WS_CONTEXT] = context
            self._sockets[id(context)] = request
            return context
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
            token = bearer(raw)
            if token is None:
                raise AuthError("connection_init payload needs Authorization: Bearer <token>")
            context.actor, context.token_expires_at = authenticate(token,
                                                                   self.services.settings)
        except AuthError as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from None
        websocket = self._sockets.pop(id(context), None)
        if websocket is not None:
            watch_expiry(context, websocket)
        return await super().on_ws_connect(context)
