"""For auditors: a stream's history, aggregates replayed as of a time, and settlements live.

As-of queries fold the aggregate's own events recorded up to `at` with the same pure evolve()
the write side decides with, so they show exactly what a decision-maker saw then: the state,
the rule-book findings and the rule-book version, whatever happened (or changed) later.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from events.bills.model import RestaurantBillSettled
from events.customers import model as customers
from events.integration.public import public_value
from events.meals import model as meals
from events.meals.events import MealSettled
from events.shared.validation import MAX_STREAM_ID
from events.store.envelope import Event, StoredEvent
from events.visits import model as visits
from schema.audit.checkpoints import CheckpointQueries, CheckpointSubscriptions
from schema.audit.log import LOG_READERS, LoggedEvent, follow_log
from schema.audit.streams import entity_stream, resolve_stream
from schema.context import BadInput, ctx_of, require_reader
from schema.positions import LOG_START, Position

SETTLEMENT_TYPES = [MealSettled.type_name(), RestaurantBillSettled.type_name()]


@strawberry.type(description="An aggregate rebuilt from its events recorded up to `at`.")
class AsOfState:
    id: strawberry.ID
    stream_id: str
    at: datetime
    status: str | None
    version: int = strawberry.field(description="The stream version at `at`.")
    event_count: int
    last_recorded_at: datetime
    last_event_type: str
    policy_version: int | None = strawberry.field(
        description="The rule-book version of the last decision up to `at` (M15)."
    )
    findings: JSON | None = strawberry.field(
        description="Rule-book findings the state carries (meals: at request and at cost)."
    )
    state: JSON


def _check_id(value: str, field: str) -> None:
    # PostgreSQL text cannot hold NUL: refuse it as bad input rather than fail in the driver.
    if len(value) > MAX_STREAM_ID or "\x00" in value:
        raise BadInput(f"{field} is at most {MAX_STREAM_ID} characters, without NUL", field=field)


def _replay(stored: list[StoredEvent], evolve: Callable[[Any, Event], Any]) -> Any:
    state: Any = None
    for item in stored:
        event = item.event
        if event is not None:  # a type this build does not know is history, not state
            state = evolve(state, event)
    return state


def _policy_version(stored: list[StoredEvent], state: Any) -> int | None:
    for item in reversed(stored):
        if item.metadata.policy_version is not None:
            return item.metadata.policy_version
    version = getattr(state, "policy_version", None)
    return version if isinstance(version, int) else None


def _meal_findings(state: meals.MealState) -> Any:
    return {"atRequest": state.findings, "atCost": state.cost_findings}


async def _as_of(
    info: Info[Any, Any], given_id: str, at: datetime, *, stream_id: Callable[[str], str],
    evolve: Callable[[Any, Event], Any], findings: Callable[[Any], Any] | None = None,
) -> AsOfState | None:
    require_reader(info, *LOG_READERS)
    _check_id(given_id, "id")
    if at.tzinfo is None:
        raise BadInput("at needs a time zone (e.g. 2024-06-03T10:00:00+08:00)", field="at")
    ctx = ctx_of(info)
    tz = ctx.settings.timezone
    # The stream id (meal-<id>) or the entity id (<id>): the same convention as history.
    entity, sid = await entity_stream(ctx.pool, given_id, stream_id)
    stored = await ctx.store.read_stream(sid, until=at)
    state = _replay(stored, evolve)
    if state is None:
        return None  # it did not exist yet at `at`
    status = getattr(state, "status", None)
    last = stored[-1]
    return AsOfState(
        id=strawberry.ID(entity), stream_id=sid, at=at.astimezone(tz),
        status=None if status is None else str(status.name), version=last.version,
        event_count=len(stored), last_recorded_at=last.recorded_at.astimezone(tz),
        last_event_type=last.event_type, policy_version=_policy_version(stored, state),
        findings=cast(JSON, public_value(findings(state), tz)) if findings else None,
        state=cast(JSON, public_value(state, tz)),
    )


@strawberry.type
class AuditQueries:
    @strawberry.field(description="A stream's events with who, when, why and the rule-book "
                      "version, oldest first; `upTo` stops at a time. `streamId` is a stream id "
                      "(meal-<id>) or an entity's id (<id>).")
    async def history(
        self, info: Info[Any, Any], stream_id: strawberry.ID, up_to: datetime | None = None
    ) -> list[LoggedEvent]:
        require_reader(info, *LOG_READERS)
        _check_id(str(stream_id), "streamId")
        ctx = ctx_of(info)
        sid = await resolve_stream(ctx.pool, str(stream_id))
        stored = await ctx.store.read_stream(sid, until=up_to)
        return [LoggedEvent.from_stored(e, ctx.settings.timezone) for e in stored]

    @strawberry.field(description="A meal request as it stood at `at` (null: not yet requested).")
    async def meal_request_as_of(
        self, info: Info[Any, Any], id: strawberry.ID, at: datetime
    ) -> AsOfState | None:
        return await _as_of(info, str(id), at, stream_id=meals.stream_id, evolve=meals.evolve,
                            findings=_meal_findings)

    @strawberry.field(description="A visit as it stood at `at` (null: not yet planned/logged).")
    async def visit_as_of(
        self, info: Info[Any, Any], id: strawberry.ID, at: datetime
    ) -> AsOfState | None:
        return await _as_of(info, str(id), at, stream_id=visits.stream_id, evolve=visits.evolve)

    @strawberry.field(description="A customer as it stood at `at` (null: not yet registered).")
    async def customer_as_of(
        self, info: Info[Any, Any], id: strawberry.ID, at: datetime
    ) -> AsOfState | None:
        return await _as_of(info, str(id), at, stream_id=customers.stream_id,
                            evolve=customers.evolve)


@strawberry.type
class AuditSubscriptions:
    @strawberry.subscription(description="MealSettled and RestaurantBillSettled events after a "
                             "position, catching up then live; resume with the last position.")
    async def settlements(
        self, info: Info[Any, Any], after: Position = LOG_START,
    ) -> AsyncGenerator[LoggedEvent, None]:
        require_reader(info, *LOG_READERS)
        timezone = ctx_of(info).settings.timezone
        async for event in follow_log(info, after, SETTLEMENT_TYPES):
            yield LoggedEvent.from_stored(event, timezone)


QUERIES = [AuditQueries, CheckpointQueries]
MUTATIONS: list[type] = []
SUBSCRIPTIONS = [AuditSubscriptions, CheckpointSubscriptions]
