"""Corrections back to an origin: durable TAXII status resources (one row per object posted),
correction proposals waiting for the record owner's reviewers, and, on a subscriber, the
corrections it sent with the origin's status id (docs/federation.md, "Corrections").

The tables are written out here, frozen, rather than taken from the live schema.

Revision ID: 0026
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "taxii_statuses",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False),
        _at("requested_at"),
    )
    op.create_table(
        "taxii_status_objects",
        sa.Column("status_id", sa.String(36), sa.ForeignKey("taxii_statuses.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("object_id", sa.String(300), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("proposal_id", sa.String(36), nullable=True),
    )
    op.create_table(
        "correction_proposals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("record_id", sa.String(128), sa.ForeignKey("records.id"), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("object_id", sa.String(300), nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.String(64), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("proposer_org", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        _at("created_at"),
        sa.Column("decided_by", sa.String(64), nullable=True),
        _at("decided_at", nullable=True),
    )
    op.create_index(
        "ix_correction_proposals_owner_state", "correction_proposals", ["owner", "state"]
    )
    op.create_table(
        "feed_corrections",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("feed", sa.String(64), nullable=False),
        sa.Column("org_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("record_id", sa.String(128), sa.ForeignKey("records.id"), nullable=False),
        sa.Column("remote_id", sa.String(300), nullable=False),
        sa.Column("status_url", sa.String(2300), nullable=False),
        sa.Column("status_id", sa.String(300), nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        _at("created_at"),
        _at("refreshed_at"),
    )
    op.create_index("ix_feed_corrections_org", "feed_corrections", ["org_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_feed_corrections_org", table_name="feed_corrections")
    op.drop_table("feed_corrections")
    op.drop_index("ix_correction_proposals_owner_state", table_name="correction_proposals")
    op.drop_table("correction_proposals")
    op.drop_table("taxii_status_objects")
    op.drop_table("taxii_statuses")
