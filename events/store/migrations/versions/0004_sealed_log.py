"""The sealed log: its own schema, a hash chain PostgreSQL checks on every insert, and a role
that can only append.

Before this, `kehu_app` could create a schema of its own named after itself, copy the log into
it and re-chain a rewritten copy (the default search path put that copy first), and could move
`event_head` back to hide the newest events. Now:
- the log (events, event_head, command_log, checkpoints, Merkle nodes) lives in schema
  `kehu_log`, owned by the migrating user, and the store names it in full (kehu_log.events);
- `kehu_app` has no CREATE on the database (no schemas) nor in `kehu_log`, no TEMP, and a
  pinned search path; it keeps CREATE in `public` for the read models, which are derived data
  the store never reads (rebuild side schemas come from a function below);
- every insert into events is checked by triggers owned by the migrating user: each row brings
  the canonical JSON its hash was computed from (`record`, checked and then dropped, never
  stored) and the hash it chains from (`prev_hash`, stored); PostgreSQL refuses the row unless
  hash = SHA-256(prev_hash || record), the record holds exactly the row's columns, prev_hash is
  the hash of the event before it (or the head's), positions continue the head without a gap
  and each stream's versions continue; the statement trigger alone moves the head. All of it is
  C-level expressions and one pass over the statement's rows, so the append stays cheap
  (recomputing the canonical JSON in SQL cost ~0.3 ms an event; see docs/audit.md);
- `kehu_app` may not UPDATE event_head's position or hash (only `singleton`, which its CHECK
  pins to true, so SELECT ... FOR UPDATE still takes the append lock).

Revision ID: 0004
Revises: 0002, 0003
"""

from alembic import op

revision = "0004"
down_revision = ("0002", "0003")
branch_labels = None
depends_on = None

APP_ROLE = "kehu_app"
LOG_TABLES = ("events", "event_head", "command_log")
SEP = "\n---\n"

CHECK_ROW = r"""
CREATE FUNCTION kehu_log.check_appended_row() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.record IS NULL OR NEW.prev_hash IS NULL THEN
        RAISE EXCEPTION 'kehu: event % comes without the record its hash covers', NEW.position
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.hash IS DISTINCT FROM sha256(NEW.prev_hash || convert_to(NEW.record, 'UTF8')) THEN
        RAISE EXCEPTION 'kehu: event % breaks the hash chain', NEW.position
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- jsonb equality: the same keys and values, whatever the spacing and key order.
    IF NEW.record::jsonb IS DISTINCT FROM jsonb_build_object(
            'position', NEW.position, 'stream_id', NEW.stream_id,
            'stream_type', NEW.stream_type, 'version', NEW.version, 'type', NEW.event_type,
            'schema_version', NEW.schema_version, 'payload', NEW.payload,
            'metadata', NEW.metadata,
            'recorded_at', to_char(NEW.recorded_at AT TIME ZONE 'UTC',
                                   'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')) THEN
        RAISE EXCEPTION 'kehu: event % breaks the hash chain: its hash covers other content',
            NEW.position USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    NEW.record := NULL;  -- checked; the row itself is what is kept
    RETURN NEW;
END $$;
---
CREATE TRIGGER events_checked BEFORE INSERT ON kehu_log.events
    FOR EACH ROW EXECUTE FUNCTION kehu_log.check_appended_row();
"""

SEAL = r"""
CREATE FUNCTION kehu_log.seal_appended() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    head_position bigint;
    head_hash bytea;
    appended_count bigint;
    first_position bigint;
    last_position bigint;
BEGIN
    -- The append lock; the store's appender already holds it, anyone else waits here.
    SELECT position, hash INTO head_position, head_hash FROM kehu_log.event_head FOR UPDATE;
    SELECT count(*), min(position), max(position) INTO appended_count, first_position,
           last_position FROM appended;
    IF appended_count = 0 THEN
        RETURN NULL;
    END IF;
    IF first_position <> head_position + 1
            OR last_position <> head_position + appended_count THEN
        RAISE EXCEPTION 'kehu: events %..% do not follow the log head %', first_position,
            last_position, head_position USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- Each row chains from the one before it; the first from the head.
    -- (A window, not a self-join: a transition table has no index, and imports append 20,000
    -- rows in one statement.)
    PERFORM 1 FROM (SELECT prev_hash, lag(hash) OVER (ORDER BY position) AS before
                    FROM appended) a
    WHERE a.prev_hash IS DISTINCT FROM coalesce(a.before, head_hash);
    IF FOUND THEN
        RAISE EXCEPTION 'kehu: an appended event does not chain from the event before it'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- Versions continue per stream: each appended event's predecessor is in the log.
    PERFORM 1 FROM appended a WHERE a.version < 1 OR (a.version > 1 AND NOT EXISTS (
        SELECT 1 FROM kehu_log.events p WHERE p.stream_id = a.stream_id
                                           AND p.version = a.version - 1));
    IF FOUND THEN
        RAISE EXCEPTION 'kehu: a stream version does not follow its stream''s last version'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    UPDATE kehu_log.event_head
    SET position = last_position,
        hash = (SELECT hash FROM appended WHERE position = last_position);
    RETURN NULL;
END $$;
---
CREATE TRIGGER events_sealed AFTER INSERT ON kehu_log.events
    REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION kehu_log.seal_appended();
---
-- Only the seal trigger moves the head (trigger depth 2: seal_appended, then this).
CREATE FUNCTION kehu_log.refuse_head_move() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'kehu: the log head moves only by appending events'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
---
CREATE TRIGGER event_head_moves_only_by_append BEFORE UPDATE OR DELETE ON kehu_log.event_head
    FOR EACH ROW EXECUTE FUNCTION kehu_log.refuse_head_move();
---
CREATE TRIGGER event_head_no_truncate BEFORE TRUNCATE ON kehu_log.event_head
    FOR EACH STATEMENT EXECUTE FUNCTION kehu_log.refuse_head_move();
"""

# A projection rebuild replays into a side schema and swaps the tables in; kehu_app may not
# create schemas, so this function (owned by the migrating user) makes and drops them, and
# only under the rebuild prefix.
REBUILD_SCHEMAS = r"""
CREATE FUNCTION kehu_log.reset_rebuild_schema(name text, keep boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF name !~ '^kehu_rebuild_[a-z0-9_]+$' THEN
        RAISE EXCEPTION 'kehu: % is not a rebuild schema', name
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', name);
    IF keep THEN
        EXECUTE format('CREATE SCHEMA %I', name);
        EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO kehu_app', name);
    END IF;
END $$;
"""


def _add_chain_columns() -> None:
    op.execute("ALTER TABLE kehu_log.events ADD COLUMN prev_hash bytea, ADD COLUMN record text,"
               " ADD CONSTRAINT events_record_not_kept CHECK (record IS NULL)")
    # The existing log gets its links; history is otherwise untouched.
    op.execute("ALTER TABLE kehu_log.events DISABLE TRIGGER events_no_update_delete")
    op.execute("""
        UPDATE kehu_log.events e SET prev_hash = coalesce(
            (SELECT p.hash FROM kehu_log.events p WHERE p.position = e.position - 1),
            '\\x""" + "00" * 32 + """'::bytea)
    """)
    op.execute("ALTER TABLE kehu_log.events ENABLE TRIGGER events_no_update_delete")
    op.execute("ALTER TABLE kehu_log.events ALTER COLUMN prev_hash SET NOT NULL")


def upgrade() -> None:
    op.execute("CREATE SCHEMA kehu_log")
    op.execute("REVOKE ALL ON SCHEMA kehu_log FROM PUBLIC")
    for table in LOG_TABLES:
        op.execute(f"ALTER TABLE public.{table} SET SCHEMA kehu_log")
    op.execute("ALTER FUNCTION public.kehu_refuse_event_change() SET SCHEMA kehu_log")
    op.execute("ALTER FUNCTION kehu_log.kehu_refuse_event_change()"
               " SET search_path = pg_catalog, pg_temp")
    op.execute("""
        CREATE TRIGGER command_log_no_update_delete BEFORE UPDATE OR DELETE ON kehu_log.command_log
        FOR EACH ROW EXECUTE FUNCTION kehu_log.kehu_refuse_event_change()
    """)
    _add_chain_columns()
    for statement in [*CHECK_ROW.split(SEP), *SEAL.split(SEP)]:  # one command per execute
        op.execute(statement)
    op.execute(REBUILD_SCHEMAS)
    op.execute(f"""
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            RETURN;
        END IF;
        EXECUTE format('REVOKE CREATE, TEMPORARY ON DATABASE %I FROM {APP_ROLE}, PUBLIC',
                       current_database());
        GRANT USAGE ON SCHEMA kehu_log TO {APP_ROLE};
        REVOKE ALL ON ALL TABLES IN SCHEMA kehu_log FROM {APP_ROLE};
        GRANT SELECT, INSERT ON kehu_log.events, kehu_log.command_log TO {APP_ROLE};
        GRANT SELECT, UPDATE (singleton) ON kehu_log.event_head TO {APP_ROLE};
        GRANT EXECUTE ON FUNCTION kehu_log.reset_rebuild_schema(text, boolean) TO {APP_ROLE};
        REVOKE EXECUTE ON FUNCTION kehu_log.reset_rebuild_schema(text, boolean) FROM PUBLIC;
        ALTER ROLE {APP_ROLE} SET search_path = public;
    END $$;
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION kehu_log.reset_rebuild_schema(text, boolean)")
    op.execute("DROP TRIGGER events_sealed ON kehu_log.events")
    op.execute("DROP TRIGGER command_log_no_update_delete ON kehu_log.command_log")
    op.execute("DROP TRIGGER event_head_moves_only_by_append ON kehu_log.event_head")
    op.execute("DROP TRIGGER event_head_no_truncate ON kehu_log.event_head")
    op.execute("DROP TRIGGER events_checked ON kehu_log.events")
    op.execute("DROP FUNCTION kehu_log.seal_appended(), kehu_log.refuse_head_move(),"
               " kehu_log.check_appended_row()")
    op.execute("ALTER TABLE kehu_log.events DROP COLUMN prev_hash, DROP COLUMN record")
    for table in LOG_TABLES:
        op.execute(f"ALTER TABLE kehu_log.{table} SET SCHEMA public")
    op.execute("ALTER FUNCTION kehu_log.kehu_refuse_event_change() SET SCHEMA public")
    op.execute("DROP SCHEMA kehu_log")
