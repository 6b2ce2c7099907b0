"""Each sharing rule of DESIGN.md section 4, as its own test, and the write rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from accord import accounts
from accord.access import ANONYMOUS, SYSTEM, Viewer
from accord.domain.vocab import Marking, Sector, UserRole
from accord.errors import Forbidden, InvalidInput, NotFound
from accord.kb import KnowledgeBase
from accord.store.schema import record_refs
from tests.conftest import actor, claim, incident, source


@dataclass
class People:
    """Users of three organisations: ministry (owner), firm (partner), ngo (outsider)."""

    ministry: Viewer
    ministry_reviewer: Viewer
    ministry_reader: Viewer
    firm: Viewer
    ngo: Viewer


@pytest.fixture
def people(kb: KnowledgeBase) -> People:
    for name, sector in (
        ("Ministry", Sector.GOVERNMENT),
        ("Firm", Sector.PRIVATE),
        ("NGO", Sector.CIVIL_SOCIETY),
    ):
        accounts.create_org(kb, name, sector)

    def user(email: str, org: str, role: UserRole) -> Viewer:
        return accounts.create_user(kb, email, org, role).viewer

    return People(
        ministry=user("analyst@ministry.example", "ministry", UserRole.CONTRIBUTOR),
        ministry_reviewer=user("chief@ministry.example", "ministry", UserRole.REVIEWER),
        ministry_reader=user("reader@ministry.example", "ministry", UserRole.READER),
        firm=user("cti@firm.example", "firm", UserRole.CONTRIBUTOR),
        ngo=user("research@ngo.example", "ngo", UserRole.CONTRIBUTOR),
    )


def _marked(rid: str, marking: Marking, **envelope: object) -> dict[str, object]:
    raw = actor(rid)
    raw.update({"marking": marking, **envelope})
    return raw


def _sees(kb: KnowledgeBase, viewer: Viewer, rid: str) -> bool:
    try:
        kb.get(rid, viewer)
    except NotFound:
        return False
    return True


def test_clear_is_visible_to_anonymous_readers(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("x", Marking.CLEAR), people.ministry)
    assert _sees(kb, ANONYMOUS, "x")


def test_green_is_visible_to_every_signed_in_user_only(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("x", Marking.GREEN), people.ministry)
    assert not _sees(kb, ANONYMOUS, "x")
    assert _sees(kb, people.ngo, "x")


def test_amber_is_visible_to_owner_and_share_list(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("x", Marking.AMBER, shares=["firm"]), people.ministry)
    assert _sees(kb, people.ministry_reader, "x")
    assert _sees(kb, people.firm, "x")
    assert not _sees(kb, people.ngo, "x")
    assert not _sees(kb, ANONYMOUS, "x")


def test_amber_strict_is_visible_to_owner_only(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("x", Marking.AMBER_STRICT, shares=["firm"]), people.ministry)
    assert _sees(kb, people.ministry_reader, "x")
    assert not _sees(kb, people.firm, "x")


def test_red_is_visible_to_named_users_only(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("x", Marking.RED, readers=[people.firm.user_id]), people.ministry)
    assert _sees(kb, people.ministry, "x")  # the author is named automatically
    assert _sees(kb, people.firm, "x")
    assert not _sees(kb, people.ministry_reader, "x")


def test_draft_is_visible_to_its_organisation_until_published(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(_marked("x", Marking.CLEAR, status="draft"), people.ministry)
    assert _sees(kb, people.ministry_reader, "x")
    assert not _sees(kb, ANONYMOUS, "x")
    with pytest.raises(Forbidden):
        kb.publish("x", people.ministry)
    kb.publish("x", people.ministry_reviewer)
    assert _sees(kb, ANONYMOUS, "x")


def test_claim_is_hidden_when_an_end_is_hidden(kb: KnowledgeBase, people: People) -> None:
    kb.bulk_create([actor("fbi"), actor("state-kp"), incident("sony")], SYSTEM)
    kb.create(_marked("victim", Marking.AMBER), people.ministry)
    kb.create(claim("c-public", "fbi", "sony", "state-kp"), people.ministry)
    kb.create(claim("c-hidden", "fbi", "sony", "victim"), people.ministry)
    assert _sees(kb, people.ngo, "c-public")
    assert not _sees(kb, people.ngo, "c-hidden")
    assert [h.record.id for h in kb.search("sony", people.ngo, limit=50)] == ["sony", "c-public"]


def test_entity_hides_references_to_hidden_records(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("victim", Marking.AMBER), people.ministry)
    kb.create(incident("hack", target_actors=["victim"]), people.ministry)
    assert kb.get("hack", people.ministry).data.model_dump()["target_actors"] == ("victim",)
    assert kb.get("hack", people.ngo).data.model_dump()["target_actors"] == ()


def test_split_disclosure_public_claim_with_amber_evidence(
    kb: KnowledgeBase, people: People
) -> None:
    kb.bulk_create([actor("fbi"), actor("state-kp"), incident("sony")], SYSTEM)
    kb.create(claim("c1", "fbi", "sony", "state-kp"), people.ministry)
    kb.create(
        {
            "id": "ev1",
            "kind": "evidence",
            "marking": "AMBER",
            "shares": ["firm"],
            "data": {"about": "c1", "content": "malware overlap", "kind": "technical"},
            "sources": [source()],
        },
        people.ministry,
    )
    assert _sees(kb, ANONYMOUS, "c1")
    assert _sees(kb, people.firm, "ev1")
    assert not _sees(kb, people.ngo, "ev1")
    assert not _sees(kb, ANONYMOUS, "ev1")


def test_counts_only_count_what_the_caller_sees(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("x", Marking.AMBER), people.ministry)
    kb.create(_marked("y", Marking.CLEAR), people.ministry)
    everyone = kb.count(ANONYMOUS)["actor"]
    assert kb.count(people.ministry)["actor"] == everyone + 1
    assert kb.count(people.ngo)["actor"] == everyone


def test_share_list_shown_to_owner_only(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("x", Marking.AMBER, shares=["firm"]), people.ministry)
    assert kb.get("x", people.ministry).shares == ("firm",)
    assert kb.get("x", people.firm).shares == ()


def test_history_shows_only_revisions_the_reader_was_entitled_to(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(
        _marked("x", Marking.RED, readers=[people.ministry_reviewer.user_id]), people.ministry
    )
    kb.set_marking("x", people.ministry_reviewer, Marking.CLEAR)
    assert [h.revision for h in kb.history("x", ANONYMOUS)] == [2]
    assert [h.revision for h in kb.history("x", people.ministry)] == [1, 2]


def test_only_owner_reviewers_may_loosen_a_marking(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("x", Marking.AMBER, shares=["firm"]), people.ministry)
    with pytest.raises(Forbidden):
        kb.set_marking("x", people.ministry, Marking.GREEN)
    with pytest.raises(Forbidden):
        kb.set_marking("x", people.firm, Marking.GREEN)
    kb.set_marking("x", people.ministry, Marking.AMBER_STRICT)  # tightening: any contributor
    assert kb.get("x", people.ministry).marking is Marking.AMBER_STRICT
    declassified = kb.set_marking("x", people.ministry_reviewer, Marking.CLEAR)
    assert declassified.marking is Marking.CLEAR


def test_only_owner_contributors_may_edit(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("x", Marking.GREEN), people.ministry)
    with pytest.raises(Forbidden):
        kb.update("x", people.firm, data={"aliases": ["y"]})
    with pytest.raises(Forbidden):
        kb.update("x", people.ministry_reader, data={"aliases": ["y"]})
    assert kb.update("x", people.ministry, data={"aliases": ["y"]}).revision == 2


def test_readers_cannot_create(kb: KnowledgeBase, people: People) -> None:
    with pytest.raises(Forbidden):
        kb.create(actor("x"), people.ministry_reader)
    with pytest.raises(Forbidden):
        kb.create(actor("x"), ANONYMOUS)


def test_reference_to_a_record_the_author_cannot_see_is_unknown(
    kb: KnowledgeBase, people: People
) -> None:
    kb.bulk_create([actor("fbi"), actor("state-kp")], SYSTEM)
    kb.create({**incident("secret"), "marking": "AMBER+STRICT"}, people.ministry)
    from accord.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        kb.create(claim("c1", "fbi", "secret", "state-kp"), people.firm)
    assert "does not exist" in err.value.message


def test_claim_hidden_again_when_its_end_is_remarked(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("victim", Marking.CLEAR), people.ministry)
    kb.bulk_create([actor("fbi"), incident("sony")], SYSTEM)
    kb.create(claim("c1", "fbi", "sony", "victim"), people.firm)
    kb.create(
        {
            "id": "ev1",
            "kind": "evidence",
            "data": {"about": "c1", "content": "overlap"},
            "sources": [source()],
        },
        people.firm,
    )
    assert _sees(kb, ANONYMOUS, "c1")
    assert _sees(kb, ANONYMOUS, "ev1")
    kb.set_marking("victim", people.ministry, Marking.AMBER)
    assert not _sees(kb, ANONYMOUS, "c1")
    assert not _sees(kb, ANONYMOUS, "ev1")
    assert not _sees(kb, people.ngo, "ev1")
    assert _sees(kb, people.ministry, "ev1")
    kb.set_marking("victim", people.ministry_reviewer, Marking.GREEN)
    assert not _sees(kb, ANONYMOUS, "ev1")
    assert _sees(kb, people.ngo, "ev1")
    kb.set_marking("victim", people.ministry_reviewer, Marking.CLEAR)
    assert _sees(kb, ANONYMOUS, "ev1")


def test_claim_on_a_draft_end_follows_publication(kb: KnowledgeBase, people: People) -> None:
    kb.bulk_create([actor("fbi"), actor("state-kp")], SYSTEM)
    kb.create({**incident("leak"), "status": "draft"}, people.ministry)
    kb.create(claim("c1", "fbi", "leak", "state-kp"), people.ministry)
    assert not _sees(kb, people.ngo, "c1")
    kb.publish("leak", people.ministry_reviewer)
    assert _sees(kb, people.ngo, "c1")
    assert _sees(kb, ANONYMOUS, "c1")


def test_owner_can_still_remark_a_record_pointing_to_what_they_no_longer_see(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(_marked("victim", Marking.AMBER, shares=["firm"]), people.ministry)
    kb.create(incident("hack", target_actors=["victim"]), people.firm)
    kb.set_sharing("victim", people.ministry, shares=[])
    tightened = kb.set_marking("hack", people.firm, Marking.AMBER)
    assert tightened.marking is Marking.AMBER
    assert kb.history("hack", people.firm)[-1].record.data.model_dump()["target_actors"] == ()
    edited = kb.update("hack", people.firm, data={"aliases": ["the hack"]})
    assert edited.revision == 3
    with pytest.raises(InvalidInput):  # a *new* link must still be visible to its author
        kb.update("hack", people.firm, data={"target_actors": ["victim", "nowhere"]})
    with kb.engine.connect() as conn:  # the link itself is kept for those who may see it
        links = conn.execute(
            sa.select(record_refs.c.target_id).where(record_refs.c.record_id == "hack")
        ).all()
    assert [t for (t,) in links] == ["victim"]
