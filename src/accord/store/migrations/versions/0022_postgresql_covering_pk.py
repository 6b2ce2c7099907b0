"""Indexes for the sharing filter of large scans.

- PostgreSQL only: the two covering indexes of the sharing columns carry ``pk`` too.
  ``ix_records_kind_access`` and ``ix_records_id_access`` make the visibility check of a scan
  index-only. On SQLite every index entry holds the rowid, which is ``records.pk``, so the joins
  of the analyses (``claim_facts.record_pk = records.pk``) and the ends they look up by ``pk``
  (:func:`accord.access.visible_in_scan`) read only the index. A PostgreSQL index holds only its
  columns: each of those rows was read from the wide table row (the JSON body and the search
  texts, ~2.7 kB a record), which made reading every claim 3-5 times slower than on SQLite.
  Both indexes are rebuilt there with ``INCLUDE (pk)``.
- Both databases: ``ix_record_shares_org (org_id, record_id)`` and ``ix_record_readers_user
  (user_id, record_id)``. When the sharing filter is evaluated for a whole scan, PostgreSQL
  reads the records shared with the viewer's organisation (and the RED records the viewer is
  named on) once, as a set; without these indexes each such set was a full scan of the table,
  five times per query of every claim.

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
_COVERING = {
    "ix_records_kind_access": ["kind", "id", *_ACCESS],
    "ix_records_id_access": ["id", *_ACCESS],
}


def _rebuild_covering(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, columns in _COVERING.items():
        op.drop_index(name, table_name="records")
        op.create_index(name, "records", columns, postgresql_include=include)


def upgrade() -> None:
    _rebuild_covering(["pk"])
    op.create_index("ix_record_shares_org", "record_shares", ["org_id", "record_id"])
    op.create_index("ix_record_readers_user", "record_readers", ["user_id", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_record_readers_user", table_name="record_readers")
    op.drop_index("ix_record_shares_org", table_name="record_shares")
    _rebuild_covering([])
