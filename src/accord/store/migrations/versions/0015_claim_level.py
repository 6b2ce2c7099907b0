"""``claim_facts.level``: how far a claim's source reaches (territory, state, agency, unit,
individuals, threat_group), or NULL when the claim states none and reaches as far as its
accused (see :class:`accord.domain.records.Claim`).

The upgrade fills it from each claim's stored JSON body (a database that went down to 0014 and
back up keeps its levels); the SQL is written out here, frozen, rather than calling live code.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


_FILL = {
    "sqlite": (
        "UPDATE claim_facts SET level = (SELECT json_extract(records.body, '$.data.level') "
        "FROM records WHERE records.pk = claim_facts.record_pk)"
    ),
    "postgresql": (
        "UPDATE claim_facts SET level = CAST(records.body AS JSONB) -> 'data' ->> 'level' "
        "FROM records WHERE records.pk = claim_facts.record_pk"
    ),
}


def upgrade() -> None:
    op.add_column("claim_facts", sa.Column("level", sa.String(16), nullable=True))
    op.execute(_FILL[op.get_bind().dialect.name])


def downgrade() -> None:
    # Not batch mode: SQLite drops a column in place since 3.35.
    op.drop_column("claim_facts", "level")
