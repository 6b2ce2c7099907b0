"""``records.ends`` fails closed: the values readers trust are ones only the code writes.

Until now the summary's trusted values were ``CLEAR`` and ``GREEN`` and the column's default was
``CLEAR``, so a row written by anything but :mod:`accord.store.rows` (a repair script, a new
loader) looked as if every end were public. The trusted values become ``PUBLIC`` and ``MEMBERS``,
the exact check's is ``CHECK``, and the default is ``CHECK`` (on SQLite, where changing a
default means rebuilding the table and its triggers, the old default ``CLEAR`` stays: it is no
longer a value readers trust).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE records SET ends = CASE ends WHEN 'CLEAR' THEN 'PUBLIC' "
        "WHEN 'GREEN' THEN 'MEMBERS' ELSE 'CHECK' END"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE records ALTER COLUMN ends SET DEFAULT 'CHECK'")


def downgrade() -> None:
    op.execute(
        "UPDATE records SET ends = CASE ends WHEN 'PUBLIC' THEN 'CLEAR' "
        "WHEN 'MEMBERS' THEN 'GREEN' ELSE 'COMPLEX' END"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE records ALTER COLUMN ends SET DEFAULT 'CLEAR'")
