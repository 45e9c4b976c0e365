"""The typed context every resolver gets: the services the lifespan owns, and the caller."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from graphql import GraphQLError
from strawberry.types import Info

from events.shared.actors import Actor
from events.shared.context import Context
from events.store.event_store import EventStore
from events.store.notifications import Notifier
from schema import clock
from schema.auth import AuthError
from schema.catch_up import BeyondHead, CatchUpGate
from schema.logs import REQUEST_ID
from schema.settings import Settings


@dataclass
class Services:
    settings: Settings
    dsn: str
    pool: asyncpg.Pool
    store: EventStore
    notifier: Notifier
    projection_names: list[str] = field(default_factory=list)
    catch_up: CatchUpGate | None = None  # made on first use (schema/catch_up.py)
    live: Any = None  # the live-query registry, made on first use (schema/live/registry.py)


class ApiError(GraphQLError):
    """An expected error of a query, shown to the caller with a machine-readable code."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None):
        extensions: dict[str, Any] = {"code": self.code}
        if rule:
            extensions["rule"] = rule
        if field:
            extensions["field"] = field
        super().__init__(message, extensions=extensions)


class NotAuthenticated(ApiError):
    code = "UNAUTHENTICATED"


class NotAllowed(ApiError):
    code = "FORBIDDEN"


class BadInput(ApiError):
    code = "BAD_USER_INPUT"


class ReadNotCaughtUp(ApiError):
    """atLeast was not reached within the read-your-writes timeout."""

    code = "NOT_CAUGHT_UP"


@dataclass
class KehuContext:
    services: Services
    actor: Actor | None
    auth_error: AuthError | None = None
    # The HTTP request's id (X-Request-ID or a new one), so logs and events share it.
    request_id: str = field(default_factory=lambda: REQUEST_ID.get() or uuid.uuid4().hex[:16])
    connection_params: dict[str, Any] | None = None  # set by strawberry on WebSocket init
    subscriptions: int = 0
    # WebSocket only: when its token expires, and the task that closes it then (ws_session.py).
    token_expires_at: float | None = None
    expiry_task: asyncio.Task[None] | None = None
    # Read-your-writes, once per request (read_after).
    _read_up_to: int = 0
    _read_failed_at: int | None = None
    _read_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Work the fields of one request share (one verifyAuditLog whatever its aliases).
    per_request: dict[Any, Any] = field(default_factory=dict)

    @property
    def store(self) -> EventStore:
        return self.services.store

    @property
    def pool(self) -> asyncpg.Pool:
        return self.services.pool

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def require_actor(self) -> Actor:
        if self.actor is None:
            reason = str(self.auth_error) if self.auth_error else "not authenticated"
            raise NotAuthenticated(reason)
        return self.actor

    def command_context(self) -> Context:
        """The decision context for a command: who acts, now, and the request as correlation."""
        return Context(
            actor=self.require_actor(),
            now=clock.now(self.settings.clock_file),
            tz=self.settings.timezone,
            correlation_id=self.request_id,
        )

    def visible_owner(self) -> str | None:
        """Staff see their own visits and meal requests (None: the caller sees everyone's)."""
        actor = self.require_actor()
        if actor.role == "staff" and not self.settings.staff_see_all:
            return actor.user_id
        return None

    def page_size(self, first: int | None) -> int:
        limit = self.settings.max_page_size
        if first is None:
            return limit
        if first < 0 or first > limit:
            raise BadInput(f"first must be between 0 and {limit}", field="first")
        return first

    async def read_after(self, at_least: int | None) -> None:
        """Read-your-writes: wait (bounded) until the projections include `at_least`. Once per
        request: fields of one request share one wait (and one refusal), and no wait holds a
        pool connection; a position beyond the log's head is refused at once."""
        if at_least is None or at_least <= self._read_up_to:
            return
        async with self._read_lock:
            if at_least <= self._read_up_to:
                return
            if self._read_failed_at is not None and at_least >= self._read_failed_at:
                raise ReadNotCaughtUp(f"projections have not reached position {at_least} yet")
            services = self.services
            if services.catch_up is None:
                services.catch_up = CatchUpGate(self.pool, services.projection_names)
            try:
                ok = await services.catch_up.wait(at_least,
                                                  self.settings.read_your_writes_timeout_s)
            except BeyondHead as exc:
                self._read_failed_at = at_least
                raise BadInput(f"atLeast {at_least} is beyond the log's head ({exc.head})",
                               field="atLeast") from None
            if not ok:
                self._read_failed_at = at_least
                raise ReadNotCaughtUp(f"projections have not reached position {at_least} yet")
            self._read_up_to = at_least


def ctx_of(info: Info[Any, Any]) -> KehuContext:
    context = info.context
    assert isinstance(context, KehuContext)
    return context


def actor_of(info: Info[Any, Any]) -> Actor:
    return ctx_of(info).require_actor()


def require_reader(info: Info[Any, Any], *roles: str) -> Actor:
    actor = actor_of(info)
    if roles and actor.role not in roles:
        raise NotAllowed(f"role {actor.role.value} may not read this", rule="roles")
    return actor
