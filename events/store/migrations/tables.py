"""The event store's tables in SQLAlchemy Core: the source of truth for migrations."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

events = Table(
    "events",
    metadata,
    # Assigned under the event_head lock, so it is gap-free and commit-ordered.
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("stream_id", Text, nullable=False),
    Column("stream_type", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("metadata", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("hash", LargeBinary, nullable=False),
    # Optimistic concurrency: two writers of the same stream version cannot both commit.
    UniqueConstraint("stream_id", "version", name="events_stream_version_key"),
)

event_head = Table(
    "event_head",
    metadata,
    Column("singleton", Boolean, primary_key=True, server_default=text("true")),
    Column("position", BigInteger, nullable=False),
    Column("hash", LargeBinary, nullable=False),
)

command_log = Table(
    "command_log",
    metadata,
    Column("actor_id", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("result", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

projection_checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("name", Text, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("rebuild_requested", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)
