"""``records.stix_uuid`` holds the UUID part of each record's STIX id (native and imported), the
migration that adds it fills it, and TAXII finds records by STIX id through it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from accord.access import SYSTEM
from accord.interop.stix_export import build_context, to_stix
from accord.interop.stix_feed import Query, Scope, page
from accord.interop.stix_import import ObjectSource, import_objects
from accord.kb import KnowledgeBase
from accord.store import migrate
from accord.store.schema import records
from tests.stix_world import build_world

IMPORTED = "Intrusion-Set--2B0E7C55-4A5E-4E5B-9A6D-0C7F3C1F2A10"  # upper case, as some tools send
T = "2024-02-01T00:00:00.000Z"


def _world(kb: KnowledgeBase) -> None:
    build_world(kb)
    group = {
        "type": "intrusion-set",
        "spec_version": "2.1",
        "id": IMPORTED.lower(),
        "created": T,
        "modified": T,
        "name": "Imported Group",
    }
    report = import_objects(kb, ObjectSource("test", "2.1", lambda: iter([group])), SYSTEM)
    assert report.ok


def _stored(kb: KnowledgeBase) -> dict[str, str | None]:
    with kb._engine.connect() as conn:
        return {
            rid: value for rid, value in conn.execute(sa.select(records.c.id, records.c.stix_uuid))
        }


def test_each_record_stores_the_uuid_part_of_its_stix_id(kb: KnowledgeBase) -> None:
    _world(kb)
    stored = _stored(kb)
    found = list(kb.iter_records(SYSTEM))
    ctx = build_context(kb, SYSTEM, found)
    exported = {r.id: to_stix(r, ctx)["id"] for r in found}
    assert IMPORTED.lower() in exported.values()
    assert len(exported) > 10
    for rid, stix_id in exported.items():
        assert stored[rid] == stix_id.rsplit("--", 1)[-1], rid


def test_taxii_finds_native_and_imported_records_by_stix_id_in_any_case(
    kb: KnowledgeBase,
) -> None:
    _world(kb)
    found = list(kb.iter_records(SYSTEM))
    ctx = build_context(kb, SYSTEM, found)
    wannacry = to_stix(kb.get("wannacry", SYSTEM), ctx)["id"]
    for wanted, expected in ((wannacry, wannacry), (IMPORTED, IMPORTED.lower())):
        got = page(kb, SYSTEM, Scope(), Query(ids=(wanted.lower(),)))
        assert [e.object["id"] for e in got.entries] == [expected]
    missing = page(
        kb, SYSTEM, Scope(), Query(ids=("incident--" + "0" * 8 + "-0000-5000-8000-" + "0" * 12,))
    )
    assert missing.entries == []


def test_migration_fills_the_column_from_stored_records(kb: KnowledgeBase) -> None:
    _world(kb)
    before = _stored(kb)
    config = migrate._config()
    with kb._engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0010")
        assert "stix_uuid" not in {c["name"] for c in sa.inspect(conn).get_columns("records")}
    migrate.upgrade(kb._engine)
    assert _stored(kb) == before
    assert None not in before.values()
