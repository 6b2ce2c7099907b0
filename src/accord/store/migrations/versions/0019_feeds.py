"""Federation feeds: the TAXII 2.1 collections an organisation subscribes to (with the
sealed token and the cursor committed with each page), and the origin of every record a
pull wrote (feed, remote STIX id, remote ``modified``; see docs/federation.md).

The tables are written out here, frozen, rather than taken from ``schema.py``.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("collection", sa.String(128), nullable=False),
        sa.Column("org_id", sa.String(128), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("user_email", sa.String(320), nullable=False),
        sa.Column("token_sealed", sa.Text, nullable=True),
        sa.Column("added_after", sa.String(40), nullable=True),
        sa.Column("next_page", sa.Text, nullable=True),
        sa.Column("high_water", sa.String(40), nullable=True),
        _at("created_at"),
        _at("last_pull_at", nullable=True),
    )
    op.create_table(
        "feed_origins",
        sa.Column("record_id", sa.String(128), sa.ForeignKey("records.id"), primary_key=True),
        sa.Column("feed", sa.String(64), nullable=False),
        sa.Column("org_id", sa.String(128), nullable=False),
        sa.Column("remote_id", sa.String(300), nullable=False),
        sa.Column("remote_modified", sa.String(40), nullable=False),
        _at("local_updated_at"),
        _at("pulled_at"),
    )
    op.create_index(
        "ux_feed_origins_org_remote", "feed_origins", ["org_id", "remote_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_feed_origins_org_remote", table_name="feed_origins")
    op.drop_table("feed_origins")
    op.drop_table("feeds")
