"""``audit_log.key_id``: which key, if any, an audit entry's hash is keyed with.

Entries written with ``ACCORD_AUDIT_KEY`` set carry an HMAC-SHA-256 under that key as their
hash and the key's id here (see :mod:`accord.store.audit`). Existing entries keep NULL: they
were hashed without a key and verify as before, so the first keyed entry marks where keying
started.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("key_id", sa.String(16), nullable=True))


def downgrade() -> None:
    # Not batch mode: SQLite drops a column in place since 3.35.
    op.drop_column("audit_log", "key_id")
