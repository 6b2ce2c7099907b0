"""Coordination workspaces, continued: evidence, discussion threads and who read them, visits,
the workspace's and each organisation's settings (who else is invited, an opted-in position,
an early end of the embargo and its confirmations), notification subscriptions, webhooks, the
digest outbox and the reminders sent (see docs/coordination.md).

The tables are written out here, frozen, rather than taken from ``schema.py``.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _ws(primary: bool = False) -> sa.Column[object]:
    if primary:
        return sa.Column(
            "workspace_id", sa.String(64), sa.ForeignKey("workspaces.id"), primary_key=True
        )
    return sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "workspace_evidence",
        sa.Column("id", sa.String(64), primary_key=True),
        _ws(),
        sa.Column("org_id", sa.String(128), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("marking", sa.String(16), nullable=False),
        sa.Column("shared_with", sa.Text, nullable=True),
        _at("created_at"),
        sa.Column("created_by", sa.String(64), nullable=True),
    )
    op.create_index("ix_workspace_evidence_workspace", "workspace_evidence", ["workspace_id"])
    op.create_table(
        "workspace_threads",
        sa.Column("id", sa.String(64), primary_key=True),
        _ws(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("official", sa.Boolean, nullable=False),
        sa.Column("created_org", sa.String(128), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        _at("created_at"),
    )
    op.create_index("ix_workspace_threads_workspace", "workspace_threads", ["workspace_id"])
    op.create_table(
        "workspace_thread_orgs",
        sa.Column(
            "thread_id", sa.String(64), sa.ForeignKey("workspace_threads.id"), primary_key=True
        ),
        sa.Column("org_id", sa.String(128), primary_key=True),
    )
    op.create_table(
        "workspace_comments",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "thread_id", sa.String(64), sa.ForeignKey("workspace_threads.id"), nullable=False
        ),
        _ws(),
        sa.Column("org_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        _at("created_at"),
    )
    op.create_index("ix_workspace_comments_thread", "workspace_comments", ["thread_id", "seq"])
    op.create_index("ix_workspace_comments_workspace", "workspace_comments", ["workspace_id"])
    op.create_table(
        "workspace_seen",
        sa.Column(
            "thread_id", sa.String(64), sa.ForeignKey("workspace_threads.id"), primary_key=True
        ),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("seen_seq", sa.Integer, nullable=False),
        _at("seen_at"),
    )
    op.create_table(
        "workspace_visits",
        _ws(primary=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("org_id", sa.String(128), nullable=False),
        _at("first_at"),
        _at("last_at"),
    )
    op.create_table(
        "workspace_options",
        _ws(primary=True),
        sa.Column("show_invitees", sa.Boolean, nullable=False),
        sa.Column("early_reason", sa.Text, nullable=True),
        _at("early_at", nullable=True),
        sa.Column("early_by", sa.String(64), nullable=True),
        _at("confirm_by", nullable=True),
    )
    op.create_table(
        "workspace_org_options",
        _ws(primary=True),
        sa.Column("org_id", sa.String(128), primary_key=True),
        sa.Column("show_position", sa.Boolean, nullable=False),
        sa.Column("early_answer", sa.String(16), nullable=True),
        _at("early_answer_at", nullable=True),
        sa.Column("early_answer_by", sa.String(64), nullable=True),
    )
    op.create_table(
        "workspace_subscriptions",
        _ws(primary=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
    )
    op.create_table(
        "workspace_webhooks",
        _ws(primary=True),
        sa.Column("org_id", sa.String(128), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(256), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        _at("created_at"),
    )
    op.create_table(
        "workspace_outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        _ws(),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _at("created_at"),
        _at("sent_at", nullable=True),
    )
    op.create_index("ix_workspace_outbox_user", "workspace_outbox", ["user_id", "sent_at"])
    op.create_table(
        "workspace_reminders",
        _ws(primary=True),
        sa.Column("kind", sa.String(24), primary_key=True),
        sa.Column("org_id", sa.String(128), primary_key=True),
        _at("at"),
    )


def downgrade() -> None:
    op.drop_table("workspace_reminders")
    op.drop_index("ix_workspace_outbox_user", table_name="workspace_outbox")
    op.drop_table("workspace_outbox")
    op.drop_table("workspace_webhooks")
    op.drop_table("workspace_subscriptions")
    op.drop_table("workspace_org_options")
    op.drop_table("workspace_options")
    op.drop_table("workspace_visits")
    op.drop_table("workspace_seen")
    op.drop_index("ix_workspace_comments_workspace", table_name="workspace_comments")
    op.drop_index("ix_workspace_comments_thread", table_name="workspace_comments")
    op.drop_table("workspace_comments")
    op.drop_table("workspace_thread_orgs")
    op.drop_index("ix_workspace_threads_workspace", table_name="workspace_threads")
    op.drop_table("workspace_threads")
    op.drop_index("ix_workspace_evidence_workspace", table_name="workspace_evidence")
    op.drop_table("workspace_evidence")
