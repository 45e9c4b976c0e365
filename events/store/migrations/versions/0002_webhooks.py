"""Webhooks: registrations (with their signing secret) and per-webhook delivery state.

The registration itself is also an event (WebhookRegistered on stream webhook-<id>), so the audit
log shows who subscribed what; the secret lives only here, never in the log.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE webhooks (
            id text PRIMARY KEY,
            url text NOT NULL,
            event_types text[] NOT NULL CHECK (cardinality(event_types) > 0),
            description text NOT NULL DEFAULT '',
            secret text NOT NULL,
            active boolean NOT NULL DEFAULT true,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            deactivated_at timestamptz
        )
    """)
    # One row per webhook, written only by the deliverer holding the webhook's advisory lock.
    # last_position is the cursor that makes delivery survive restarts: everything matching up
    # to it was acknowledged by the receiver (2xx); the next delivery starts after it.
    op.execute("""
        CREATE TABLE webhook_deliveries (
            webhook_id text PRIMARY KEY REFERENCES webhooks (id),
            last_position bigint NOT NULL,
            delivered bigint NOT NULL DEFAULT 0,
            attempts bigint NOT NULL DEFAULT 0,
            consecutive_failures integer NOT NULL DEFAULT 0,
            last_error text,
            last_attempt_at timestamptz,
            last_delivered_at timestamptz
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE webhook_deliveries, webhooks")
