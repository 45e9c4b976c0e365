"""Notifications: each reminder (events/reminders) as one row per recipient, read or not.

Read state comes from the log too (NotificationsMarkedRead), so a rebuild keeps it.
"""

from __future__ import annotations

import asyncpg

from events.people.values import person_key
from events.reminders.events import NotificationsMarkedRead, ReminderSent
from events.reminders.model import notification_id
from events.store.envelope import StoredEvent
from projections.base import Projection

DDL = (
    """CREATE TABLE notifications (
        notification_id text PRIMARY KEY,   -- reminder id and recipient, hashed
        recipient_key text NOT NULL,        -- person_key of the recipient
        user_id text NOT NULL,
        reminder_id text NOT NULL,
        rule text NOT NULL,
        policy_key text NOT NULL,
        deadline text NOT NULL,
        subject_kind text NOT NULL,
        subject_id text NOT NULL,
        label text NOT NULL,
        due_on date,
        reminder_day date NOT NULL,
        sent_at timestamptz NOT NULL,
        read_at timestamptz,
        position bigint NOT NULL
    )""",
    "CREATE INDEX notifications_by_recipient ON notifications (recipient_key, position)",
)


async def handle(conn: asyncpg.Connection, stored: StoredEvent) -> None:
    e = stored.event
    if isinstance(e, ReminderSent):
        for user_id in dict.fromkeys(e.recipients):
            await conn.execute(
                "INSERT INTO notifications (notification_id, recipient_key, user_id,"
                " reminder_id, rule, policy_key, deadline, subject_kind, subject_id, label,"
                " due_on, reminder_day, sent_at, position)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                " ON CONFLICT (notification_id) DO NOTHING",
                notification_id(e.reminder_id, user_id), person_key(user_id), user_id,
                e.reminder_id, e.rule, e.policy_key, e.deadline.value, e.subject_kind,
                e.subject_id, e.label, e.due_on, e.reminder_day, e.sent_at, stored.position,
            )
    elif isinstance(e, NotificationsMarkedRead):
        # Only the marking person's own rows: the recipient key is the event's user.
        await conn.execute(
            "UPDATE notifications SET read_at = $4 WHERE recipient_key = $1 AND read_at IS NULL"
            " AND (notification_id = ANY($2::text[]) OR position <= $3)",
            person_key(e.user_id), list(e.notification_ids), e.up_to_position or 0, e.read_at,
        )


PROJECTIONS = [
    Projection(
        name="notifications", version=1, tables=("notifications",), ddl=DDL, handle=handle,
        event_types=frozenset({"ReminderSent", "NotificationsMarkedRead"}),
    )
]
