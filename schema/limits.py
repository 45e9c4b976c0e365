"""What no request can break: size limits, and errors that never leak internals."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import asyncpg
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)

from events.shared.actors import Actor
from projections.errors import QueryRefused
from schema.input_errors import TagInputErrors
from schema.positions import AcceptIntPositionVariables
from schema.query_cost import Budget, refusal
from schema.settings import Settings

log = logging.getLogger("kehu.api")


# The database is down or restarting: the caller should retry, and must not see internals.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError, asyncpg.AdminShutdownError, TimeoutError,
)


def _is_expected(error: GraphQLError) -> bool:
    original = error.original_error
    # Validation and parse errors have no original error; ApiError subclasses are deliberate.
    # A value the caller wrote that a scalar refused (ValueError) is reported before anything
    # runs, with no path: the caller's mistake, not an internal one.
    return (original is None or isinstance(original, GraphQLError)
            or (error.path is None and isinstance(original, ValueError)))


class MaskUnexpectedErrors(MaskErrors):
    """Unexpected errors reach the caller as 'internal error' plus a request id; the log has
    the same id with the traceback, so support can find it without exposing internals."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _is_expected(e))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        if isinstance(error.original_error, QueryRefused):
            refused = error.original_error
            extensions = {"code": "BAD_USER_INPUT", "field": refused.field}
            if refused.rule:
                extensions["rule"] = refused.rule
            return GraphQLError(refused.message, nodes=error.nodes, source=error.source,
                                positions=error.positions, path=error.path,
                                extensions=extensions)
        if isinstance(error.original_error, UNAVAILABLE_ERRORS):
            log.warning("request %s: database unavailable: %s", request_id, error.message)
            return GraphQLError(
                f"The database is unavailable; retry shortly (request id {request_id})",
                nodes=error.nodes, source=error.source, positions=error.positions,
                path=error.path, extensions={"code": "UNAVAILABLE", "requestId": request_id},
            )
        log.error("request %s failed: %s", request_id, error.message,
                  exc_info=error.original_error)
        return GraphQLError(
            f"Internal error (request id {request_id})",
            nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )


# GraphiQL's own introspection query nests `ofType` about 9 deep; allow it, refuse bombs.
MAX_INTROSPECTION_DEPTH = 15


def budget_for(settings: Settings, actor: Actor | None) -> Budget:
    """Anonymous callers can only read the schema, so they get the smallest budget."""
    return Budget(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases if actor else min(settings.max_aliases, 5),
        max_cost=settings.max_cost if actor else settings.max_cost_anonymous,
        max_repeats=settings.max_repeated_fields,
        introspection_depth=MAX_INTROSPECTION_DEPTH,
    )


class QueryCost(SchemaExtension):
    """Depth, aliases, repeats and cost, measured once the document is parsed and before it is
    validated or executed, in one pass that reads each fragment once (schema/query_cost.py).
    It runs per request, not per document, because the budget depends on the caller and `first`
    may come from variables; a refused request never reaches validation."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def on_parse(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        if ctx.graphql_document is None or ctx.pre_execution_errors:
            return
        actor = getattr(ctx.context, "actor", None)
        variables = ctx.variables if isinstance(ctx.variables, dict) else None
        over = refusal(ctx.graphql_document, variables, self.settings.max_page_size,
                       budget_for(self.settings, actor))
        if over is not None:
            figures = over.figures
            ctx.pre_execution_errors = [GraphQLError(over.message, extensions={
                "code": "QUERY_TOO_COMPLEX", "limit": over.limit, "depth": figures.depth,
                "aliases": figures.aliases, "cost": figures.cost, "repeats": figures.repeats,
            })]


class GuardedValidationCache(ValidationCache):
    """strawberry's cache validates even when an earlier step refused the request; this one
    leaves a refused request alone, so a refused bomb never reaches the standard rules."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors:
            yield
            return
        yield from super().on_validate()


def extensions(settings: Settings) -> list[Any]:
    # Factories, not instances: strawberry builds one extension per request from each.
    # ParserCache and ValidationCache keep their caches at module level, shared by all requests.
    chosen: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        # Dashboards send the same few documents over and over: parse and validate once.
        lambda: ParserCache(maxsize=256),
        lambda: QueryCost(settings),  # after parsing, before validation
        MaskUnexpectedErrors,
        TagInputErrors,  # after the mask: its on_operation exit runs first
        AcceptIntPositionVariables,  # before the cache: it chooses the rules validated with
        lambda: GuardedValidationCache(maxsize=256),
    ]
    if not settings.introspection:
        chosen.append(AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return chosen
