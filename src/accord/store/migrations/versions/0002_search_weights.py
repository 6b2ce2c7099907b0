"""Search weights: a thing's own names outrank statements about it.

Adds ``records.search_name`` (an entity's name and aliases; empty for relationship records such
as claims and participations, whose display names go to the low-weight text instead) and indexes
it as the high-weight column, so "G20" finds the G20 before the twenty participations naming it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RELATIONSHIPS = "('claim', 'response', 'participation', 'assessment', 'evidence')"


def upgrade() -> None:
    op.add_column("records", sa.Column("search_name", sa.Text, nullable=False, server_default=""))
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # drop the index first so the backfill below does not rewrite it row by row
        for trigger in ("records_fts_ai", "records_fts_ad", "records_fts_au"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE records_fts")
    op.execute(f"UPDATE records SET search_name = name WHERE kind NOT IN {RELATIONSHIPS}")
    op.execute(
        f"UPDATE records SET search_text = name || ' ' || search_text WHERE kind IN {RELATIONSHIPS}"
    )
    if sqlite:
        _sqlite()
    else:
        _postgres()


def _sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE records_fts USING fts5(search_name, search_text, content='records', "
        "content_rowid='pk', tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
    )
    insert = "INSERT INTO records_fts(rowid, search_name, search_text) "
    delete = "INSERT INTO records_fts(records_fts, rowid, search_name, search_text) "
    new = "VALUES (new.pk, new.search_name, new.search_text); "
    old = "VALUES ('delete', old.pk, old.search_name, old.search_text); "
    op.execute(f"CREATE TRIGGER records_fts_ai AFTER INSERT ON records BEGIN {insert}{new}END")
    op.execute(f"CREATE TRIGGER records_fts_ad AFTER DELETE ON records BEGIN {delete}{old}END")
    op.execute(
        f"CREATE TRIGGER records_fts_au AFTER UPDATE ON records BEGIN {delete}{old}{insert}{new}END"
    )
    op.execute("INSERT INTO records_fts(records_fts) VALUES ('rebuild')")


def _postgres() -> None:
    op.execute("DROP INDEX ix_records_search")
    op.execute("ALTER TABLE records DROP COLUMN search_vector")
    op.execute(
        "ALTER TABLE records ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple', search_name), 'A') || "
        "setweight(to_tsvector('simple', search_text), 'B')) STORED"
    )
    op.execute("CREATE INDEX ix_records_search ON records USING gin (search_vector)")


def downgrade() -> None:
    raise NotImplementedError("0002 is not reversible; restore from a backup")
