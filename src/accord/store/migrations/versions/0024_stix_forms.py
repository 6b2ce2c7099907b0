"""The stored STIX form of each record's current revision (``accord.store.stix_forms``).

TAXII pages serve the form written with a revision instead of converting the record for each
reader. The existing revisions get no form here (a migration does not run the STIX mapping):
a record without a form for its current revision is converted when it is read, as before, and
gets one the next time it is written.

Revision ID: 0024
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stix_forms",
        sa.Column("record_id", sa.String(128), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("stix_id", sa.String(200), nullable=False),
        sa.Column("stix_type", sa.String(64), nullable=False),
        sa.Column("form", sa.LargeBinary, nullable=True),
        sa.Column("deps", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("stix_forms")
