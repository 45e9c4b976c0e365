"""Data keys for crypto-shredding, outside the sealed log (schema kehu_keys).

`data_keys` holds one AES-256 key per data subject (a customer), wrapped (AES-KW) by the
master key, which the database never sees. Erasing a subject deletes its rows here: the log
keeps the ciphertext, and nobody can read it again. `destroyed_keys` is the insert-only record
of every key destroyed (ids, subject, when; never key material), so a key table restored from a
backup can have its erasures re-applied (`kehu reapply-erasures`, also done at start).
`master_check` holds one key check value, so a wrong master key fails at start.

Revision ID: 0006_privacy
Revises: 0005
"""

from alembic import op

revision = "0006_privacy"
down_revision = "0005"
branch_labels = None
depends_on = None

APP_ROLE = "kehu_app"


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS kehu_keys")
    op.execute("""
        CREATE TABLE kehu_keys.data_keys (
            key_id uuid PRIMARY KEY,
            subject text NOT NULL,
            wrapped bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    # One live key per subject: appends racing to create it agree on the winner.
    op.execute("CREATE UNIQUE INDEX data_keys_subject ON kehu_keys.data_keys (subject)")
    op.execute("""
        CREATE TABLE kehu_keys.destroyed_keys (
            key_id uuid PRIMARY KEY,
            subject text NOT NULL,
            destroyed_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    op.execute("""
        CREATE TABLE kehu_keys.master_check (
            id smallint PRIMARY KEY CHECK (id = 1),
            check_value bytea NOT NULL,
            changed_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    # The record of destroyed keys only grows (the log's own refusal function).
    op.execute("""
        CREATE TRIGGER destroyed_keys_insert_only
        BEFORE UPDATE OR DELETE ON kehu_keys.destroyed_keys
        FOR EACH ROW EXECUTE FUNCTION kehu_log.kehu_refuse_event_change()
    """)
    op.execute("""
        CREATE TRIGGER destroyed_keys_no_truncate BEFORE TRUNCATE ON kehu_keys.destroyed_keys
        FOR EACH STATEMENT EXECUTE FUNCTION kehu_log.kehu_refuse_event_change()
    """)
    op.execute(f"""
    DO $$
    BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            GRANT USAGE ON SCHEMA kehu_keys TO {APP_ROLE};
            GRANT SELECT, INSERT, UPDATE, DELETE ON kehu_keys.data_keys TO {APP_ROLE};
            GRANT SELECT, INSERT ON kehu_keys.destroyed_keys TO {APP_ROLE};
            GRANT SELECT, INSERT, UPDATE ON kehu_keys.master_check TO {APP_ROLE};
        END IF;
    END $$;
    """)


def downgrade() -> None:
    op.execute("DROP SCHEMA kehu_keys CASCADE")
