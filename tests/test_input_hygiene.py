"""Text hygiene at the boundary: control characters, non-finite numbers, unassigned country
codes and bundles without objects are refused where they enter (REST, pages, TAXII, CLI,
dataset, importers), with a clean error naming the field, never a 500 or a stored record."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount

from accord import accounts
from accord.access import SYSTEM
from accord.domain.inputs import parse_input, parse_payload
from accord.domain.records import PAYLOADS
from accord.domain.text import forbidden, json_problem
from accord.domain.vocab import Kind, Sector, UserRole
from accord.errors import AccordError, InvalidInput
from accord.interop.countries import display_name, resolve
from accord.interop.eurepoc import import_eurepoc
from accord.interop.stix_import import BundleError, import_bundle
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.conftest import (
    actor,
    assessment,
    claim,
    incident,
    initiative,
    norm,
    participation,
    record,
    source,
)
from tests.test_stix_cli import run as run_cli

FIXTURES = Path(__file__).parent / "fixtures"
TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    app = create_app(Settings(max_body_bytes=20_000, secure_cookies=False), kb=kb)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def token(kb: KnowledgeBase) -> str:
    org = accounts.create_org(kb, "Ministry of Test", Sector.GOVERNMENT, org_id="mfa")
    accounts.create_user(kb, "analyst@mfa.example", org, UserRole.REVIEWER)
    return accounts.create_token(kb, "analyst@mfa.example")[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- the rules themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "in_line", "in_text"),
    [
        ("\x00", True, True),
        ("\x1b", True, True),
        ("\x0b", True, True),
        ("\x7f", True, True),
        ("\x85", True, True),
        ("\x9f", True, True),
        ("\ud800", True, True),
        ("\t", True, False),
        ("\n", True, False),
        ("\r", True, False),
        ("\u2028", True, False),
        ("\u2029", True, False),
        ("\u200f", False, False),
        ("\u202e", False, False),
        ("é", False, False),
    ],
)
def test_a_line_refuses_every_control_character_and_text_keeps_line_breaks(
    char: str, in_line: bool, in_text: bool
) -> None:
    value = f"a{char}b"
    assert (forbidden(value) is not None) is in_line
    assert (forbidden(value, multiline=True) is not None) is in_text


def test_free_json_refuses_exactly_what_the_text_rule_refuses() -> None:
    """The fast scan of encoded JSON never lets a refused character through, for every code
    point up to U+3000 in a value and in a key, next to escapes that look alike."""
    for point in range(0x3000):
        char = chr(point)
        refused = forbidden(char, multiline=True) is not None
        for value in ({"k": f"a{char}b"}, {f"k{char}": 1}, {"k": [f"\\{char}", "\\u0000"]}):
            assert (json_problem(value) is not None) is refused, (hex(point), value)
    assert json_problem({"k": [1.5, None, float("nan")]}) == "k[2] is not a finite number"
    assert (
        json_problem({"k": "a\ud800"})
        == "k contains an unpaired surrogate (U+D800), which is not Unicode text"
    )


# -- every text field of every kind --------------------------------------------------------


EXAMPLES: dict[Kind, dict[str, Any]] = {
    Kind.ACTOR: actor(
        "a",
        aliases=["Alias"],
        country="FR",
        parent="p",
        external_ids={"wikidata": "Q1"},
        description="About.",
        founded="2001",
    )["data"],
    Kind.INCIDENT: incident(
        "i",
        aliases=["Alias"],
        description="About.",
        target_actors=["a"],
        target_countries=["FR"],
        target_sectors=["energy"],
        damage=[{"estimate": "USD 1", "amount_usd": 1.0, "source_url": "https://e.org/d"}],
    )["data"],
    Kind.CLAIM: claim(
        "c", "a", "i", "b", confidence_words="high", joint_group="Five", summary="About."
    )["data"],
    Kind.RESPONSE: record(
        "r",
        "response",
        responder="a",
        kind="sanction",
        targets=["b"],
        incident="i",
        date="2020",
        instrument="Decision 1",
        summary="About.",
    )["data"],
    Kind.NORM: norm("n", "init", summary="About.", equivalents=["n2"])["data"],
    Kind.INITIATIVE: initiative("init", aliases=["Alias"], conveners=["a"], description="x")[
        "data"
    ],
    Kind.PARTICIPATION: participation("p", "a", "init")["data"],
    Kind.ASSESSMENT: assessment("s", "i", "n")["data"],
    Kind.EVIDENCE: record("e", "evidence", about="c", content="The evidence.")["data"],
}


def _poisoned(value: Any, char: str) -> Any | None:
    """The value with ``char`` inside its (first) string, or None when it holds no string."""
    if isinstance(value, str):
        return value[:1] + char + "z" + value[1:]
    if isinstance(value, list) and value:
        first = _poisoned(value[0], char)
        return None if first is None else [first, *value[1:]]
    if isinstance(value, dict):
        for key, item in value.items():
            changed = _poisoned(item, char)
            if changed is not None:
                return {**value, key: changed}
    return None


def _text_fields() -> list[tuple[Kind, str]]:
    return [
        (kind, name)
        for kind, data in EXAMPLES.items()
        for name, value in data.items()
        if _poisoned(value, "\x00") is not None
    ]


def test_the_examples_are_valid_and_give_every_text_field_of_every_kind() -> None:
    for kind, model in PAYLOADS.items():
        parse_payload(kind, EXAMPLES[kind], "example")
        text = {
            field.alias or name
            for name, field in model.model_fields.items()
            if "str" in repr(field.annotation) and name != "extra"
        }
        text -= {"subject"} if kind is Kind.CLAIM else set()  # an id, like ``incident``
        assert text <= {name for k, name in _text_fields() if k is kind}, kind


@pytest.mark.parametrize(("kind", "field"), _text_fields())
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x85"])
def test_every_text_field_of_every_kind_refuses_control_characters(
    kind: Kind, field: str, char: str
) -> None:
    data = {**EXAMPLES[kind], field: _poisoned(EXAMPLES[kind][field], char)}
    with pytest.raises(InvalidInput) as caught:
        parse_payload(kind, data, "r1")
    assert caught.value.field is not None
    assert caught.value.field.startswith(f"data.{field}")


def test_free_maps_refuse_control_characters_in_keys_and_values() -> None:
    base = EXAMPLES[Kind.ACTOR]
    for bad in ({"wiki\x00data": "Q1"}, {"wikidata": "Q\x001"}):
        with pytest.raises(InvalidInput, match="U\\+0000") as caught:
            parse_payload(Kind.ACTOR, {**base, "external_ids": bad}, "r1")
        assert caught.value.field is not None
        assert caught.value.field.startswith("data.external_ids")
    with pytest.raises(InvalidInput, match=r"stix\.x_note\[0\] contains the control character"):
        parse_payload(Kind.ACTOR, {**base, "extra": {"stix": {"x_note": ["a\x00"]}}}, "r1")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"id": "evil\n"}, "id"),
        ({"shares": ["org\x00"]}, "shares.0"),
        ({"readers": ["user\x00"]}, "readers.0"),
        ({"sources": [source(title="T\x00")]}, "sources.0.title"),
        ({"sources": [source(publisher="P\x1b[31m")]}, "sources.0.publisher"),
        ({"sources": [source(url="https://example.org/a\x00b")]}, "sources.0.url"),
        ({"sources": [source(url="https://example.org/a\tb")]}, "sources.0.url"),
    ],
)
def test_envelope_and_sources_refuse_control_characters(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_input({"kind": "actor", "data": {}, **raw})
    assert caught.value.field == field


def test_descriptions_keep_their_line_breaks() -> None:
    text = "First paragraph.\r\n\tSecond\u2028line."
    data = {**EXAMPLES[Kind.ACTOR], "description": text}
    assert parse_payload(Kind.ACTOR, data, "r1").description == text  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["2017\n", "\uff12\uff10\uff11\uff17", "2017-05-01\n"])
def test_dates_are_ascii_digits_and_nothing_after(value: str) -> None:
    with pytest.raises(InvalidInput, match="not a date") as caught:
        parse_payload(Kind.INCIDENT, {**EXAMPLES[Kind.INCIDENT], "start": value}, "r1")
    assert caught.value.field == "data.start"


# -- the REST API, on both databases ------------------------------------------------------


def test_nul_in_a_source_title_is_refused_and_nothing_is_stored(
    kb: KnowledgeBase, client: TestClient, token: str
) -> None:
    before = kb.count(SYSTEM)
    body = {"data": {"name": "X", "kind": "state"}, "sources": [source(title="Title\x00")]}
    response = client.post("/api/v1/actors", json=body, headers=bearer(token))
    assert response.status_code == 422, response.text
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "contains the control character U+0000, which is not allowed here",
        "field": "sources.0.title",
    }
    assert kb.count(SYSTEM) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "X\x00", "kind": "state"}, "data.name"),
        ({"name": "X", "kind": "state", "description": "a\x00b"}, "data.description"),
        ({"name": "X", "kind": "state", "aliases": ["ok", "b\x00"]}, "data.aliases.1"),
        ({"name": "X", "kind": "state", "external_ids": {"k": "v\x00"}}, "data.external_ids.k"),
        ({"name": "X", "kind": "state", "country": "XX"}, "data.country"),
    ],
)
def test_rest_create_refuses_bad_payload_text_naming_the_field(
    client: TestClient, token: str, data: dict[str, Any], field: str
) -> None:
    body = {"data": data, "sources": [source()]}
    response = client.post("/api/v1/actors", json=body, headers=bearer(token))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize("bad", [b"u\\u0000", b"u\\ud800", b"u\\u001b[2J"])
def test_sharing_readers_refuse_control_characters_and_surrogates(
    client: TestClient, token: str, bad: bytes
) -> None:
    body = {"data": {"name": "X", "kind": "company"}, "sources": [source()], "marking": "RED"}
    created = client.post("/api/v1/actors", json=body, headers=bearer(token)).json()
    me = created["readers"][0].encode()
    headers = {**bearer(token), "Content-Type": "application/json"}
    response = client.put(
        f"/api/v1/actors/{created['id']}/sharing",
        content=b'{"readers": ["' + me + b'", "' + bad + b'"]}',
        headers=headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "readers.1"
    current = client.get(f"/api/v1/actors/{created['id']}", headers=bearer(token)).json()
    assert current["revision"] == 1


def test_an_unpaired_surrogate_in_a_json_body_is_422_not_500(
    client: TestClient, token: str
) -> None:
    headers = {**bearer(token), "Content-Type": "application/json"}
    body = orjson.dumps({"data": {"name": "X", "kind": "state"}, "sources": [source()]})
    for bad in (b'"X\\ud800"', b'"X", "na\\ud800me": 1'):
        response = client.post("/api/v1/actors", content=body.replace(b'"X"', bad), headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"].startswith("data")


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"Infinity", b"NaN"])
def test_damage_amounts_must_be_finite(client: TestClient, token: str, number: bytes) -> None:
    data = incident("x")["data"]
    data["damage"] = [{"estimate": "a lot", "amount_usd": 0}]
    body = orjson.dumps({"data": data, "sources": [source()]}).replace(
        b'"amount_usd":0', b'"amount_usd":' + number
    )
    headers = {**bearer(token), "Content-Type": "application/json"}
    response = client.post("/api/v1/incidents", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "data.damage.0.amount_usd"


def test_kosovo_user_assigned_code_is_accepted_and_named(client: TestClient, token: str) -> None:
    data = {"name": "Kosovo", "kind": "state", "country": "XK"}
    body = {"data": data, "sources": [source()]}
    response = client.post("/api/v1/actors", json=body, headers=bearer(token))
    assert response.status_code == 201, response.text
    assert resolve("Kosovo") == resolve("XK") == "XK"
    assert display_name("XK") == "Kosovo"
    assert resolve("XX") is None


PROBES = [
    "/api/v1/actors/a%00",
    "/api/v1/actors/a%00/history",
    "/api/v1/actors?after=%00",
    "/api/v1/actors?owner=a%00",
    "/api/v1/search?q=a%00b",
    "/api/v1/search?q=a%1Bb",
    "/api/v1/stats?by=%00",
    "/api/v1/consensus/incidents/a%00",
    "/search?q=a%00b",
    "/actors/a%00",
    "/incidents/a%C2%85",
    "/states/a%00",
    "/static/a%00",
    "/taxii2/accord/collections/a%00/",
    "/taxii2/accord/collections/public/objects/?match%5Bid%5D=%00",
    "/taxii2/accord/collections/public/objects/?next=%00",
]


@pytest.mark.parametrize("path", PROBES)
def test_control_characters_in_path_or_query_are_a_clean_client_error(
    client: TestClient, path: str
) -> None:
    response = client.get(path, headers={"Accept": TAXII} if path.startswith("/taxii2") else {})
    query = "?" in path
    assert response.status_code == (422 if query else 404), response.text
    error = response.json()["error"]
    assert error["code"] == ("invalid" if query else "not_found")
    assert "control character" in error["message"]
    if query:
        assert error["field"] == path.split("?")[1].split("=")[0].replace("%5B", "[").replace(
            "%5D", "]"
        )


def test_every_documented_get_operation_refuses_control_characters_in_its_query(
    client: TestClient,
) -> None:
    app = cast(FastAPI, client.app)
    taxii = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/taxii2")
    documents = [("", app.openapi()), ("/taxii2", cast(FastAPI, taxii.app).openapi())]
    checked = 0
    for prefix, spec in documents:
        for template, operations in spec["paths"].items():
            if "get" not in operations:
                continue
            path = prefix + re.sub(r"\{[^}]+\}", "x", template)
            names = [
                p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"
            ]
            for name in names or ["unknown"]:
                response = client.get(path, params={name: "a\x00b"}, headers={"Accept": TAXII})
                assert response.status_code == 422, (path, name, response.text)
                assert response.json()["error"]["field"] == name
                checked += 1
    assert checked > 60


def test_control_characters_in_a_signed_in_form_are_refused(client: TestClient) -> None:
    response = client.post("/signin", data={"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "email"


def test_a_chunked_body_over_the_limit_is_413(client: TestClient, token: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"data": {"name": "'
        for _ in range(30):
            yield b"x" * 1_000
        yield b'", "kind": "state"}}'

    headers = {**bearer(token), "Content-Type": "application/json"}
    response = client.post("/api/v1/actors", content=chunks(), headers=headers)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "too_large"


def test_a_chunked_body_under_the_limit_is_read_whole(client: TestClient, token: str) -> None:
    body = orjson.dumps({"data": {"name": "C", "kind": "state"}})
    body = body[:-1] + b', "sources": ' + orjson.dumps([source()]) + b"}"

    def chunks() -> Iterator[bytes]:
        yield from (body[i : i + 7] for i in range(0, len(body), 7))

    headers = {**bearer(token), "Content-Type": "application/json"}
    response = client.post("/api/v1/actors", content=chunks(), headers=headers)
    assert response.status_code == 201, response.text


# -- STIX bundles and TAXII ----------------------------------------------------------------


IDENTITY = {
    "type": "identity",
    "spec_version": "2.1",
    "id": "identity--1cbd0a50-0bb0-4b0b-9b9b-6e6e4f0f3a44",
    "created": "2020-01-01T00:00:00.000Z",
    "modified": "2020-01-01T00:00:00.000Z",
    "name": "Some Agency",
    "identity_class": "organization",
}


def _bundle(tmp_path: Path, document: Any, name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(document))
    return path


@pytest.mark.parametrize("streamed", [False, True])
def test_a_bundle_without_objects_is_an_error_and_an_empty_one_is_fine(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    if streamed:
        monkeypatch.setattr("accord.interop.stix_import.IN_MEMORY_BYTES", 0)
    bundle = {"type": "bundle", "id": "bundle--1cbd0a50-0bb0-4b0b-9b9b-6e6e4f0f3a45"}
    with pytest.raises(BundleError, match="no 'objects' array"):
        import_bundle(kb, _bundle(tmp_path, bundle), SYSTEM)
    with pytest.raises(BundleError, match="no 'objects' array"):
        import_bundle(kb, _bundle(tmp_path, {**bundle, "objects": {}}), SYSTEM)
    report = import_bundle(kb, _bundle(tmp_path, {**bundle, "objects": []}), SYSTEM)
    assert report.written
    assert report.objects == 0


def test_cli_import_of_a_bundle_without_objects_exits_1_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "a.db"
    assert run_cli(monkeypatch, "init", "--empty", "--db", str(db)) == 0
    path = _bundle(tmp_path, {"type": "bundle", "id": "bundle--x"})
    capsys.readouterr()
    assert run_cli(monkeypatch, "import", "stix", str(path), "--db", str(db)) == 1
    err = capsys.readouterr().err
    assert "no 'objects' array" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"name": "Some\x00Agency"}, "control character U+0000"),
        ({"x_note": "a\x1b[31m"}, "x_note contains the control character U+001B"),
        ({"x_weird\x00": 1}, "a key in the data contains the control character"),
        ({"x_note": ["ok", "a\x7f"]}, "x_note[1] contains the control character U+007F"),
    ],
)
def test_bundle_objects_with_control_characters_are_invalid_and_nothing_is_written(
    kb: KnowledgeBase, tmp_path: Path, change: dict[str, Any], reason: str
) -> None:
    before = kb.count(SYSTEM)
    obj = {**IDENTITY, **change}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--x", "objects": [obj]}))
    report = import_bundle(kb, path, SYSTEM)
    assert not report.written
    assert [p.where for p in report.invalid] == [IDENTITY["id"]]
    assert reason in report.invalid[0].reason
    assert kb.count(SYSTEM) == before


def test_taxii_post_without_objects_is_422_and_with_nul_a_failure(
    kb: KnowledgeBase, client: TestClient, token: str
) -> None:
    headers = {**bearer(token), "Accept": TAXII, "Content-Type": TAXII}
    listed = client.get("/taxii2/accord/collections/", headers=headers).json()["collections"]
    url = f"/taxii2/accord/collections/{next(c['id'] for c in listed if c['can_write'])}/objects/"
    missing = client.post(url, headers=headers, content=b'{"more": false}')
    assert missing.status_code == 422
    assert missing.json()["http_status"] == "422"
    empty = client.post(url, headers=headers, content=b'{"objects": []}')
    assert empty.status_code == 202
    before = kb.count(SYSTEM)
    bad = orjson.dumps({"objects": [{**IDENTITY, "name": "Some\x00Agency"}]})
    status = client.post(url, headers=headers, content=bad).json()
    assert status["failure_count"] == 1
    assert "U+0000" in status["failures"][0]["message"]
    assert kb.count(SYSTEM) == before


# -- the dataset loader and an importer ----------------------------------------------------


def test_dataset_check_names_the_record_and_field_of_a_control_character(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "actors.yaml").write_text(
        "actors:\n"
        "  - id: state-zz\n"
        '    name: "Bad\\0Name"\n'
        "    kind: state\n"
        "    sources:\n"
        "      - {title: T, publisher: P, url: 'https://example.org/'}\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert run_cli(monkeypatch, "data", "check", "--directory", str(tmp_path), "--json") == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert len(problems) == 1
    assert "state-zz" in problems[0]
    assert "name" in problems[0]
    assert "U+0000" in problems[0]


def test_an_importer_row_with_a_control_character_is_invalid(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    folder = tmp_path / "eurepoc"
    shutil.copytree(FIXTURES / "eurepoc", folder)
    table = folder / "global.csv"
    table.write_text(
        table.read_text(encoding="utf-8").replace(
            "Fixture: defacement", "Fixture:\x1b]8;;https://evil.example\x07 defacement", 1
        ),
        encoding="utf-8",
    )
    before = kb.count(SYSTEM)
    with pytest.raises(AccordError, match="invalid row"):
        import_eurepoc(kb, SYSTEM, table)
    assert kb.count(SYSTEM) == before
