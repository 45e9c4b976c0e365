"""What no request can break: size limits, and errors that never leak internals."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    ValidationRule,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from projections.errors import QueryRefused
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
    return original is None or isinstance(original, GraphQLError)


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


def _depth(node: Any, fragments: dict[str, Any], seen: frozenset[str]) -> int:
    selection_set = getattr(node, "selection_set", None)
    if selection_set is None:
        return 0
    deepest = 0
    for child in selection_set.selections:
        if isinstance(child, FragmentSpreadNode):
            name = child.name.value
            if name in seen or name not in fragments:
                continue  # cycles are refused by the standard rules anyway
            deepest = max(deepest, _depth(fragments[name], fragments, seen | {name}))
        elif isinstance(child, InlineFragmentNode):
            deepest = max(deepest, _depth(child, fragments, seen))
        else:
            deepest = max(deepest, 1 + _depth(child, fragments, seen))
    return deepest


def introspection_depth_rule(limit: int) -> type[ValidationRule]:
    """strawberry's depth limiter skips introspection fields; this bounds them too."""

    class IntrospectionDepth(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            document = self.context.document
            fragments = {d.name.value: d for d in document.definitions
                         if isinstance(d, FragmentDefinitionNode)}
            for field in node.selection_set.selections:
                introspective = isinstance(field, FieldNode) and field.name.value.startswith("__")
                if introspective and 1 + _depth(field, fragments, frozenset()) > limit:
                    self.report_error(GraphQLError(
                        f"introspection query exceeds the maximum depth of {limit}", field,
                    ))

    return IntrospectionDepth


def extensions(settings: Settings) -> list[Any]:
    chosen: list[Any] = [
        QueryDepthLimiter(max_depth=settings.max_depth),
        AddValidationRules([introspection_depth_rule(MAX_INTROSPECTION_DEPTH)]),
        MaxTokensLimiter(max_token_count=settings.max_tokens),
        MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        MaskUnexpectedErrors,  # a class: one instance per operation, no shared state
        # Dashboards send the same few documents over and over: parse and validate once.
        ParserCache(maxsize=256),
        ValidationCache(maxsize=256),
    ]
    if not settings.introspection:
        chosen.append(AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return chosen
