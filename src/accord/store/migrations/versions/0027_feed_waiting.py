"""Objects a pull could not place yet (they point to a record that has not arrived): kept with
the page that brought them and tried again with every later page (docs/federation.md,
"Objects that arrive before what they point to").

The table is written out here, frozen, rather than taken from ``schema.py``.

Revision ID: 0027
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_waiting",
        sa.Column("feed", sa.String(64), primary_key=True),
        sa.Column("remote_id", sa.String(300), primary_key=True),
        sa.Column("object", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feed_waiting")
