"""Integrations: the NATS relay's acknowledged position, and webhook secret rotation.

relay_positions holds, per relay, the last log position the broker acknowledged; a relay that
restarts (or a standby that takes over) resumes after it. A webhook being rotated keeps its
previous secret until previous_secret_until, and deliveries are signed by both meanwhile.

Revision ID: 0004_integrations
Revises: 0002
"""

from alembic import op

revision = "0004_integrations"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE relay_positions (
            relay text PRIMARY KEY,
            position bigint NOT NULL CHECK (position >= 0),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    op.execute("ALTER TABLE webhooks ADD COLUMN previous_secret text,"
               " ADD COLUMN previous_secret_until timestamptz")
    # Deliveries are signed the Standard Webhooks way with keys written `whsec_<base64>`. An
    # older secret keeps its key (its bytes) and is only written the new way: its receiver
    # verifies with `whsec_` + base64(old secret), or rotates.
    op.execute("UPDATE webhooks SET secret = 'whsec_' || translate(encode(convert_to(secret,"
               " 'UTF8'), 'base64'), E'\\n', '') WHERE secret NOT LIKE 'whsec\\_%'")
    # The app role's default privileges (0003) cover new tables only when 0003 ran first; grant
    # explicitly so either order works, and quietly where the role does not exist.
    op.execute("""
    DO $$
    BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'kehu_app') THEN
            GRANT SELECT, INSERT, UPDATE ON relay_positions TO kehu_app;
        END IF;
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'kehu: cannot grant on relay_positions';
    END $$;
    """)


def downgrade() -> None:
    op.execute("ALTER TABLE webhooks DROP COLUMN previous_secret,"
               " DROP COLUMN previous_secret_until")
    op.execute("DROP TABLE relay_positions")
