"""The one validation vocabulary: input limits and the problem collector every context uses.

Limits are the same everywhere (domain, GraphQL inputs, query arguments): over-long input is
refused with a typed error naming the field, never truncated. `Problems` gathers every problem
of a command, so a user fixes them all in one round trip instead of one per attempt.
"""

from __future__ import annotations

from collections.abc import Sequence

from events.shared.errors import Problem, ValidationFailed

MAX_ID = 100  # ids of things: customers, visits, meals, users, imports
MAX_NAME = 200  # names, titles, organisations, restaurants, references
MAX_PHONE = 30
MAX_TEXT = 2000  # free text: reports, reasons, the customer's own words
MAX_KEY = 200  # idempotency keys
MAX_STREAM_ID = MAX_ID + 100  # a stream type prefix and an id ("meal-<id>")

__all__ = ["MAX_ID", "MAX_KEY", "MAX_NAME", "MAX_PHONE", "MAX_STREAM_ID", "MAX_TEXT",
           "Problems"]


class Problems:
    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, field: str, message: str, rule: str | None = None) -> None:
        self.found.append(Problem(field=field, rule=rule, message=message))

    def text(
        self,
        field: str,
        value: str | None,
        *,
        limit: int,
        required: bool = True,
        rule: str | None = None,
    ) -> None:
        """Text is checked, never rewritten: V5 asks for the customer's words verbatim."""
        if value is None or not value.strip():
            if required:
                self.add(field, "must not be blank", rule)
            return
        if len(value) > limit:
            self.add(field, f"must be at most {limit} characters", rule)

    def texts(
        self,
        field: str,
        values: Sequence[str],
        *,
        limit: int,
        max_items: int,
        required: bool = False,
        rule: str | None = None,
    ) -> None:
        if required and not values:
            self.add(field, "needs at least one entry", rule)
        if len(values) > max_items:
            self.add(field, f"at most {max_items} entries", rule)
        for i, value in enumerate(values):
            self.text(f"{field}[{i}]", value, limit=limit, rule=rule)

    def raise_if_any(self) -> None:
        if self.found:
            raise ValidationFailed(self.found)
