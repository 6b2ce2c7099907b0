"""One audit-chain entry per import batch (``accord.store.audit_batches``).

An import job's new records are audited by one entry per batch whose ``after_hash`` commits to
every record of the batch; ``audit_members`` keeps, for each such record, the batch it belongs
to and the hash of its revision snapshot. The waiting entries of an import
(``import_audit``) may therefore name no record.

Revision ID: 0023
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_members",
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("batch", sa.String(64), nullable=False),
        sa.Column("after_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "revision"),
    )
    op.create_index("ix_audit_members_batch", "audit_members", ["batch"])
    with op.batch_alter_table("import_audit") as table:
        table.alter_column("record_id", existing_type=sa.String(128), nullable=True)
        table.alter_column("revision", existing_type=sa.Integer, nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("import_audit") as table:
        table.alter_column("revision", existing_type=sa.Integer, nullable=False)
        table.alter_column("record_id", existing_type=sa.String(128), nullable=False)
    op.drop_index("ix_audit_members_batch", table_name="audit_members")
    op.drop_table("audit_members")
