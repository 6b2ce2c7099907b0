"""PostgreSQL: the two covering indexes of the sharing columns carry ``pk`` too.

``ix_records_kind_access`` and ``ix_records_id_access`` make the visibility check of a scan
index-only. On SQLite every index entry holds the rowid, which is ``records.pk``, so the joins
of the analyses (``claim_facts.record_pk = records.pk``) and the ends they look up by ``pk``
(:func:`accord.access.visible_in_scan`) read only the index. A PostgreSQL index holds only its
columns: each of those rows was read from the wide table row (the JSON body and the search
texts, ~2.7 kB a record), which made reading every claim 3-5 times slower than on SQLite.
Here, on PostgreSQL only, both indexes are rebuilt with ``INCLUDE (pk)``; SQLite is unchanged.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ACCESS = ("marking", "status", "owner", "ends", "import_job")
_INDEXES = {
    "ix_records_kind_access": ["kind", "id", *_ACCESS],
    "ix_records_id_access": ["id", *_ACCESS],
}


def _rebuild(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, columns in _INDEXES.items():
        op.drop_index(name, table_name="records")
        op.create_index(name, "records", columns, postgresql_include=include)


def upgrade() -> None:
    _rebuild(["pk"])


def downgrade() -> None:
    _rebuild([])
