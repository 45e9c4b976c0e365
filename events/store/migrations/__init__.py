"""Versioned schema changes of the event store (Alembic). Read models are owned by projections."""
