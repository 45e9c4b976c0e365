"""The server's own database role: it may read and append events, never edit them.

Migrations run as the owner of the tables; the running server switches to `kehu_app`, which
may INSERT and SELECT events but has no UPDATE, DELETE or TRUNCATE on them and, not being the
owner, cannot disable the append-only triggers either. So a bug or an injected statement in
the server cannot rewrite history, even before the triggers and the hash chain would tell.

On a server where the migrating user may not create roles (some hosted PostgreSQL plans), the
role is skipped with a notice and the server keeps connecting as that user.

Revision ID: 0003
Revises: 0001
"""

from alembic import op

revision = "0003"
down_revision = "0001"  # a branch of its own: it grants on whatever tables exist or come later
branch_labels = None
depends_on = None

APP_ROLE = "kehu_app"


def upgrade() -> None:
    op.execute(f"""
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} NOLOGIN;
        END IF;
        -- Lets the migrating user SET ROLE to it (a superuser may anyway).
        EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
        -- Read models are the server's own: it creates, rebuilds and swaps their tables,
        -- and builds a rebuild in a side schema.
        EXECUTE format('GRANT CREATE ON DATABASE %I TO {APP_ROLE}', current_database());
        GRANT USAGE, CREATE ON SCHEMA public TO {APP_ROLE};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public
            GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE};
        -- History is append-only for the server: read and append, nothing else.
        REVOKE UPDATE, DELETE, TRUNCATE ON events FROM {APP_ROLE};
        REVOKE UPDATE, DELETE, TRUNCATE ON command_log FROM {APP_ROLE};
        REVOKE DELETE, TRUNCATE ON event_head FROM {APP_ROLE};
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'kehu: cannot create or grant role {APP_ROLE}; the server will use the '
                     'migrating user';
    END $$;
    """)


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
