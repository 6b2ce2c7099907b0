"""PostgreSQL sessions and indexes that keep the analyses fast (docs/performance.md,
"PostgreSQL"): the settings every connection gets, and the covering indexes of migration 0022."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from accord.kb import KnowledgeBase
from accord.store.engine import make_engine


def _postgres(kb: KnowledgeBase) -> None:
    if kb._engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's sessions and indexes")


def test_sessions_run_without_jit_and_with_room_to_sort(kb: KnowledgeBase) -> None:
    _postgres(kb)
    with kb._engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar_one() == "off"
        assert conn.exec_driver_sql("SHOW work_mem").scalar_one() == "64MB"


def test_options_in_the_url_come_after_the_defaults(kb: KnowledgeBase) -> None:
    _postgres(kb)
    url = kb._engine.url.update_query_dict({"options": "-c work_mem=8MB"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW work_mem").scalar_one() == "8MB"
            assert conn.exec_driver_sql("SHOW jit").scalar_one() == "off"
    finally:
        engine.dispose()


def test_covering_indexes_include_pk_and_shares_are_indexed_by_reader(kb: KnowledgeBase) -> None:
    _postgres(kb)
    with kb._engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'record%'")
        )
        found: dict[str, str] = {str(name): str(definition) for name, definition in rows}
    assert found["ix_records_kind_access"].endswith("INCLUDE (pk)")
    assert found["ix_records_id_access"].endswith("INCLUDE (pk)")
    assert "(org_id, record_id)" in found["ix_record_shares_org"]
    assert "(user_id, record_id)" in found["ix_record_readers_user"]
