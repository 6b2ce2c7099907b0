"""The stored STIX form of each revision (accord.store.stix_forms) and the TAXII pages served
from it: every write keeps it in step, a page serves exactly what converting the record as the
reader may see it gives, and a reference the reader may not see is patched out as before."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import sqlalchemy as sa

from accord.access import ANONYMOUS, SYSTEM, Viewer
from accord.domain.vocab import Marking
from accord.interop import stix_feed
from accord.interop import stix_mapping as m
from accord.kb import KnowledgeBase
from accord.store.stix_forms import stix_forms
from tests.conftest import actor, claim
from tests.stix_world import build_world
from tests.test_withdrawals import People, people

# The fixture of test_withdrawals: the ministry's reviewer, the firm (AMBER partner), the ngo.
__all__ = ["people"]


def everyone(people: People) -> list[Viewer]:
    return [ANONYMOUS, people.reviewer, people.firm, people.ngo, SYSTEM]


@pytest.fixture
def world(kb: KnowledgeBase, people: People) -> KnowledgeBase:
    """The STIX world, an AMBER unit of the ministry shared with the firm, and CLEAR records
    pointing to it: an office's parent (a soft reference) and a claim naming it (a hard one)."""
    build_world(kb)
    unit = actor("ministry.unit", "Unit 7", kind="government_body", country="GB")
    unit.update(marking=Marking.AMBER, shares=["firm"])
    kb.create(unit, people.reviewer)
    office = actor("ministry.office", "Office", kind="government_body", parent="ministry.unit")
    kb.create(office, people.reviewer)
    kb.create(
        claim("ministry.claim-unit", "ministry.unit", "wannacry", "state-kp"), people.reviewer
    )
    return kb


def served(kb: KnowledgeBase, viewer: Viewer, *, stored: bool = True) -> list[dict[str, Any]]:
    """Every object of the whole feed for the viewer, page by page (small pages)."""
    out: list[dict[str, Any]] = []
    query = stix_feed.Query(limit=4)
    while True:
        got = stix_feed.page(kb, viewer, stix_feed.Scope(), query, stored=stored)
        out.extend(e.object for e in got.entries)
        if got.next is None:
            return out
        query = dataclasses.replace(query, next=got.next)


def by_record(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["extensions"][m.PROPS_EXT]["record_id"]: o for o in objects}


def forms(kb: KnowledgeBase) -> dict[str, Any]:
    with kb._engine.connect() as conn:
        return {row.record_id: row for row in conn.execute(sa.select(stix_forms))}


def tamper(kb: KnowledgeBase, record_id: str, name: str) -> None:
    """Change the name inside a stored form, to see whether a page serves it."""
    with kb._engine.begin() as conn:
        form = conn.execute(
            sa.select(stix_forms.c.form).where(stix_forms.c.record_id == record_id)
        ).scalar_one()
        changed = form.replace(b'"name":"', f'"name":"{name}'.encode(), 1)
        conn.execute(
            sa.update(stix_forms).where(stix_forms.c.record_id == record_id).values(form=changed)
        )


def test_every_reader_gets_what_converting_the_record_gives(
    world: KnowledgeBase, people: People
) -> None:
    for viewer in everyone(people):
        assert served(world, viewer) == served(world, viewer, stored=False)


def test_a_reference_the_reader_may_not_see_is_patched_out(
    world: KnowledgeBase, people: People
) -> None:
    unit_id = by_record(served(world, people.reviewer))["ministry.unit"]["id"]
    for viewer, sees in ((people.firm, True), (people.ngo, False), (ANONYMOUS, False)):
        objects = by_record(served(world, viewer))
        assert ("parent_ref" in objects["ministry.office"]["extensions"][m.PROPS_EXT]) is sees
        assert ("ministry.claim-unit" in objects) is sees  # a hard end hides the claim
        assert (unit_id in str(objects)) is sees


def test_pages_serve_the_stored_form_of_the_current_revision(
    world: KnowledgeBase, people: People
) -> None:
    tamper(world, "state-gb", "Stored ")
    assert by_record(served(world, ANONYMOUS))["state-gb"]["name"] == "Stored United Kingdom"
    # A form whose reference the reader may not see is not served: the record is converted.
    tamper(world, "ministry.office", "Stored ")
    assert by_record(served(world, people.firm))["ministry.office"]["name"] == "Stored Office"
    assert by_record(served(world, people.ngo))["ministry.office"]["name"] == "Office"
    # A new revision gets its own form; the tampered one is gone.
    world.update("state-gb", SYSTEM, data={"name": "UK"})
    assert by_record(served(world, ANONYMOUS))["state-gb"]["name"] == "UK"


def test_every_write_keeps_the_form_in_step(world: KnowledgeBase, people: People) -> None:
    stored = forms(world)
    current = {r.id: r.revision for r in world.iter_records(SYSTEM)}
    assert {rid: stored[rid].revision for rid in current} == current
    world.set_marking("ministry.unit", people.reviewer, Marking.GREEN)
    world.withdraw("ministry.claim-unit", people.reviewer, "retracted")
    world.bulk_create([actor("state-fr", "France", country="FR")], SYSTEM)
    with world.import_job(SYSTEM):
        kp = world.get("state-kp", SYSTEM)
        world.bulk_create(
            [{**actor("state-kp", "DPRK", country="KP"), "sources": kp.to_json()["sources"]}],
            SYSTEM,
            upsert=True,
        )
    stored = forms(world)
    for rid, revision in (("ministry.unit", 2), ("ministry.claim-unit", 2), ("state-kp", 2)):
        assert stored[rid].revision == revision, rid
    assert stored["state-fr"].form is not None
    objects = by_record(served(world, people.ngo))
    assert objects["ministry.unit"]["object_marking_refs"] == [m.TLP_IDS[Marking.GREEN]]
    assert (
        "parent_ref" in objects["ministry.office"]["extensions"][m.PROPS_EXT]
    )  # GREEN: the ngo sees it
    assert objects["state-kp"]["name"] == "DPRK"
    revoked = by_record(served(world, people.firm))["ministry.claim-unit"]
    assert revoked["revoked"] is True
    for viewer in everyone(people):
        assert served(world, viewer) == served(world, viewer, stored=False)


def test_a_record_pointing_to_one_whose_stix_id_changed_is_converted(
    world: KnowledgeBase,
) -> None:
    before = by_record(served(world, ANONYMOUS))["claim-gb-wannacry"]["target_ref"]
    assert before.startswith("identity--")
    # A state becomes a threat group: its STIX id goes from identity-- to intrusion-set--.
    world.update("state-kp", SYSTEM, data={"kind": "threat_group"})
    after = by_record(served(world, ANONYMOUS))
    new_id = after["state-kp"]["id"]
    assert new_id.startswith("intrusion-set--")
    assert after["claim-gb-wannacry"]["target_ref"] == new_id
    assert served(world, ANONYMOUS) == served(world, ANONYMOUS, stored=False)


def test_a_database_without_forms_is_served_by_converting(
    world: KnowledgeBase, people: People
) -> None:
    """An existing database upgraded by migration 0024 has no forms for its revisions."""
    expected = {v: served(world, v) for v in (ANONYMOUS, people.firm, people.ngo)}
    with world._engine.begin() as conn:
        conn.execute(sa.delete(stix_forms))
    for viewer, objects in expected.items():
        assert served(world, viewer) == objects
    world.set_marking("state-gb", SYSTEM, Marking.GREEN)  # a write gives it a form again
    assert forms(world)["state-gb"].form is not None
    assert served(world, people.ngo) != []
