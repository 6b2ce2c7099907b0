"""Export → import into an empty database → export gives the same bundle (golden file).

Set ACCORD_UPDATE_GOLDEN=1 to rewrite tests/golden/stix_world_bundle.json after a deliberate
change of the mapping.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import orjson

from accord.access import SYSTEM
from accord.interop.stix_export import write_bundle
from accord.interop.stix_import import import_bundle
from accord.kb import KnowledgeBase
from tests.conftest import FrozenClock
from tests.stix_world import build_world

GOLDEN = Path(__file__).parent / "golden" / "stix_world_bundle.json"
BUNDLE_ID = "bundle--6f1d1f0c-2f7a-4a53-9c55-0a4f0b0d8c11"


def export_bytes(kb: KnowledgeBase) -> bytes:
    buffer = io.BytesIO()
    write_bundle(kb, SYSTEM, buffer, bundle_id=BUNDLE_ID)
    return buffer.getvalue()


def test_export_import_export_is_lossless_and_matches_golden(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    build_world(kb)
    first = export_bytes(kb)
    if os.environ.get("ACCORD_UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(first)
    assert orjson.loads(first) == orjson.loads(GOLDEN.read_bytes())
    path = tmp_path / "bundle.json"
    path.write_bytes(first)
    with KnowledgeBase(f"sqlite:///{tmp_path / 'empty.db'}", clock=FrozenClock()) as empty:
        empty.initialise()
        report = import_bundle(empty, path, SYSTEM)
        assert report.ok
        assert report.written
        assert report.invalid == []
        assert report.notes == []
        second = export_bytes(empty)
    assert second == first


def test_reimport_into_the_same_database_changes_nothing(kb: KnowledgeBase, tmp_path: Path) -> None:
    build_world(kb)
    first = export_bytes(kb)
    path = tmp_path / "bundle.json"
    path.write_bytes(first)
    report = import_bundle(kb, path, SYSTEM)
    assert report.written
    assert report.created == 0
    assert export_bytes(kb) == first
