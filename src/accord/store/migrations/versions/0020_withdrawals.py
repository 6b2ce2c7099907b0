"""Withdrawals: when, by whom and why a record was withdrawn (its row stays, with status
'withdrawn', and so do its revisions), and a partial index on the withdrawn records'
(updated_at, id) for the tombstones a TAXII page serves as revoked objects (see
docs/withdrawals.md).

The table is written out here, frozen, rather than taken from ``schema.py``.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "withdrawals",
        sa.Column("record_id", sa.String(128), sa.ForeignKey("records.id"), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_by", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
    )
    withdrawn = sa.text("status = 'withdrawn'")
    op.create_index(
        "ix_records_withdrawn_updated",
        "records",
        ["updated_at", "id"],
        unique=False,
        sqlite_where=withdrawn,
        postgresql_where=withdrawn,
    )


def downgrade() -> None:
    # Going down would turn every tombstone back into a record no rule hides: refuse while
    # any record is withdrawn.
    bind = op.get_bind()
    count = bind.execute(sa.text("SELECT COUNT(*) FROM records WHERE status = 'withdrawn'"))
    if count.scalar_one():
        raise RuntimeError(
            "records are withdrawn: migration 0020 cannot be undone without exposing them"
        )
    op.drop_index("ix_records_withdrawn_updated", table_name="records")
    op.drop_table("withdrawals")
