"""Feed schedules and pull leases: how often ``accord serve`` pulls a feed in the background,
when it last tried and the last error, and the lease a running pull holds so that a second
pull of the same feed refuses to start (docs/federation.md, "Pulling in the background" and
"One pull at a time").

The columns are written out here, frozen, rather than taken from ``schema.py``.

Revision ID: 0025
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0023"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("every_seconds", sa.Integer),
    ("last_tried_at", sa.DateTime(timezone=True)),
    ("last_error", sa.Text),
    ("last_error_at", sa.DateTime(timezone=True)),
    ("lease_owner", sa.String(200)),
    ("lease_until", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("feeds") as table:
        for name, kind in _COLUMNS:
            table.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as table:
        for name, _ in reversed(_COLUMNS):
            table.drop_column(name)
