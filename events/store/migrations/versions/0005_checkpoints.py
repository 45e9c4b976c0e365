"""Signed checkpoints and the Merkle tree's stored subtrees, in the sealed schema.

Both are append-only (the triggers of 0001): a checkpoint, once signed and handed to witnesses,
is never edited. The server's role may read and add rows; a forged row cannot carry a valid
signature, and a wrong subtree hash only yields proofs the auditor's verifier rejects.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APP_ROLE = "kehu_app"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE kehu_log.checkpoints (
            position bigint PRIMARY KEY,
            tree_size bigint NOT NULL CHECK (tree_size = position),
            head bytea NOT NULL,
            root bytea NOT NULL,
            signed_at timestamptz NOT NULL,
            key_id text NOT NULL,
            signature bytea NOT NULL
        )
    """)
    # Perfect subtrees of 2^level leaves from level 6 up (events/store/merkle.py): ~N/32 rows,
    # and a proof reads at most 64 event hashes beside them.
    op.execute("""
        CREATE TABLE kehu_log.merkle_nodes (
            level smallint NOT NULL,
            index bigint NOT NULL,
            hash bytea NOT NULL,
            PRIMARY KEY (level, index)
        )
    """)
    for table in ("checkpoints", "merkle_nodes"):
        op.execute(f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON kehu_log.{table}
            FOR EACH ROW EXECUTE FUNCTION kehu_log.kehu_refuse_event_change()
        """)
        op.execute(f"""
            CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON kehu_log.{table}
            FOR EACH STATEMENT EXECUTE FUNCTION kehu_log.kehu_refuse_event_change()
        """)
    op.execute(f"""
    DO $$
    BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            GRANT SELECT, INSERT ON kehu_log.checkpoints, kehu_log.merkle_nodes TO {APP_ROLE};
        END IF;
    END $$;
    """)


def downgrade() -> None:
    op.execute("DROP TABLE kehu_log.checkpoints, kehu_log.merkle_nodes")
