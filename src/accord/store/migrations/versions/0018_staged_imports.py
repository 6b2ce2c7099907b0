"""Staged imports: ``records.import_job`` hides the rows an unfinished import wrote, and the
import jobs, their pending revisions and their audit entries wait in tables of their own until
the job finishes (see docs/architecture.md, "Staged imports").

The two covering indexes of the sharing columns gain ``import_job`` so that the visibility
check stays index-only. The tables are written out here, frozen, rather than taken from
``schema.py``.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ACCESS = ("marking", "status", "owner", "ends")


def upgrade() -> None:
    op.add_column("records", sa.Column("import_job", sa.String(36), nullable=True))
    op.drop_index("ix_records_kind_access", table_name="records")
    op.drop_index("ix_records_id_access", table_name="records")
    op.create_index("ix_records_kind_access", "records", ["kind", "id", *_ACCESS, "import_job"])
    op.create_index("ix_records_id_access", "records", ["id", *_ACCESS, "import_job"])
    op.create_index(
        "ix_records_import_job",
        "records",
        ["import_job"],
        sqlite_where=sa.text("import_job IS NOT NULL"),
        postgresql_where=sa.text("import_job IS NOT NULL"),
    )
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
    )
    op.create_table(
        "import_pending",
        sa.Column("job_id", sa.String(36), primary_key=True),
        sa.Column("record_id", sa.String(128), primary_key=True),
        sa.Column("base_revision", sa.Integer, nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
    )
    op.create_table(
        "import_audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("after_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_import_audit_job_id", "import_audit", ["job_id"])


def downgrade() -> None:
    conn = op.get_bind()
    staged = conn.execute(sa.text("SELECT count(*) FROM import_jobs")).scalar_one()
    if staged:
        raise RuntimeError(
            "an import is staged or was abandoned: finish it or run 'accord init' first"
        )
    op.drop_index("ix_import_audit_job_id", table_name="import_audit")
    op.drop_table("import_audit")
    op.drop_table("import_pending")
    op.drop_table("import_jobs")
    op.drop_index("ix_records_import_job", table_name="records")
    op.drop_index("ix_records_id_access", table_name="records")
    op.drop_index("ix_records_kind_access", table_name="records")
    op.create_index("ix_records_kind_access", "records", ["kind", "id", *_ACCESS])
    op.create_index("ix_records_id_access", "records", ["id", *_ACCESS])
    op.drop_column("records", "import_job")  # SQLite 3.35+: no table rebuild
