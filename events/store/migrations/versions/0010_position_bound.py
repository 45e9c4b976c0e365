"""Log positions stay within 2^53 - 1, so the API's `Position` scalar is exact everywhere.

GraphQL clients (JavaScript dashboards first) read a JSON number exactly only up to 2^53 - 1.
The API writes positions as JSON numbers (schema/positions.py); this bound, enforced where
positions are made, means no position it will ever write can be misread. At a million events a
second it is reached after 285 years. NOT VALID: existing rows cannot be beyond it, and
checking them would read the whole log under a lock.

Revision ID: 0010_position_bound
Revises: 0005
"""

from alembic import op

revision = "0010_position_bound"
down_revision = "0005"
branch_labels = None
depends_on = None

MAX_POSITION = 2**53 - 1


def upgrade() -> None:
    op.execute(f"""
        ALTER TABLE kehu_log.events ADD CONSTRAINT events_position_json_exact
            CHECK (position <= {MAX_POSITION}) NOT VALID
    """)


def downgrade() -> None:
    op.execute("ALTER TABLE kehu_log.events DROP CONSTRAINT events_position_json_exact")
