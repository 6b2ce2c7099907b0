"""Initial schema: accounts, records with refs/shares/readers, revisions, audit log, search.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _id(name: str, size: int = 128, **kw: object) -> sa.Column[str]:
    return sa.Column(name, sa.String(size), **kw)  # type: ignore[arg-type]


def upgrade() -> None:
    op.create_table(
        "organisations",
        _id("id", primary_key=True),
        sa.Column("name", sa.String(500), nullable=False, unique=True),
        sa.Column("sector", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "users",
        _id("id", 64, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        _id("org_id", 128, nullable=False, index=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(256)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
    )
    op.create_table(
        "api_tokens",
        _id("id", 64, primary_key=True),
        _id("user_id", 64, nullable=False, index=True),
        sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("revoked_at", TS),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
    )
    op.create_table(
        "records",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        _id("id", nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("marking", sa.String(16), nullable=False),
        _id("owner", nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64)),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("date_key", sa.String(10)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(["owner"], ["organisations.id"]),
    )
    op.create_index("ix_records_kind_id", "records", ["kind", "id"])
    op.create_index("ix_records_owner", "records", ["owner"])
    op.create_table(
        "record_refs",
        _id("record_id", primary_key=True),
        sa.Column("field", sa.String(64), primary_key=True),
        _id("target_id", primary_key=True),
        sa.Column("hard", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"]),
        sa.ForeignKeyConstraint(["target_id"], ["records.id"]),
    )
    op.create_index("ix_record_refs_target", "record_refs", ["target_id", "field"])
    op.create_table(
        "record_shares",
        _id("record_id", primary_key=True),
        _id("org_id", primary_key=True),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
    )
    op.create_table(
        "record_readers",
        _id("record_id", primary_key=True),
        _id("user_id", 64, primary_key=True),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
    )
    op.create_table(
        "revisions",
        _id("record_id", primary_key=True),
        sa.Column("revision", sa.Integer, primary_key=True),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("changed_by", sa.String(64)),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"]),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("user_id", sa.String(64)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(128)),
        sa.Column("revision", sa.Integer),
        sa.Column("before_hash", sa.String(64)),
        sa.Column("after_hash", sa.String(64)),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_search()
    else:
        _postgres_search()


def _sqlite_search() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE records_fts USING fts5(name, search_text, content='records', "
        "content_rowid='pk', tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
    )
    op.execute(
        "CREATE TRIGGER records_fts_ai AFTER INSERT ON records BEGIN "
        "INSERT INTO records_fts(rowid, name, search_text) "
        "VALUES (new.pk, new.name, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER records_fts_ad AFTER DELETE ON records BEGIN "
        "INSERT INTO records_fts(records_fts, rowid, name, search_text) "
        "VALUES ('delete', old.pk, old.name, old.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER records_fts_au AFTER UPDATE ON records BEGIN "
        "INSERT INTO records_fts(records_fts, rowid, name, search_text) "
        "VALUES ('delete', old.pk, old.name, old.search_text); "
        "INSERT INTO records_fts(rowid, name, search_text) "
        "VALUES (new.pk, new.name, new.search_text); END"
    )


def _postgres_search() -> None:
    op.execute(
        "ALTER TABLE records ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple', coalesce(name, '')), 'A') || "
        "setweight(to_tsvector('simple', coalesce(search_text, '')), 'B')) STORED"
    )
    op.execute("CREATE INDEX ix_records_search ON records USING gin (search_vector)")


def downgrade() -> None:
    for table in (
        "audit_log",
        "revisions",
        "record_readers",
        "record_shares",
        "record_refs",
        "records",
        "api_tokens",
        "users",
        "organisations",
    ):
        op.drop_table(table)
