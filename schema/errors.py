"""Expected failures as schema types (result unions), so clients switch on __typename.

Every error names the rule (RULES.md ID, or 'roles' / 'SoD' / a format) and, where one input is
at fault, the field; nothing here carries a stack trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar, Union

import strawberry

from events.shared import errors


@strawberry.interface(description="A refusal: nothing was written.")
class MutationError:
    message: str
    code: str
    rule: str | None = strawberry.field(description="The rule ID (RULES.md) that refused.")


@strawberry.type
class FieldProblem:
    field: str | None
    rule: str | None
    message: str


@strawberry.type(description="The input breaks a rule or a format.")
class ValidationError(MutationError):
    field: str | None
    problems: list[FieldProblem]


@strawberry.type
class NotFoundError(MutationError):
    field: str | None


@strawberry.type(description="The life cycle does not allow this step now.")
class InvalidStateError(MutationError):
    field: str | None


@strawberry.type(description="The caller's role or separation of duties forbids this.")
class ForbiddenError(MutationError):
    pass


@strawberry.type(description="The record changed meanwhile; reload and retry.")
class ConflictError(MutationError):
    stream_id: str
    expected_version: int
    actual_version: int


@strawberry.type(description="The idempotency key was already used for another command.")
class IdempotencyKeyReusedError(MutationError):
    field: str | None


ERROR_TYPES: tuple[type, ...] = (
    ValidationError, NotFoundError, InvalidStateError, ForbiddenError, ConflictError,
    IdempotencyKeyReusedError,
)

# Extra error types for refusals defined by domain modules (for example a policy block).
_extra_converters: list[tuple[type[errors.DomainError], Callable[[Any], Any]]] = []


def register_error(exc_type: type[errors.DomainError], gql_type: type,
                   convert: Callable[[Any], Any]) -> None:
    global ERROR_TYPES
    _extra_converters.append((exc_type, convert))
    if gql_type not in ERROR_TYPES:
        ERROR_TYPES = (*ERROR_TYPES, gql_type)


def to_error(exc: errors.DomainError) -> Any:
    for exc_type, convert in _extra_converters:
        if isinstance(exc, exc_type):
            return convert(exc)
    common: dict[str, Any] = {"message": exc.message, "code": exc.code, "rule": exc.rule}
    if isinstance(exc, errors.ValidationFailed):
        problems = [FieldProblem(field=p.field, rule=p.rule, message=p.message)
                    for p in exc.problems]
        return ValidationError(**common, field=exc.field, problems=problems)
    if isinstance(exc, errors.NotFound):
        return NotFoundError(**common, field=exc.field)
    if isinstance(exc, errors.Forbidden):
        return ForbiddenError(**common)
    if isinstance(exc, errors.ConcurrencyConflict):
        return ConflictError(**common, stream_id=exc.stream_id, expected_version=exc.expected,
                             actual_version=exc.actual)
    if isinstance(exc, errors.IdempotencyKeyReused):
        return IdempotencyKeyReusedError(**common, field=exc.field)
    return InvalidStateError(**common, field=exc.field)


def result_union(name: str, ok_type: type, *, description: str | None = None) -> Any:
    """`ok_type | every error type`, as a named GraphQL union."""
    members = (ok_type, *ERROR_TYPES)
    return Annotated[Union[members], strawberry.union(name, description=description)]  # noqa: UP007


T = TypeVar("T")


async def attempt(action: Callable[[], Awaitable[T]]) -> T | Any:
    """Run a command; a DomainError becomes its schema type instead of a raised error."""
    try:
        return await action()
    except errors.DomainError as exc:
        return to_error(exc)
