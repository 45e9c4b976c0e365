"""What no request can break: size limits, and errors that never leak internals."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)

from schema.settings import Settings

log = logging.getLogger("kehu.api")


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
        log.error("request %s failed: %s", request_id, error.message,
                  exc_info=error.original_error)
        return GraphQLError(
            f"Internal error (request id {request_id})",
            nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )


def extensions(settings: Settings) -> list[Any]:
    chosen: list[Any] = [
        QueryDepthLimiter(max_depth=settings.max_depth),
        MaxTokensLimiter(max_token_count=settings.max_tokens),
        MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        MaskUnexpectedErrors,  # a class: one instance per operation, no shared state
    ]
    if not settings.introspection:
        chosen.append(AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return chosen
