"""An index for feeds ordered by when the current revision was written (TAXII paging).

TAXII pages are ordered by ``updated_at`` then ``id``; without this index every page sorted the
whole collection, so paging slowed down as the database grew.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_records_updated_id", "records", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_records_updated_id", table_name="records")
