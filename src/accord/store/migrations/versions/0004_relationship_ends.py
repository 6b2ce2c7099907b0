"""``records.ends``: how open the ends of a relationship record are, so reads can skip the
per-row check of every end when all ends are public.

``CLEAR``: every record it points to (two levels deep) is published CLEAR; ``GREEN``: each is
published CLEAR or GREEN; ``COMPLEX``: anything else (the exact check runs). Entities have no
hard ends and stay ``CLEAR``. Kept current by :func:`accord.store.ends.refresh`.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.store.ends import refresh_all

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "records", sa.Column("ends", sa.String(8), nullable=False, server_default="CLEAR")
    )
    refresh_all(op.get_bind())


def downgrade() -> None:
    op.drop_column("records", "ends")
