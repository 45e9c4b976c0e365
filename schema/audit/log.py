"""The audit log over GraphQL: page it, read a stream, verify it, subscribe to it."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, cast

import msgspec
import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from events.integration.public import api_role, event_id, public_data
from events.shared import metrics
from events.shared.actors import Role
from events.store.envelope import StoredEvent
from events.store.follow import follow
from events.store.sealing import trusted_keys
from events.store.witness import check_against_witness, parse_witness
from schema.audit.event_data import event_data, event_data_union
from schema.audit.verification import verify_for_request
from schema.context import BadInput, Services, ctx_of, require_reader
from schema.positions import FIRST_EVENT, LOG_START, Position, maybe_position

# Who may read the whole log: the people who supervise, audit or integrate.
LOG_READERS = (Role.MANAGER, Role.GENERAL_MANAGER, Role.AUDITOR, Role.INTEGRATION)
SUBSCRIPTION_BATCH = 500
if TYPE_CHECKING:
    EventData: TypeAlias = Any
else:
    EventData = event_data_union()  # generated from the event classes
MAX_PAGE_SIZE = 5000


@strawberry.type(description="One event of the append-only log, with who, when and why.")
class LoggedEvent:
    id: str = strawberry.field(description="The event's id, `<streamId>:<version>`: the same in "
                               "webhooks (webhook-id) and NATS (Nats-Msg-Id).")
    position: Position
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
    recorded_at: datetime = strawberry.field(description="With the company's offset.")
    hash: str = strawberry.field(description="SHA-256 chain hash, hex.")
    stored: strawberry.Private[StoredEvent]
    timezone: strawberry.Private[tzinfo]

    @strawberry.field(description="The event's data, typed: one GraphQL type per event type "
                      "(`... on MealSettled { mealId amount }`), in the API's shape (camelCase, "
                      "money as decimal strings, enum values, times with the company offset). "
                      "docs/integrations.md lists each event type's fields.")
    def data(self) -> EventData:
        return event_data(self.stored, self.timezone)

    @strawberry.field(description="The same data as one JSON object, exactly as webhooks and "
                      "NATS deliver it; `payload` is the stored form.")
    def data_json(self) -> JSON:
        return cast(JSON, public_data(self.stored, self.timezone))

    @strawberry.field(description="The personal fields of this event that read as erased "
                      "(their subject's key was destroyed by erasePersonalData; dotted paths "
                      "of the stored payload, `*` for every item of a list). Empty otherwise. "
                      "docs/privacy.md.")
    def erased_fields(self) -> list[str]:
        return self.stored.erased_fields

    @classmethod
    def from_stored(cls, e: StoredEvent, timezone: tzinfo) -> LoggedEvent:
        m = e.metadata
        return cls(
            id=event_id(e), stored=e, timezone=timezone, position=Position(e.position),
            stream_id=e.stream_id, stream_type=e.stream_type,
            version=e.version, type=e.event_type, schema_version=e.schema_version,
            payload=cast(JSON, e.payload), actor_id=m.actor_id, actor_name=m.actor_name,
            actor_role=api_role(m.actor_role), correlation_id=m.correlation_id,
            causation_id=m.causation_id, policy_version=m.policy_version,
            recorded_at=e.recorded_at.astimezone(timezone), hash=e.hash.hex(),
        )


@strawberry.type
class AuditLogReport:
    ok: bool
    checked: int
    first_position: Position | None
    last_position: Position | None
    bad_position: Position | None = strawberry.field(
        description="The first event found altered, removed or reordered."
    )
    reason: str | None
    checkpoint: Position | None = strawberry.field(
        default=None, description="The witnessed checkpoint the log contradicts (`witness`).")
    witnessed: int | None = strawberry.field(
        default=None, description="Witnessed checkpoints the log still matches.")


@strawberry.type
class LogQueries:
    @strawberry.field(description="Page the global log by position (cursor = last position).")
    async def events(
        self,
        info: Info[Any, Any],
        after: Position = LOG_START,
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
        return [LoggedEvent.from_stored(e, ctx.settings.timezone) for e in found]

    @strawberry.field(description="Every event of one stream, in version order.")
    async def stream(self, info: Info[Any, Any], id: strawberry.ID) -> list[LoggedEvent]:
        require_reader(info, *LOG_READERS)
        ctx = ctx_of(info)
        stored = await ctx.store.read_stream(str(id))
        return [LoggedEvent.from_stored(e, ctx.settings.timezone) for e in stored]

    @strawberry.field(description="Check the hash chain; names the first bad event.")
    async def verify_audit_log(
        self,
        info: Info[Any, Any],
        from_position: Annotated[Position, strawberry.argument(name="from")] = FIRST_EVENT,
        to_position: Annotated[Position | None, strawberry.argument(name="to")] = None,
        witness: Annotated[str | None, strawberry.argument(
            description="A witness file's content (JSON lines of signed checkpoints): the log "
                        "must still match each one.")] = None,
    ) -> AuditLogReport:
        require_reader(info, *LOG_READERS)
        ctx = ctx_of(info)
        r = await verify_for_request(ctx, from_position, to_position)
        report = AuditLogReport(ok=r.ok, checked=r.checked,
                                first_position=maybe_position(r.first_position),
                                last_position=maybe_position(r.last_position),
                                bad_position=maybe_position(r.bad_position),
                                reason=r.reason)
        metrics.record_verification(r.ok, r.checked)
        if r.ok and witness is not None:
            return await _against_witness(ctx.services, report, witness)
        return report


async def _against_witness(services: Services, report: AuditLogReport,
                           witness: str) -> AuditLogReport:
    try:
        witnessed = parse_witness(witness)
    except (ValueError, KeyError) as exc:
        raise BadInput(f"witness is not a witness file: {exc}", field="witness") from exc
    w = await check_against_witness(services.pool, witnessed, trusted_keys(services.settings.seal))
    report.witnessed = w.checkpoints
    if not w.ok:
        report.ok, report.reason = False, w.reason
        report.checkpoint = maybe_position(w.checkpoint)
        report.bad_position = maybe_position(w.first_position)
    return report


async def follow_log(
    info: Info[Any, Any], after: int, types: list[str] | None
) -> AsyncGenerator[StoredEvent, None]:
    """Catch up from storage, then go live: every event after `after`, once, in order.

    Every subscription of the process follows the same shared pages (events/store/follow.py,
    events/store/reader.py): the database work per event does not grow with subscribers.
    """
    services = ctx_of(info).services
    async for page in follow(services.pool, services.notifier, after, types=types,
                             page=SUBSCRIPTION_BATCH):
        for event in page:
            yield event


def page_json(e: StoredEvent) -> dict[str, Any]:
    """One event of an `eventPages` message: LoggedEvent's fields, under the same names.
    The payload goes out as the JSON text it was read as (schema/response_json.py writes it
    as is), never decoded and encoded again: catch-up runs at the speed of the log."""
    m = e.metadata
    return {
        "position": e.position, "streamId": e.stream_id, "streamType": e.stream_type,
        "version": e.version, "type": e.event_type, "schemaVersion": e.schema_version,
        "payload": msgspec.Raw(e.raw_payload), "actorId": m.actor_id, "actorName": m.actor_name,
        "actorRole": api_role(m.actor_role), "correlationId": m.correlation_id,
        "causationId": m.causation_id, "policyVersion": m.policy_version,
        "recordedAt": e.recorded_at.isoformat(), "hash": e.hash.hex(),
    }


@strawberry.type(description="A page of the log in one message (catch-up at the log's speed).")
class EventPage:
    first: Position = strawberry.field(description="Position of the page's first event.")
    last: Position = strawberry.field(description="Position of the page's last event: the cursor.")
    count: int
    events: JSON = strawberry.field(
        description="The events, oldest first, each an object with LoggedEvent's fields"
                    " (position, streamId, ..., recordedAt, hash).")


@strawberry.type
class LogSubscriptions:
    @strawberry.subscription(description="Events after a position, catching up then live.")
    async def events(
        self, info: Info[Any, Any], after: Position = LOG_START,
        types: list[str] | None = None,
    ) -> AsyncGenerator[LoggedEvent, None]:
        require_reader(info, *LOG_READERS)
        timezone = ctx_of(info).settings.timezone
        async for event in follow_log(info, after, types):
            yield LoggedEvent.from_stored(event, timezone)

    @strawberry.subscription(description="Events after a position, a page per message: catch"
                                         " up, then live. Never an empty page.")
    async def event_pages(
        self, info: Info[Any, Any], after: Position = LOG_START,
        types: list[str] | None = None, page_size: int = SUBSCRIPTION_BATCH,
    ) -> AsyncGenerator[EventPage, None]:
        require_reader(info, *LOG_READERS)
        size = max(1, min(page_size, MAX_PAGE_SIZE))
        services = ctx_of(info).services
        async for page in follow(services.pool, services.notifier, after, types=types,
                                 page=size):
            yield EventPage(first=Position(page[0].position), last=Position(page[-1].position),
                            count=len(page),
                            events=cast(JSON, [page_json(e) for e in page]))
