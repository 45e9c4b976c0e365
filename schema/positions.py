"""`Position`: a log position in GraphQL, wider than `Int` and exact in every JSON reader.

The log numbers events with a PostgreSQL `bigint`, but GraphQL's `Int` is 32-bit: past event
2,147,483,647 every `position`, `after` and `atLeast` would fail. `Position` covers 0 to
2^53 - 1 (9,007,199,254,740,991), the largest integer a JavaScript dashboard reads exactly from
a JSON number; the log itself refuses positions beyond it (migration 0010), so an output can
never lose precision. It is written as a JSON number; inputs take a number or a decimal string.

Clients written when these were `Int` keep working: a variable declared `Int` is accepted where
a `Position` is expected (`IntVariablesAsPositions`); every Int value is a valid Position.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NewType

from graphql import (
    GraphQLError,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLType,
    OperationDefinitionNode,
    ValueNode,
)
from graphql.language import IntValueNode, StringValueNode
from graphql.utilities import type_from_ast
from graphql.validation import VariablesInAllowedPositionRule
from graphql.validation.rules.variables_in_allowed_position import allowed_variable_usage
from strawberry.extensions import SchemaExtension
from strawberry.types.scalar import ScalarDefinition

MAX_POSITION = 2**53 - 1
NAME = "Position"
DESCRIPTION = (
    "A position in the global event log: an integer from 0 to 9007199254740991 (2^53 - 1), "
    "written as a JSON number, which every JSON reader (JavaScript included) reads exactly. "
    "Inputs take a number or a decimal string. A variable declared Int is accepted too."
)


class PositionOutOfRange(ValueError):
    """Tagged BAD_USER_INPUT with the argument's name by schema/input_errors.py."""


def parse_position(value: Any) -> int:
    if isinstance(value, bool):
        raise PositionOutOfRange("Position must be an integer, not a boolean")
    if isinstance(value, str):
        # At most 16 ASCII digits: 2^53 - 1 has 16; no sign, space, underscore or exponent.
        if not (0 < len(value) <= 16 and value.isascii() and value.isdigit()):
            raise PositionOutOfRange(f"Position {value[:40]!r} is not a decimal integer")
        value = int(value)
    if not isinstance(value, int):
        raise PositionOutOfRange("Position must be an integer or a decimal string")
    if not 0 <= value <= MAX_POSITION:
        raise PositionOutOfRange(f"Position {value} is outside 0 to {MAX_POSITION}")
    return value


def _parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> int:
    if isinstance(node, IntValueNode | StringValueNode):
        return parse_position(int(node.value) if isinstance(node, IntValueNode) else node.value)
    raise PositionOutOfRange("Position must be an integer or a decimal string")


def _serialize(value: Any) -> int:
    return int(value)


Position = NewType("Position", int)

# Registered schema-wide through `scalar_overrides` (schema/app.py), like Date and DateTime.
POSITION = ScalarDefinition(
    name=NAME, description=DESCRIPTION, specified_by_url=None, serialize=_serialize,
    parse_value=parse_position, parse_literal=_parse_literal,
)


def _named(graphql_type: GraphQLType | None) -> str | None:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return graphql_type.name if isinstance(graphql_type, GraphQLNamedType) else None


def _as_int(location: GraphQLType) -> GraphQLType:
    """The same place with `Int` where it expects `Position` (non-null stays non-null)."""
    return GraphQLNonNull(GraphQLInt) if isinstance(location, GraphQLNonNull) else GraphQLInt


class IntVariablesAsPositions(VariablesInAllowedPositionRule):
    """The standard rule, except that an `Int` variable may stand where a `Position` is expected,
    under the same nullability rules as an `Int` place. graphql-core hands such a variable's
    value (already an int within 32 bits, so a valid position) to the resolver as it is."""

    def enter_operation_definition(self, operation: OperationDefinitionNode,
                                   *args: Any) -> None:
        self._accepted: set[int] = set()
        super().enter_operation_definition(operation, *args)

    def leave_operation_definition(self, operation: OperationDefinitionNode,
                                   *args: Any) -> None:
        schema = self.context.schema
        for usage in self.context.get_recursive_variable_usages(operation):
            definition = self.var_def_map.get(usage.node.name.value)
            if definition is None or usage.type is None or _named(usage.type) != NAME:
                continue
            declared = type_from_ast(schema, definition.type)
            if declared is not None and _named(declared) == "Int" and allowed_variable_usage(
                    schema, declared, definition.default_value, _as_int(usage.type),
                    usage.default_value):
                self._accepted.add(id(usage.node))
        super().leave_operation_definition(operation, *args)

    def report_error(self, error: GraphQLError) -> None:
        if any(id(node) in self._accepted for node in error.nodes or ()):
            return
        super().report_error(error)


class AcceptIntPositionVariables(SchemaExtension):
    """Puts `IntVariablesAsPositions` in place of the standard rule for each request."""

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.validation_rules = tuple(
            IntVariablesAsPositions if rule is VariablesInAllowedPositionRule else rule
            for rule in ctx.validation_rules)
        yield


def maybe_position(value: int | None) -> Position | None:
    return None if value is None else Position(value)


# Argument defaults (module constants: a call in a default is evaluated once anyway).
LOG_START = Position(0)  # "after" the beginning: from the first event
FIRST_EVENT = Position(1)
