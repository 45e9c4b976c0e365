"""Errors in what the caller sent (a value of the wrong type or out of range, in a literal or a
variable) carry `code: BAD_USER_INPUT` and the `field` they are about, like the resolvers'
own BadInput errors, so clients handle every refused input the same way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    Node,
    ObjectFieldNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

_VARIABLE = re.compile(r"Variable '\$(\w+)' (?:got|has) invalid value(?: at (\S+?))?[:;. ]")


def is_input_error(error: GraphQLError) -> bool:
    """A request error (no path: nothing executed) about a value the caller wrote."""
    message = error.message
    return error.path is None and (message.startswith(("Expected value of type",
                                                       "Variable '$"))
                                   or "cannot represent" in message
                                   or isinstance(error.original_error, ValueError))


class _Owner(Visitor):
    """The argument or input field whose value is a given node."""

    def __init__(self, target: Node):
        super().__init__()
        self.target = target
        self.names: list[str] = []
        self.found: str | None = None

    def enter(self, node: Any, *_: Any) -> None:
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            self.names.append(node.name.value)
        if node is self.target and self.found is None and self.names:
            self.found = ".".join(self.names)

    def leave(self, node: Any, *_: Any) -> None:
        if isinstance(node, ArgumentNode | ObjectFieldNode):
            self.names.pop()


def field_of(error: GraphQLError, document: DocumentNode | None) -> str | None:
    match = _VARIABLE.match(error.message)
    if match:
        return match.group(1) + (match.group(2) or "")
    if document is not None and error.nodes:
        owner = _Owner(error.nodes[0])
        visit(document, owner)
        return owner.found
    return None


class TagInputErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        errors = [*(ctx.pre_execution_errors or []),
                  *((ctx.result.errors if ctx.result else None) or [])]
        for error in errors:
            if (error.extensions or {}).get("code") is None and is_input_error(error):
                field = field_of(error, ctx.graphql_document)
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT",
                                    **({"field": field} if field else {})}
