"""``claim_facts.date`` may be NULL: a claim whose date is unknown (an imported attribution
its source does not date) keeps no guessed day in the analyses' copy either.

SQLite cannot relax a NOT NULL constraint in place, so the table is rebuilt (batch mode) with
its rows. The downgrade restores NOT NULL and refuses, naming the count, while any stored claim
has no date: revision 0015 cannot hold one, and no date is invented to fit it.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claim_facts") as batch:
        batch.alter_column("date", existing_type=sa.String(10), nullable=True)


def downgrade() -> None:
    undated = (
        op.get_bind()
        .execute(sa.text("SELECT COUNT(*) FROM claim_facts WHERE date IS NULL"))
        .scalar_one()
    )
    if undated:
        raise RuntimeError(
            f"{undated} stored claims have no date, which revision 0015 cannot hold: "
            "give them dates or delete them before downgrading"
        )
    with op.batch_alter_table("claim_facts") as batch:
        batch.alter_column("date", existing_type=sa.String(10), nullable=False)
