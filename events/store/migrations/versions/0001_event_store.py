"""The event store: events, head, command log, projection checkpoints.

Revision ID: 0001
Revises:
"""

from alembic import op

from events.store.migrations.tables import command_log, event_head, events, projection_checkpoints

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in (events, event_head, command_log, projection_checkpoints):
        table.create(bind)
    op.create_index("events_type_position", "events", ["event_type", "position"])
    op.create_index("events_stream_type_position", "events", ["stream_type", "position"])
    op.create_index("events_recorded_at", "events", ["recorded_at"])
    op.execute("ALTER TABLE event_head ADD CONSTRAINT event_head_singleton CHECK (singleton)")
    op.execute("INSERT INTO event_head (singleton, position, hash) VALUES (true, 0, '\\x"
               + "00" * 32 + "')")
    # Append-only, enforced by the database itself: no role that goes through these triggers
    # can edit history; only a superuser disabling them can, and the hash chain then tells.
    op.execute("""
        CREATE FUNCTION kehu_refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'events are append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION kehu_refuse_event_change()
    """)
    op.execute("""
        CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION kehu_refuse_event_change()
    """)


def downgrade() -> None:
    op.execute("DROP TABLE projection_checkpoints, command_log, event_head, events")
    op.execute("DROP FUNCTION kehu_refuse_event_change()")
