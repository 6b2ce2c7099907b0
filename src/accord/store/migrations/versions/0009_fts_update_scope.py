"""SQLite: re-index a record's search text only when an UPDATE sets its search columns.

The FTS5 update trigger fired on every UPDATE of a records row, so maintaining ``records.ends``
(an UPDATE of that column alone, twice for each new claim) or publishing a record deleted and
re-added its full-text entries each time. ``AFTER UPDATE OF search_name, search_text`` keeps
the index exact (those are the only indexed columns; the row id never changes) without that
work. PostgreSQL indexes a generated column and is unchanged.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BODY = (
    "BEGIN INSERT INTO records_fts(records_fts, rowid, search_name, search_text) "
    "VALUES ('delete', old.pk, old.search_name, old.search_text); "
    "INSERT INTO records_fts(rowid, search_name, search_text) "
    "VALUES (new.pk, new.search_name, new.search_text); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER records_fts_au")
        op.execute(
            "CREATE TRIGGER records_fts_au AFTER UPDATE OF search_name, search_text ON records "
            + _BODY
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER records_fts_au")
        op.execute("CREATE TRIGGER records_fts_au AFTER UPDATE ON records " + _BODY)
