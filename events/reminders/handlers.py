"""Reminders through the one command runner: a reminder is appended once, on its own stream."""

from __future__ import annotations

from events.handling import Decision, Outcome, Stream, execute, run
from events.reminders import model
from events.reminders.commands import MarkNotificationsRead
from events.reminders.events import ReminderSent
from events.reminders.schedule import stream_of
from events.shared.context import Context
from events.store.envelope import Event
from events.store.event_store import EventStore


def _sent(state: bool | None, event: Event) -> bool:
    return bool(state) or isinstance(event, ReminderSent)


def _read(state: int | None, event: Event) -> int:
    return (state or 0) + 1


async def send_reminder(store: EventStore, ctx: Context, reminder: ReminderSent) -> bool:
    """Append the reminder unless its stream already holds it; True when this call wrote it.

    Two processes deciding the same reminder race on expected version 0: the loser's runner
    decides again, finds the reminder there and writes nothing.
    """
    stream: Stream[bool] = Stream(stream_of(reminder.reminder_id),
                                          model.REMINDER_STREAM_TYPE, _sent)

    async def decide(state: bool | None) -> Decision:
        return Decision([] if state else [reminder])

    outcome = await run(store, ctx, stream, reminder.reminder_id, decide)
    return bool(outcome.decision and outcome.decision.events and outcome.result.last_position)


async def mark_read(store: EventStore, ctx: Context, command: MarkNotificationsRead, *,
                    idempotency_key: str | None = None) -> Outcome[int]:
    stream: Stream[int] = Stream(model.notifications_stream(ctx.actor.user_id),
                                 model.STREAM_TYPE, _read)
    return await execute(store, ctx, stream, command,
                         lambda _state: model.decide_read(command, ctx),
                         idempotency_key=idempotency_key)
