"""Translate at the schema edge, after execution: GraphQL error messages, every `message` in
the result (refusals, problems, findings) and, for introspection, every `description`. The
domain keeps speaking English; only what a user reads changes language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from schema.i18n.catalog import ENGLISH, translate
from schema.i18n.locale import current

TRANSLATED_KEYS = {"message", "description"}


def translate_data(value: Any, locale: str) -> Any:
    if isinstance(value, dict):
        return {k: (translate(v, locale) if k in TRANSLATED_KEYS and isinstance(v, str)
                    else translate_data(v, locale)) for k, v in value.items()}
    if isinstance(value, list):
        return [translate_data(v, locale) for v in value]
    return value


def translate_error(error: GraphQLError, locale: str) -> GraphQLError:
    message = translate(error.message, locale)
    if message == error.message:
        return error
    return GraphQLError(message, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path,
                        original_error=error.original_error, extensions=error.extensions)


class Translate(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        locale = current()
        result = self.execution_context.result
        if locale == ENGLISH or result is None:
            return
        if getattr(result, "data", None) is not None:
            result.data = translate_data(result.data, locale)
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [translate_error(e, locale) for e in errors]
