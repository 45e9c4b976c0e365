"""Expected failures as schema types (result unions), so clients switch on __typename.

Every error names the rule (RULES.md ID, or 'roles' / 'SoD' / a format) and, where one input is
at fault, the field; nothing here carries a stack trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias, TypeVar

import strawberry

from events.meals.rules import Finding, PolicyBlocked
from events.sales.model import ImportRejected
from events.shared import errors
from schema.enums import Severity


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


@strawberry.type(description="One finding of the rule book on a meal, naming its rule.")
class MealFinding:
    rule: str
    severity: Severity
    message: str
    actual: str = strawberry.field(description="What was compared, e.g. per person '215.00'.")
    limit: str = strawberry.field(description="What it was compared with, e.g. cap '200.00'.")

    @classmethod
    def of(cls, f: Finding) -> MealFinding:
        return cls(rule=f.rule, severity=f.severity, message=f.message, actual=f.actual,
                   limit=f.limit)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MealFinding:
        return cls(rule=data["rule"], severity=Severity(data["severity"]),
                   message=data["message"], actual=data["actual"], limit=data["limit"])


@strawberry.type(description="The meal breaks the rule book and carries no exception reason "
                 "(M6): every blocking finding, with the figures it compared.")
class PolicyBlockedError(MutationError):
    findings: list[MealFinding]


@strawberry.type
class ImportRowError:
    row: int = strawberry.field(description="1-based: the n-th row of the list or CSV data.")
    field: str
    rule: str | None
    message: str


@strawberry.type(description="Some rows are invalid: nothing of the import was written.")
class ImportRejectedError(MutationError):
    field: str | None
    total_rows: int
    bad_rows: int
    rows: list[ImportRowError]


def _rejected(exc: ImportRejected) -> ImportRejectedError:
    return ImportRejectedError(
        message=exc.message, code=exc.code, rule=exc.rule, field=exc.field,
        total_rows=exc.total_rows, bad_rows=len({r.row for r in exc.rows}),
        rows=[ImportRowError(row=r.row, field=r.field, rule=r.rule, message=r.message)
              for r in exc.rows])




# Every mutation's result is `its ok type | MutationErrors`, declared once here, e.g.
#   RequestMealResult: TypeAlias = Annotated[MealMutationOk | MutationErrors,
#                                            strawberry.union("RequestMealResult")]
MutationErrors: TypeAlias = (
    ValidationError | NotFoundError | InvalidStateError | ForbiddenError | ConflictError
    | IdempotencyKeyReusedError | PolicyBlockedError | ImportRejectedError
)


def to_error(exc: errors.DomainError) -> MutationErrors:
    if isinstance(exc, ImportRejected):
        return _rejected(exc)
    if isinstance(exc, PolicyBlocked):
        return PolicyBlockedError(message=exc.message, code=exc.code, rule=exc.rule,
                                  findings=[MealFinding.of(f) for f in exc.findings])
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


T = TypeVar("T")


async def attempt(action: Callable[[], Awaitable[T]]) -> T | MutationErrors:
    """Run a command; a DomainError becomes its schema type instead of a raised error."""
    try:
        return await action()
    except errors.DomainError as exc:
        return to_error(exc)
