"""``claim_facts``: the fields of each claim the analyses weigh, as typed columns, and a
covering index so that scanning the visible records of one kind reads no record rows.

The analyses read every visible claim. Decoding each JSON body, and reading the wide
``records`` rows that hold them to check visibility, dominated their time. ``claim_facts`` keeps
one narrow row per claim (kept current by :func:`accord.store.claim_facts.write`), back-filled
here from the stored bodies. ``ix_records_kind_access`` replaces ``ix_records_kind_id`` (kind,
id) with the same leading columns plus those :func:`accord.access.visible` reads (marking,
status, owner, ends), so the check of the own rule needs no table row.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.store.claim_facts import backfill

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_facts",
        sa.Column("record_pk", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("claimant", sa.String(128), nullable=False),
        sa.Column("incident", sa.String(128)),
        sa.Column("subject", sa.String(128)),
        sa.Column("accused", sa.String(128), nullable=False),
        sa.Column("stance", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("confidence", sa.Integer),
        sa.Column("evidence", sa.String(16), nullable=False),
        sa.Column("joint_group", sa.String(500)),
        sa.Column("withdrawn", sa.String(10)),
        sa.ForeignKeyConstraint(["record_pk"], ["records.pk"], ondelete="CASCADE"),
    )
    op.drop_index("ix_records_kind_id", table_name="records")
    op.create_index(
        "ix_records_kind_access", "records", ["kind", "id", "marking", "status", "owner", "ends"]
    )
    backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_records_kind_access", table_name="records")
    op.create_index("ix_records_kind_id", "records", ["kind", "id"])
    op.drop_table("claim_facts")
