"""Notifications over GraphQL: a person's own reminders (events/reminders), as a cursor page,
live as a subscription, and marked read. Nobody sees another person's notifications: every
query, subscription and mutation here reads or writes the caller's own only."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from typing import Annotated, Any, TypeAlias

import asyncpg
import strawberry
from strawberry.types import Info

from events.people.values import same_person
from events.reminders import texts
from events.reminders.commands import MarkNotificationsRead
from events.reminders.events import ReminderSent
from events.reminders.handlers import mark_read
from events.reminders.model import notification_id
from events.reminders.values import Deadline
from events.shared.context import Context
from projections.notifications import queries
from projections.paging import cursor_values
from schema.audit.log import follow_log
from schema.common import Connection, MutationOk, connection
from schema.context import KehuContext, ctx_of
from schema.errors import MutationErrors
from schema.i18n.locale import current
from schema.mutations import IdempotencyKey, mutate, ok_fields
from schema.positions import LOG_START, Position

strawberry.enum(Deadline, description="Which deadline a reminder is about.")


@strawberry.type(description="A reminder of a deadline sent to you (rule book: docs/rules.md).")
class Notification:
    id: strawberry.ID = strawberry.field(description="The notification's id.")
    rule: str = strawberry.field(description="The rule-book ID the reminder is about (M11...).")
    kind: str = strawberry.field(description="The reminder policy's rule (paperwork-before, "
                                 "commitment-overdue, ...).")
    deadline: Deadline = strawberry.field(description="Which deadline it is about.")
    subject_kind: str = strawberry.field(description="meal, commitment or bill.")
    subject_id: str = strawberry.field(description="The meal id, visit/commitment id, or "
                                       "restaurant key/month the reminder is about.")
    label: str = strawberry.field(description="What the reminder names (organisation, "
                                  "commitment, restaurant and month).")
    due_on: date | None = strawberry.field(description="The deadline's day, when it has one.")
    reminder_day: date = strawberry.field(description="The company day of this reminder.")
    text: str = strawberry.field(description="The reminder in the request's language.")
    sent_at: datetime = strawberry.field(description="When the reminder was sent.")
    read: bool = strawberry.field(description="True once you marked it read.")
    position: Position = strawberry.field(description="The log position of the reminder.")


def _language() -> str:
    return texts.language_of(current().replace("_", "-"))


def from_row(r: asyncpg.Record) -> Notification:
    return Notification(
        id=strawberry.ID(r["notification_id"]), rule=r["rule"], kind=r["policy_key"],
        deadline=Deadline(r["deadline"]), subject_kind=r["subject_kind"],
        subject_id=r["subject_id"], label=r["label"], due_on=r["due_on"],
        reminder_day=r["reminder_day"],
        text=texts.message(r["policy_key"], r["rule"], r["label"], r["due_on"], _language()),
        sent_at=r["sent_at"], read=r["read_at"] is not None,
        position=Position(r["position"]))


def from_event(e: ReminderSent, user_id: str, position: int) -> Notification:
    return Notification(
        id=strawberry.ID(notification_id(e.reminder_id, user_id)), rule=e.rule,
        kind=e.policy_key, deadline=e.deadline, subject_kind=e.subject_kind,
        subject_id=e.subject_id, label=e.label, due_on=e.due_on, reminder_day=e.reminder_day,
        text=texts.message_of(e, _language()), sent_at=e.sent_at, read=False,
        position=Position(position))


@strawberry.type
class NotificationsReadOk(MutationOk):
    pass


MarkNotificationsReadResult: TypeAlias = Annotated[
    NotificationsReadOk | MutationErrors, strawberry.union("MarkNotificationsReadResult")]


@strawberry.input(description="Which of your notifications to mark read: ids, or every one "
                  "up to a log position, or both.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Notification ids (at most 100).")
    up_to: int | None = strawberry.field(
        default=None, description="Every notification at or before this log position.")


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="Your own notifications, newest first, as cursor pages.")
    async def notifications(self, info: Info[Any, Any], unread: bool | None = None,
                            first: int | None = None, after: str | None = None,
                            at_least: Position | None = None) -> Connection[Notification]:
        ctx = ctx_of(info)
        actor = ctx.require_actor()
        limit = ctx.page_size(first)
        await ctx.read_after(at_least)
        cursor = cursor_values(after, int)
        rows, total = await queries.page(ctx.pool, actor.user_id, unread=unread,
                                         after=cursor[0] if cursor else None, limit=limit + 1)
        return connection(rows, limit, total, node=from_row,  # type: ignore[no-any-return]
                          key=lambda r: (r["position"],))


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Mark your own notifications read.")
    async def mark_notifications_read(
        self, info: Info[Any, Any], input: MarkNotificationsReadInput,
        idempotency_key: IdempotencyKey = None,
    ) -> MarkNotificationsReadResult:
        async def action(ctx: KehuContext, command_ctx: Context,
                         key: str | None) -> NotificationsReadOk:
            command = MarkNotificationsRead(tuple(str(i) for i in input.ids), input.up_to)
            outcome = await mark_read(ctx.store, command_ctx, command, idempotency_key=key)
            return NotificationsReadOk(**ok_fields(outcome))

        return await mutate(info, idempotency_key, action)


@strawberry.type
class NotificationSubscriptions:
    @strawberry.subscription(description="Your own new notifications, live: catch up after a "
                             "log position, then each reminder as it is sent.")
    async def notifications(self, info: Info[Any, Any], after: Position = LOG_START,
                            ) -> AsyncGenerator[Notification, None]:
        ctx = ctx_of(info)
        user_id = ctx.require_actor().user_id
        async for stored in follow_log(info, after, ["ReminderSent"]):
            event = stored.event
            if isinstance(event, ReminderSent):
                mine = [r for r in event.recipients if same_person(r, user_id)]
                if mine:
                    yield from_event(event, mine[0], stored.position)


QUERIES: list[type] = [NotificationQueries]
MUTATIONS: list[type] = [NotificationMutations]
SUBSCRIPTIONS: list[type] = [NotificationSubscriptions]
