"""Every message a user can read, found in the source: the text of domain errors, refusals,
problems and findings (f-strings become templates with named `{placeholders}`), and every
description of the schema. The catalog test requires a Simplified Chinese entry for each, so
a new message anywhere needs its catalog entry before the tests pass."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("events", "schema", "projections")
# Calls whose sentence-like string arguments are messages for a user.
MESSAGE_CALLS = {
    "DomainError", "ValidationFailed", "NotFound", "InvalidState", "Forbidden",
    "ConcurrencyConflict", "IdempotencyKeyReused", "ImportRejected", "PolicyBlocked",
    "Problem", "single", "add", "refuse", "BadInput", "NotAllowed", "NotAuthenticated",
    "ApiError", "ReadNotCaughtUp", "AuthError", "GraphQLError", "Finding", "finding",
    "problem", "MealFinding", "RowError", "LiveQueryLimit", "LiveQueryFailed",
}
_NAME = re.compile(r"[^0-9A-Za-z_]+")


def template(node: ast.expr) -> str | None:
    """A string literal as is; an f-string with each `{expression}` named by its text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
        elif isinstance(value, ast.FormattedValue):
            parts.append("{" + _NAME.sub("_", ast.unparse(value.value)).strip("_") + "}")
    return "".join(parts)


def _is_sentence(text: str) -> bool:
    # SQL fragments built with str.format ("x = {}") are not messages.
    return " " in text.strip() and len(text) > 8 and "{}" not in text


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def source_messages() -> Iterator[tuple[str, str]]:
    """(template, where) for every message in the source."""
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts or "i18n" in path.parts:
                continue
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _call_name(node) in MESSAGE_CALLS:
                    for arg in [*node.args, *(k.value for k in node.keywords)]:
                        text = template(arg)
                        if text is not None and _is_sentence(text):
                            yield text, f"{path.relative_to(ROOT)}:{node.lineno}"


def schema_descriptions() -> Iterator[str]:
    from graphql import GraphQLEnumType

    from schema.app import build_schema
    from schema.descriptions import BUILT_IN, _fields
    from schema.settings import Settings

    schema = build_schema(Settings(jwt_secret="inventory" * 4))._schema
    for name, t in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if t.description:
            yield t.description
        for field in _fields(t).values():
            if field.description:  # type: ignore[attr-defined]
                yield field.description  # type: ignore[attr-defined]
            for arg in getattr(field, "args", {}).values():
                if arg.description:
                    yield arg.description
        if isinstance(t, GraphQLEnumType):
            yield from (v.description for v in t.values.values() if v.description)
