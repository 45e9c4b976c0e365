"""The small, named hierarchy of expected failures.

Each carries the rule ID (RULES.md) that spoke and, where one input is at fault, the field, so a
manager reading the error and an auditor reading a test both know which rule refused what.
The GraphQL layer turns each class into a typed result; nothing here is ever a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str | None
    rule: str | None
    message: str


class DomainError(Exception):
    """An expected refusal: the command is not carried out and nothing is written."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.field = field


class ValidationFailed(DomainError):
    """The input itself is wrong: one or more fields break a rule or a format."""

    code = "VALIDATION"

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("ValidationFailed needs at least one problem")
        first = problems[0]
        super().__init__(first.message, rule=first.rule, field=first.field)
        self.problems = problems

    @classmethod
    def single(cls, field: str, message: str, rule: str | None = None) -> ValidationFailed:
        return cls([Problem(field=field, rule=rule, message=message)])


class NotFound(DomainError):
    code = "NOT_FOUND"


class InvalidState(DomainError):
    """The thing exists, but its life cycle does not allow this step now."""

    code = "INVALID_STATE"


class Forbidden(DomainError):
    """The actor's role, or separation of duties, does not allow this."""

    code = "FORBIDDEN"


class ConcurrencyConflict(DomainError):
    """The stream moved on since it was read: the caller should reload and retry."""

    code = "CONFLICT"

    def __init__(self, stream_id: str, expected: int, actual: int):
        super().__init__(
            f"stream {stream_id} is at version {actual}, expected {expected}",
            field="expectedVersion",
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class IdempotencyKeyReused(DomainError):
    """The same idempotency key arrived with a different command."""

    code = "IDEMPOTENCY_KEY_REUSED"
