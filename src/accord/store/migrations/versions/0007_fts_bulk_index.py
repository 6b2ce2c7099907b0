"""SQLite: new records enter the full-text index a batch at a time, not through a trigger.

The per-row ``AFTER INSERT`` trigger into FTS5 cost about four fifths of bulk-insert time;
:func:`accord.store.search.index_new` now adds each inserted batch with one INSERT ... SELECT.
The update and delete triggers stay (updates are one record at a time). PostgreSQL indexes a
generated column and is unchanged.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_INSERT = (
    "CREATE TRIGGER records_fts_ai AFTER INSERT ON records BEGIN "
    "INSERT INTO records_fts(rowid, search_name, search_text) "
    "VALUES (new.pk, new.search_name, new.search_text); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER records_fts_ai")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_INSERT)
