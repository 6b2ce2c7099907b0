"""``records.ends``: how open the ends of a relationship record are, so reads can skip the
per-row check of every end when all ends are public.

``CLEAR``: every record it points to (two levels deep) is published CLEAR; ``GREEN``: each is
published CLEAR or GREEN; ``COMPLEX``: anything else (the exact check runs). Entities have no
hard ends and stay ``CLEAR``. Kept current by :mod:`accord.store.ends` (whose values migration
0014 renamed); the summary this migration computes is frozen here as the SQL of its day.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_SUMMARY = """
UPDATE records SET ends = CASE
  WHEN EXISTS (
    SELECT 1 FROM record_refs r JOIN records t ON t.id = r.target_id
    WHERE r.record_id = records.id AND r.hard
      AND NOT (t.status = 'published' AND t.marking IN ('CLEAR', 'GREEN')
               AND t.ends IN ('CLEAR', 'GREEN'))
  ) THEN 'COMPLEX'
  WHEN EXISTS (
    SELECT 1 FROM record_refs r JOIN records t ON t.id = r.target_id
    WHERE r.record_id = records.id AND r.hard AND (t.marking = 'GREEN' OR t.ends = 'GREEN')
  ) THEN 'GREEN'
  ELSE 'CLEAR' END
WHERE id IN (SELECT record_id FROM record_refs WHERE hard)
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "records", sa.Column("ends", sa.String(8), nullable=False, server_default="CLEAR")
    )
    for _ in range(2):  # evidence -> claim -> actor: the second pass sees the first's values
        op.execute(_SUMMARY)


def downgrade() -> None:
    op.drop_column("records", "ends")
