"""The one error a read raises on its caller's arguments (a forged cursor, a reversed range).

The read side knows nothing of GraphQL: the schema's error masking turns this into a
BAD_USER_INPUT naming the field, so a bad argument never reaches the caller as INTERNAL.
"""

from __future__ import annotations


class QueryRefused(ValueError):
    def __init__(self, message: str, *, field: str, rule: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule
