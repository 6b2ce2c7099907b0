"""Server-side web sessions, and organisations that choose to be listed publicly.

- ``web_sessions``: one row per signed-in browser, keyed by the SHA-256 digest of the random
  session id its cookie carries. Every request checks the row, so signing out (which deletes
  it) ends that session at once, even for a copy of the old cookie.
- ``organisations.listed``: whether the organisation may be named to anonymous callers (its
  actor record in the STIX export, TAXII, the API and the pages). Existing organisations are
  not listed — which organisations use an instance is for its signed-in members only unless an
  organisation opts in — except the built-in curators, whose actor record is the assessor of
  the curated dataset. (Re-marking the existing organisations' actor records is a revision
  with an audit entry, written by ``KnowledgeBase.initialise`` after the migrations.)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: The built-in curators' organisation (frozen here: migrations never import live code).
CURATORS_ORG = "accord-curators"

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False, index=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
    )
    op.add_column(
        "organisations",
        sa.Column("listed", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    organisations = sa.table("organisations", sa.column("id"), sa.column("listed", sa.Boolean))
    op.execute(
        sa.update(organisations).where(organisations.c.id == CURATORS_ORG).values(listed=True)
    )


def downgrade() -> None:
    # Not batch mode: rebuilding ``organisations`` would break the foreign keys pointing at it
    # (SQLite drops a column in place since 3.35).
    op.drop_column("organisations", "listed")
    op.drop_table("web_sessions")
