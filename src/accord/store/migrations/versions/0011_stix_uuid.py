"""``records.stix_uuid``: the UUID part of each record's STIX id, indexed.

TAXII finds objects by STIX id (``GET …/objects/{id}/``, ``match[id]``). A record's STIX id is
the one it was imported with or the UUIDv5 of its Accord id (see
:mod:`accord.domain.stable_ids`), so it could only be found by computing the UUID of every
visible record on each request (about a second at 100,000 records). The column is written with
every row (``rows.row_values``) and filled here from the stored bodies.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

from accord.domain.stable_ids import stix_uuid

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_BATCH = 5_000


def upgrade() -> None:
    op.add_column("records", sa.Column("stix_uuid", sa.String(36), nullable=True))
    _fill(op.get_bind())
    op.create_index("ix_records_stix_uuid", "records", ["stix_uuid"])


def downgrade() -> None:
    op.drop_index("ix_records_stix_uuid", table_name="records")
    # Not batch mode: rebuilding ``records`` would break the foreign keys pointing at it
    # (SQLite drops a column in place since 3.35).
    op.drop_column("records", "stix_uuid")


def _fill(conn: sa.Connection) -> None:
    """Compute the column of every stored record from its id and body, a batch at a time."""
    table = sa.table(
        "records",
        sa.column("pk", sa.Integer),
        sa.column("id"),
        sa.column("body"),
        sa.column("stix_uuid"),
    )
    update = (
        sa.update(table)
        .where(table.c.pk == sa.bindparam("row_pk"))
        .values(stix_uuid=sa.bindparam("value"))
    )
    last = 0
    while True:
        batch = conn.execute(
            sa.select(table.c.pk, table.c.id, table.c.body)
            .where(table.c.pk > last)
            .order_by(table.c.pk)
            .limit(_BATCH)
        ).all()
        if not batch:
            return
        conn.execute(
            update, [{"row_pk": pk, "value": _uuid_of(rid, body)} for pk, rid, body in batch]
        )
        last = batch[-1].pk


def _uuid_of(record_id: str, body: str) -> str:
    """The column's value from the stored JSON body (read as data, not validated)."""
    data: Any = orjson.loads(body).get("data")
    extra = data.get("extra") if isinstance(data, dict) else None
    return stix_uuid(record_id, extra if isinstance(extra, dict) else {})
