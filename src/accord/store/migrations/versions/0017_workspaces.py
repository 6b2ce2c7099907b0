"""Coordination workspaces: an owner's draft joint attribution under one embargo, its
statement revisions, the invited organisations with their positions and named users, and
each transition (see :mod:`accord.workspaces` and docs/coordination.md).

The tables are written out here, frozen, rather than taken from ``schema.py``.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(128), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("incident", sa.String(128), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("marking", sa.String(16), nullable=False),
        _at("embargo_end"),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("created_at"),
        sa.Column("created_by", sa.String(64), nullable=True),
        _at("published_at", nullable=True),
    )
    op.create_index("ix_workspaces_owner", "workspaces", ["owner"])
    op.create_table(
        "workspace_statements",
        sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id"), primary_key=True),
        sa.Column("revision", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("accused", sa.String(128), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        _at("embargo_end"),
        sa.Column("content_hash", sa.String(64), nullable=False),
        _at("created_at"),
        sa.Column("created_by", sa.String(64), nullable=True),
    )
    op.create_table(
        "workspace_participants",
        sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id"), primary_key=True),
        sa.Column("org_id", sa.String(128), sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("state", sa.String(24), nullable=False),
        _at("deadline", nullable=True),
        _at("invited_at"),
        sa.Column("invited_by", sa.String(64), nullable=True),
        _at("embargo_accepted_at", nullable=True),
        sa.Column("position_revision", sa.Integer, nullable=True),
        sa.Column("wording", sa.Text, nullable=True),
        sa.Column("stance", sa.String(32), nullable=True),
        sa.Column("level", sa.String(16), nullable=True),
        sa.Column("claim_kind", sa.String(32), nullable=True),
        sa.Column("confidence_words", sa.String(500), nullable=True),
        sa.Column("source_url", sa.String(2000), nullable=True),
        _at("changed_at"),
        sa.Column("changed_by", sa.String(64), nullable=True),
        sa.Column("changed_by_role", sa.String(32), nullable=True),
        sa.Column("claim_id", sa.String(128), nullable=True),
    )
    op.create_index("ix_workspace_participants_org", "workspace_participants", ["org_id"])
    op.create_table(
        "workspace_members",
        sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id"), primary_key=True),
        sa.Column("org_id", sa.String(128), sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id"), primary_key=True),
    )
    op.create_index("ix_workspace_members_user", "workspace_members", ["user_id"])
    op.create_table(
        "workspace_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id"), nullable=False),
        _at("at"),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("org_id", sa.String(128), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=True),
        sa.Column("to_state", sa.String(24), nullable=True),
        sa.Column("revision", sa.Integer, nullable=True),
    )
    op.create_index("ix_workspace_events_workspace", "workspace_events", ["workspace_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_workspace_events_workspace", table_name="workspace_events")
    op.drop_table("workspace_events")
    op.drop_index("ix_workspace_members_user", table_name="workspace_members")
    op.drop_table("workspace_members")
    op.drop_index("ix_workspace_participants_org", table_name="workspace_participants")
    op.drop_table("workspace_participants")
    op.drop_table("workspace_statements")
    op.drop_index("ix_workspaces_owner", table_name="workspaces")
    op.drop_table("workspaces")
