"""Text no request may carry: invalid UTF-8, U+0000 and lone UTF-16 surrogates.

PostgreSQL text and jsonb cannot store U+0000, and a lone surrogate (JSON lets a client write
"\\ud800") cannot be encoded as UTF-8; let through, either failed deep in SQL as an internal
error (found by the schemathesis fuzz in tests/conformance). Refused before any resolver, each
is bad input naming where it was found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

# Text PostgreSQL cannot store and UTF-8 cannot encode: U+0000 and lone UTF-16 surrogates
# (JSON lets a client write "\ud800"; encoding it later failed as an internal error).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def bad_text(value: Any, path: str = "") -> str | None:
    """The path of the first text in value that cannot be stored, or None."""
    if isinstance(value, str):
        return path if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _UNSTORABLE.search(str(key)):
                return where
            found = bad_text(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = bad_text(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


class _NulLiterals(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.found = self.found or bool(_UNSTORABLE.search(node.value))


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
        where = bad_text(ctx.variables or {})
        if where is not None or _document_has_nul(ctx.graphql_document):
            error = GraphQLError(
                "text may not contain the NUL character (U+0000) or a lone surrogate"
                + (f" (in variable {where})" if where else ""),
                extensions={"code": "BAD_USER_INPUT", **({"field": where} if where else {})})
            ctx.result = ExecutionResult(data=None, errors=[error])  # skips execution
        yield


class BadRequestBody(Exception):
    """A body no GraphQL request can be read from: answered 400 with a GraphQL error body."""

    def __init__(self, message: str, *, field: str | None):
        super().__init__(message)
        self.field = field


