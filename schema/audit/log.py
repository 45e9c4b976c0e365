"""The audit log over GraphQL: page it, read a stream, verify it, subscribe to it."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from events.shared import metrics
from events.shared.actors import Role
from events.store.envelope import StoredEvent
from events.store.follow import follow
from events.store.verify import verify_chain
from schema.context import ctx_of, require_reader

# Who may read the whole log: the people who supervise, audit or integrate.
LOG_READERS = (Role.MANAGER, Role.GENERAL_MANAGER, Role.AUDITOR, Role.INTEGRATION)


@strawberry.type(description="One event of the append-only log, with who, when and why.")
class LoggedEvent:
    position: int
    stream_id: str
    stream_type: str
    version: int
    type: str
    schema_version: int
    payload: JSON
    actor_id: str
    actor_name: str
    actor_role: str
    correlation_id: str
    causation_id: str | None
    policy_version: int | None = strawberry.field(
        description="The rule-book version the decision was made under (M15)."
    )
    recorded_at: datetime
    hash: str = strawberry.field(description="SHA-256 chain hash, hex.")

    @classmethod
    def from_stored(cls, e: StoredEvent) -> LoggedEvent:
        m = e.metadata
        return cls(
            position=e.position, stream_id=e.stream_id, stream_type=e.stream_type,
            version=e.version, type=e.event_type, schema_version=e.schema_version,
            payload=cast(JSON, e.payload), actor_id=m.actor_id, actor_name=m.actor_name,
            actor_role=m.actor_role, correlation_id=m.correlation_id,
            causation_id=m.causation_id, policy_version=m.policy_version,
            recorded_at=e.recorded_at, hash=e.hash.hex(),
        )


@strawberry.type
class AuditLogReport:
    ok: bool
    checked: int
    first_position: int | None
    last_position: int | None
    bad_position: int | None = strawberry.field(
        description="The first event found altered, removed or reordered."
    )
    reason: str | None


@strawberry.type
class LogQueries:
    @strawberry.field(description="Page the global log by position (cursor = last position).")
    async def events(
        self,
        info: Info[Any, Any],
        after: int = 0,
        first: int | None = None,
        types: list[str] | None = None,
        stream_type: str | None = None,
        actor: str | None = None,
        from_time: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to_time: Annotated[datetime | None, strawberry.argument(name="to")] = None,
    ) -> list[LoggedEvent]:
        require_reader(info, *LOG_READERS)
        ctx = ctx_of(info)
        found = await ctx.store.read_all(
            after, ctx.page_size(first), types, stream_type=stream_type, actor_id=actor,
            recorded_from=from_time, recorded_to=to_time,
        )
        return [LoggedEvent.from_stored(e) for e in found]

    @strawberry.field(description="Every event of one stream, in version order.")
    async def stream(self, info: Info[Any, Any], id: strawberry.ID) -> list[LoggedEvent]:
        require_reader(info, *LOG_READERS)
        return [LoggedEvent.from_stored(e) for e in await ctx_of(info).store.read_stream(str(id))]

    @strawberry.field(description="Check the hash chain; names the first bad event.")
    async def verify_audit_log(
        self,
        info: Info[Any, Any],
        from_position: Annotated[int, strawberry.argument(name="from")] = 1,
        to_position: Annotated[int | None, strawberry.argument(name="to")] = None,
    ) -> AuditLogReport:
        require_reader(info, *LOG_READERS)
        r = await verify_chain(ctx_of(info).pool, from_position=from_position,
                               to_position=to_position)
        metrics.record_verification(r.ok, r.checked)
        return AuditLogReport(ok=r.ok, checked=r.checked, first_position=r.first_position,
                              last_position=r.last_position, bad_position=r.bad_position,
                              reason=r.reason)


async def follow_log(
    info: Info[Any, Any], after: int, types: list[str] | None
) -> AsyncGenerator[StoredEvent, None]:
    """Catch up from storage, then go live: every event after `after`, once, in order."""
    services = ctx_of(info).services
    async for page in follow(services.pool, services.notifier, after, types=types):
        for event in page:
            yield event


@strawberry.type
class LogSubscriptions:
    @strawberry.subscription(description="Events after a position, catching up then live.")
    async def events(
        self, info: Info[Any, Any], after: int = 0, types: list[str] | None = None
    ) -> AsyncGenerator[LoggedEvent, None]:
        require_reader(info, *LOG_READERS)
        async for event in follow_log(info, after, types):
            yield LoggedEvent.from_stored(event)
