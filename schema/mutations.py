"""The one mutation runner: every mutation of every context answers through `mutate`.

It authenticates (no caller: a GraphQL error, not a result), checks the idempotency key by the
one rule (1 to 200 characters, no NUL: a typed ValidationError naming `idempotencyKey`),
builds the command context, runs the context's handler and turns a refusal (DomainError) into
its schema type, so a resolver is only "build the command, call the handler, shape the answer".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeAlias, TypeVar

import strawberry
from strawberry.types import Info

from events.handling import Outcome
from events.shared.context import Context
from events.shared.errors import ValidationFailed
from events.shared.validation import MAX_KEY
from events.store.event_store import AppendResult
from schema.context import KehuContext, ctx_of
from schema.errors import MutationErrors, attempt

T = TypeVar("T")

IdempotencyKey: TypeAlias = Annotated[str | None, strawberry.argument(
    description="1 to 200 characters. Retrying a mutation with the same key writes nothing new "
                "and returns the first result; the same key with another command is refused.")]


def checked_key(key: str | None) -> str | None:
    """The idempotency key rule, the same for every mutation."""
    if key is not None and (not 1 <= len(key) <= MAX_KEY or "\x00" in key):
        raise ValidationFailed.single("idempotencyKey", f"1 to {MAX_KEY} characters", "format")
    return key


async def mutate(info: Info[Any, Any], key: str | None,
                 action: Callable[[KehuContext, Context, str | None], Awaitable[T]]
                 ) -> T | MutationErrors:
    """Run `action(api context, command context, checked key)`; refusals become types."""
    ctx = ctx_of(info)
    command_ctx = ctx.command_context()  # unauthenticated: a GraphQL error, not a result

    async def run() -> T:
        return await action(ctx, command_ctx, checked_key(key))

    return await attempt(run)


def ok_fields(done: AppendResult | Outcome[Any]) -> dict[str, Any]:
    """The fields every ok result has: the log position to read at, and whether it replayed."""
    result = done.result if isinstance(done, Outcome) else done
    return {"position": result.last_position, "replayed": result.replayed}
