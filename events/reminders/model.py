"""Pure decisions of reminders: marking one's own notifications read."""

from __future__ import annotations

import hashlib

from events.people.values import person_key
from events.reminders.commands import MAX_IDS, MarkNotificationsRead
from events.reminders.events import NotificationsMarkedRead
from events.shared.context import Context
from events.shared.errors import ValidationFailed
from events.shared.validation import MAX_ID
from events.store.envelope import Event

STREAM_TYPE = "notifications"
REMINDER_STREAM_TYPE = "reminder"


def notifications_stream(user_id: str) -> str:
    return "notifications-" + hashlib.sha256(person_key(user_id).encode()).hexdigest()[:24]


def notification_id(reminder_id: str, user_id: str) -> str:
    """One notification per reminder and recipient; stable, so a rebuild keeps the ids."""
    return hashlib.sha256(f"{reminder_id}|{person_key(user_id)}".encode()).hexdigest()[:32]


def decide_read(command: MarkNotificationsRead, ctx: Context) -> list[Event]:
    """Anyone signed in marks only their own notifications (the event names the actor)."""
    ids = tuple(dict.fromkeys(i.strip() for i in command.notification_ids))
    if not ids and command.up_to_position is None:
        raise ValidationFailed.single("ids", "give notification ids or upTo")
    if len(ids) > MAX_IDS:
        raise ValidationFailed.single("ids", f"at most {MAX_IDS} ids at once")
    if any(not i or len(i) > MAX_ID for i in ids):
        raise ValidationFailed.single("ids", f"ids have 1 to {MAX_ID} characters")
    if command.up_to_position is not None and command.up_to_position < 1:
        raise ValidationFailed.single("upTo", "a log position is at least 1")
    return [NotificationsMarkedRead(ctx.actor.user_id, ids, command.up_to_position, ctx.now)]
