"""The driver-level bulk insert stores exactly what SQLAlchemy's insert() stores."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from accord.kb import KnowledgeBase
from accord.store import bulk
from accord.store.schema import api_tokens, organisations, users


def test_bulk_rows_are_stored_exactly_as_sqlalchemy_stores_them(kb: KnowledgeBase) -> None:
    at = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
    org = {"id": "org-a", "name": "Org A", "sector": "government", "created_at": at}
    person = {
        "org_id": "org-a",
        "role": "reader",
        "password_hash": None,
        "created_at": at,
        "active": True,
    }
    with kb._engine.begin() as conn:
        conn.execute(sa.insert(organisations), [org])
        conn.execute(sa.insert(users), [{**person, "id": "u-orm", "email": "orm@example.org"}])
        bulk.insert_rows(conn, users, [{**person, "id": "u-bulk", "email": "bulk@example.org"}])
        stored = {
            row[0]: tuple(row[1:])
            for row in conn.exec_driver_sql("SELECT id, created_at, active, org_id FROM users")
        }
        # Equality in SQL (as keyset paging uses) finds both rows by the same bound value.
        matching = conn.execute(sa.select(users.c.id).where(users.c.created_at == at)).all()
    assert stored["u-bulk"] == stored["u-orm"]
    assert {r.id for r in matching} == {"u-orm", "u-bulk"}


def test_bulk_insert_of_nothing_writes_nothing(kb: KnowledgeBase) -> None:
    with kb._engine.begin() as conn:
        bulk.insert_rows(conn, api_tokens, [])
        assert conn.execute(sa.select(sa.func.count()).select_from(api_tokens)).scalar() == 0
