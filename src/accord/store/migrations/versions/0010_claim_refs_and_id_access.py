"""Integer references in ``claim_facts``, and an index that answers the sharing check of a
record's ends by its id.

- ``claim_facts`` gains ``claimant_pk``, ``incident_pk``, ``subject_pk`` and ``accused_pk``: the
  ``records.pk`` of the records the claim points to (filled here from the text ids, and kept by
  :func:`accord.store.claim_facts.write`). The analyses of every incident read and number these
  integers instead of a million text ids; and ``weighing``, the claim's stance, kind,
  evidence and confidence as one text (one value to read and number per claim, not four).
- ``ix_records_id_access (id, marking, status, owner, ends)``: :func:`accord.access.visible`
  looks each hard end of a relationship record up by id and reads those columns; through the
  unique index on ``id`` each lookup also read the wide table row (``ends`` sits after the JSON
  body). SQLite's planner prefers the unique index, so ``access.visible`` names this one with
  ``INDEXED BY``.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.store.claim_facts import REFS, fill_derived

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for ref in REFS:
        op.add_column("claim_facts", sa.Column(f"{ref}_pk", sa.Integer, nullable=True))
    op.add_column("claim_facts", sa.Column("weighing", sa.String(80), nullable=True))
    op.create_index("ix_records_id_access", "records", ["id", "marking", "status", "owner", "ends"])
    fill_derived(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_records_id_access", table_name="records")
    with op.batch_alter_table("claim_facts") as batch:
        for ref in REFS:
            batch.drop_column(f"{ref}_pk")
        batch.drop_column("weighing")
