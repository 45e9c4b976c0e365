"""Reminders: the email outbox, its cursor on the log, and the reminder worker's last checks.

Delivery state, like webhook_deliveries: the reminders themselves are events (ReminderSent on
stream reminder-<hash>); these rows only say which of their emails went out.

Revision ID: 0008_reminders
Revises: 0005
"""

from alembic import op

revision = "0008_reminders"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per reminder and recipient (email_id), written by the ingester once; status:
    # pending -> sending (claimed, lease until claimed_until) -> sent, or failed (retried at
    # next_attempt_at) and at last given_up; no_address / stale rows are never sent.
    op.execute("""
        CREATE TABLE reminder_emails (
            email_id text PRIMARY KEY,
            reminder_id text NOT NULL,
            position bigint NOT NULL,
            user_id text NOT NULL,
            address text,
            language text,
            subject text NOT NULL,
            body text NOT NULL,
            status text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed',
                                                   'given_up', 'no_address', 'stale')),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            claimed_until timestamptz,
            last_error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            sent_at timestamptz
        )
    """)
    op.execute("CREATE INDEX reminder_emails_due ON reminder_emails (next_attempt_at)"
               " WHERE status IN ('pending', 'failed', 'sending')")
    op.execute("""
        CREATE TABLE reminder_email_cursor (
            one boolean PRIMARY KEY DEFAULT true CHECK (one),
            last_position bigint NOT NULL
        )
    """)
    op.execute("INSERT INTO reminder_email_cursor (last_position) VALUES (0)")
    op.execute("""
        CREATE TABLE reminder_checks (
            process text PRIMARY KEY,
            clock_now timestamptz NOT NULL,
            checked_at timestamptz NOT NULL,
            written bigint NOT NULL
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE reminder_checks, reminder_email_cursor, reminder_emails")
