"""STIX files that are not bundles: one object, or a JSON array of objects, import like a
bundle of them (parsed at once or streamed), with --skip-invalid semantics unchanged."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from accord.access import SYSTEM
from accord.cli import app
from accord.domain.vocab import Kind
from accord.errors import BundleError
from accord.interop import stix_import
from accord.interop.stix_import import import_bundle
from accord.kb import KnowledgeBase
from tests.import_helpers import FIXTURES

ONE = FIXTURES / "stix" / "one-intrusion-set.json"
ARRAY = FIXTURES / "stix" / "objects-array.json"
GROUP = "intrusion-set--3f2b5a4e-6c1d-4e8f-9a0b-1c2d3e4f5a6b"


@pytest.fixture(params=["parsed", "streamed"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a file is read: parsed at once (small files) or streamed (large)."""
    if request.param == "streamed":
        monkeypatch.setattr(stix_import, "IN_MEMORY_BYTES", 0)
    return str(request.param)


def _bundle_of(tmp_path: Path, objects: object) -> Path:
    path = tmp_path / ARRAY.name  # the same name: records cite the file they came from
    bundle = {"type": "bundle", "id": "bundle--6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"}
    path.write_bytes(orjson.dumps({**bundle, "objects": objects}))
    return path


def test_one_object_file_imports_like_a_bundle(kb: KnowledgeBase, reading: str) -> None:
    report = import_bundle(kb, ONE, SYSTEM)
    assert report.written
    assert (report.objects, report.created) == (1, 1)
    assert kb.get(GROUP, SYSTEM).name == "Fixture Panda"
    assert report.by_kind == {"actor": {"created": 1}}


def test_array_of_objects_imports_like_the_same_bundle(
    kb: KnowledgeBase, tmp_path: Path, reading: str
) -> None:
    report = import_bundle(kb, ARRAY, SYSTEM)
    assert report.written
    assert report.skipped == {"indicator": 1}
    assert report.by_kind == {"actor": {"created": 3}, "claim": {"created": 1}}
    claim = kb.get("relationship--1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d", SYSTEM)
    assert claim.kind is Kind.CLAIM
    wrapped = import_bundle(kb, _bundle_of(tmp_path, orjson.loads(ARRAY.read_bytes())), SYSTEM)
    assert (wrapped.created, wrapped.updated, wrapped.unchanged) == (0, 0, 4)


def test_invalid_object_in_an_array_follows_skip_invalid(
    kb: KnowledgeBase, tmp_path: Path, reading: str
) -> None:
    objects = orjson.loads(ARRAY.read_bytes())
    objects[0] = {**objects[0], "modified": "2000-01-01T00:00:00.000Z"}  # before created
    path = tmp_path / "array.json"
    path.write_bytes(orjson.dumps(objects))
    before = kb.count(SYSTEM)
    refused = import_bundle(kb, path, SYSTEM)
    assert not refused.written
    assert kb.count(SYSTEM) == before
    kept = import_bundle(kb, path, SYSTEM, skip_invalid=True)
    assert kept.written
    assert [p.where for p in kept.invalid] == [objects[0]["id"]]
    assert kb.get(GROUP, SYSTEM)


@pytest.mark.parametrize(
    "content",
    [{"type": "bundle", "id": "bundle--6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"}, {"name": "x"}, 3],
)
def test_a_file_holding_no_stix_object_is_an_error(
    kb: KnowledgeBase, tmp_path: Path, reading: str, content: object
) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(orjson.dumps(content))
    with pytest.raises(BundleError, match="not a STIX bundle"):
        import_bundle(kb, path, SYSTEM)


def test_cli_counts_per_kind(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["init", "--db", url, "--empty"]).exit_code == 0
    result = runner.invoke(app, ["import", "stix", str(ARRAY), "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.stdout[result.stdout.index("{") :])
    assert body["by_kind"]["actor"] == {"created": 3, "updated": 0, "unchanged": 0}
    table = runner.invoke(app, ["import", "stix", str(ARRAY), "--db", url])
    assert "claim" in table.output
    assert "skipped 1: indicator" in table.output
