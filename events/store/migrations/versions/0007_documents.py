"""Documents (receipts and invoices): content-addressed bytes in the sealed schema.

`kehu_log.documents` holds each distinct file once, keyed by its SHA-256; events name the
document by that hash, so the hash chain vouches for the exact bytes. A CHECK makes the key
the SHA-256 of the content (and the size its length), so no row can hold other bytes than its
name says; the append-only triggers refuse UPDATE, DELETE and TRUNCATE for everyone, and the
server's role may only SELECT and INSERT.

Revision ID: 0007_documents
Revises: 0005
"""

from alembic import op

revision = "0007_documents"
down_revision = "0005"
branch_labels = None
depends_on = None

APP_ROLE = "kehu_app"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE kehu_log.documents (
            sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
            size integer NOT NULL CHECK (size > 0),
            media_type text NOT NULL CHECK (media_type IN
                ('image/jpeg', 'image/png', 'application/pdf', 'application/ofd')),
            content bytea NOT NULL,
            uploaded_by text NOT NULL,
            uploaded_at timestamptz NOT NULL DEFAULT now(),
            CHECK (size = octet_length(content)),
            CHECK (sha256 = encode(sha256(content), 'hex'))
        )
    """)
    # The per-user upload budget sums a user's recent uploads.
    op.execute("CREATE INDEX documents_uploader ON kehu_log.documents (uploaded_by, uploaded_at)")
    op.execute("""
        CREATE TRIGGER documents_append_only BEFORE UPDATE OR DELETE ON kehu_log.documents
        FOR EACH ROW EXECUTE FUNCTION kehu_log.kehu_refuse_event_change()
    """)
    op.execute("""
        CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON kehu_log.documents
        FOR EACH STATEMENT EXECUTE FUNCTION kehu_log.kehu_refuse_event_change()
    """)
    op.execute(f"""
    DO $$
    BEGIN
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            GRANT SELECT, INSERT ON kehu_log.documents TO {APP_ROLE};
        END IF;
    END $$;
    """)


def downgrade() -> None:
    op.execute("DROP TABLE kehu_log.documents")
