"""Each sharing rule of DESIGN.md section 4, as its own test, and the write rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from alembic import command

from accord import accounts
from accord.access import ANONYMOUS, SYSTEM, Viewer
from accord.domain.vocab import Marking, Sector, Status, UserRole
from accord.errors import BadRequest, Conflict, Forbidden, InvalidInput, NotFound
from accord.kb import KnowledgeBase
from accord.store import migrate
from accord.store.schema import audit_log, record_refs, records
from tests.conftest import actor, claim, incident, source


@dataclass
class People:
    """Users of three organisations: ministry (owner), firm (partner), ngo (outsider).

    Records a test needs published are created by a reviewer: a contributor's are drafts."""

    ministry: Viewer
    ministry_reviewer: Viewer
    ministry_reader: Viewer
    firm: Viewer
    firm_reviewer: Viewer
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
        firm_reviewer=user("lead@firm.example", "firm", UserRole.REVIEWER),
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
    kb.create(_marked("ministry.x", Marking.CLEAR), people.ministry_reviewer)
    assert _sees(kb, ANONYMOUS, "ministry.x")


def test_green_is_visible_to_every_signed_in_user_only(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("ministry.x", Marking.GREEN), people.ministry_reviewer)
    assert not _sees(kb, ANONYMOUS, "ministry.x")
    assert _sees(kb, people.ngo, "ministry.x")


def test_amber_is_visible_to_owner_and_share_list(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("ministry.x", Marking.AMBER, shares=["firm"]), people.ministry_reviewer)
    assert _sees(kb, people.ministry_reader, "ministry.x")
    assert _sees(kb, people.firm, "ministry.x")
    assert not _sees(kb, people.ngo, "ministry.x")
    assert not _sees(kb, ANONYMOUS, "ministry.x")


def test_amber_strict_is_visible_to_owner_and_the_organisations_it_names(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(
        _marked("ministry.x", Marking.AMBER_STRICT, shares=["firm"]), people.ministry_reviewer
    )
    kb.create(_marked("ministry.y", Marking.AMBER_STRICT), people.ministry_reviewer)
    assert _sees(kb, people.ministry_reader, "ministry.x")
    assert _sees(kb, people.firm, "ministry.x")
    assert not _sees(kb, people.ngo, "ministry.x")
    assert not _sees(kb, people.firm, "ministry.y")


def test_amber_strict_recipient_cannot_pass_it_on(kb: KnowledgeBase, people: People) -> None:
    kb.create(
        _marked("ministry.x", Marking.AMBER_STRICT, shares=["firm"]), people.ministry_reviewer
    )
    with pytest.raises(Forbidden):
        kb.set_sharing("ministry.x", people.firm_reviewer, shares=["firm", "ngo"])
    assert not _sees(kb, people.ngo, "ministry.x")


def test_red_is_visible_to_named_users_only(kb: KnowledgeBase, people: People) -> None:
    kb.create(
        _marked("ministry.x", Marking.RED, readers=[people.firm.user_id]), people.ministry_reviewer
    )
    assert _sees(kb, people.ministry_reviewer, "ministry.x")  # the author is named automatically
    assert _sees(kb, people.firm, "ministry.x")
    assert not _sees(kb, people.ministry_reader, "ministry.x")


def test_draft_is_visible_to_its_organisation_until_published(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(_marked("ministry.x", Marking.CLEAR, status="draft"), people.ministry)
    assert _sees(kb, people.ministry_reader, "ministry.x")
    assert not _sees(kb, ANONYMOUS, "ministry.x")
    with pytest.raises(Forbidden):
        kb.publish("ministry.x", people.ministry)
    kb.publish("ministry.x", people.ministry_reviewer)
    assert _sees(kb, ANONYMOUS, "ministry.x")


def test_contributor_record_is_a_draft_whatever_the_request_says(
    kb: KnowledgeBase, people: People
) -> None:
    kb.bulk_create([actor("fbi"), actor("state-kp"), incident("sony")], SYSTEM)
    made = kb.create(
        {**claim("ministry.c1", "fbi", "sony", "state-kp"), "status": "published"},
        people.ministry,
    )
    assert made.status is Status.DRAFT
    assert not _sees(kb, ANONYMOUS, "ministry.c1")
    assert not _sees(kb, people.ngo, "ministry.c1")
    bulk = kb.bulk_create([_marked("ministry.y", Marking.CLEAR)], people.ministry)
    assert bulk.created == ["ministry.y"]
    assert kb.get("ministry.y", people.ministry).status is Status.DRAFT
    reviewed = kb.create(_marked("ministry.z", Marking.CLEAR), people.ministry_reviewer)
    assert reviewed.status is Status.PUBLISHED


def test_contributor_cannot_publish_through_an_upsert(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("ministry.x", Marking.CLEAR), people.ministry)
    changed = {**_marked("ministry.x", Marking.CLEAR), "status": "published"}
    changed["data"] = {**changed["data"], "aliases": ["X"]}  # type: ignore[dict-item]
    kb.bulk_create([changed], people.ministry, upsert=True)
    assert kb.get("ministry.x", people.ministry).status is Status.DRAFT
    kb.set_marking("ministry.x", people.ministry, Marking.AMBER)
    with pytest.raises(Forbidden):  # loosening through an upsert needs a reviewer too
        kb.bulk_create([_marked("ministry.x", Marking.CLEAR)], people.ministry, upsert=True)


def test_contributor_cannot_change_a_published_record(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("ministry.x", Marking.CLEAR), people.ministry_reviewer)
    with pytest.raises(Forbidden):
        kb.update("ministry.x", people.ministry, data={"aliases": ["unreviewed"]})
    assert kb.update("ministry.x", people.ministry_reviewer, data={"aliases": ["y"]}).revision == 2


def test_ids_live_in_their_organisation_namespace(kb: KnowledgeBase, people: People) -> None:
    with pytest.raises(InvalidInput) as err:
        kb.create(_marked("x", Marking.CLEAR), people.ministry)
    assert "start with 'ministry.'" in err.value.message
    with pytest.raises(InvalidInput):
        kb.create(_marked("firm.x", Marking.CLEAR), people.ministry)
    with pytest.raises(InvalidInput):
        kb.create(_marked("ministry.x", Marking.CLEAR), SYSTEM)
    assigned = kb.create({k: v for k, v in actor("x").items() if k != "id"}, people.ministry)
    assert assigned.id.startswith("ministry.actor-")


def test_an_id_taken_by_a_hidden_record_answers_like_any_taken_id(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(_marked("ministry.hidden", Marking.RED), people.ministry_reviewer)
    kb.create(_marked("ministry.seen", Marking.GREEN), people.ministry_reviewer)
    outcomes = []
    for rid in ("ministry.hidden", "ministry.seen"):
        with pytest.raises(Conflict) as err:  # different content from what is stored
            kb.bulk_create(
                [{**_marked(rid, Marking.GREEN), "data": {"name": "guess", "kind": "state"}}],
                people.ministry,
            )
        outcomes.append(err.value.message)
    with pytest.raises(Conflict) as err:  # an exact guess of the hidden content
        kb.bulk_create([_marked("ministry.hidden", Marking.RED)], people.ministry)
    outcomes.append(err.value.message)
    assert len(set(outcomes)) == 1


def test_claim_is_hidden_when_an_end_is_hidden(kb: KnowledgeBase, people: People) -> None:
    kb.bulk_create([actor("fbi"), actor("state-kp"), incident("sony")], SYSTEM)
    writer = people.ministry_reviewer
    kb.create(_marked("ministry.victim", Marking.AMBER), writer)
    kb.create(claim("ministry.c-public", "fbi", "sony", "state-kp"), writer)
    kb.create(claim("ministry.c-hidden", "fbi", "sony", "ministry.victim"), writer)
    assert _sees(kb, people.ngo, "ministry.c-public")
    assert not _sees(kb, people.ngo, "ministry.c-hidden")
    found = [h.record.id for h in kb.search("sony", people.ngo, limit=50)]
    assert found == ["sony", "ministry.c-public"]


def test_entity_hides_references_to_hidden_records(kb: KnowledgeBase, people: People) -> None:
    writer = people.ministry_reviewer
    kb.create(_marked("ministry.victim", Marking.AMBER), writer)
    kb.create(incident("ministry.hack", target_actors=["ministry.victim"]), writer)
    targets = kb.get("ministry.hack", people.ministry).data.model_dump()["target_actors"]
    assert targets == ("ministry.victim",)
    assert kb.get("ministry.hack", people.ngo).data.model_dump()["target_actors"] == ()


def test_split_disclosure_public_claim_with_amber_evidence(
    kb: KnowledgeBase, people: People
) -> None:
    kb.bulk_create([actor("fbi"), actor("state-kp"), incident("sony")], SYSTEM)
    kb.create(claim("ministry.c1", "fbi", "sony", "state-kp"), people.ministry_reviewer)
    kb.create(
        {
            "id": "ministry.ev1",
            "kind": "evidence",
            "marking": "AMBER",
            "shares": ["firm"],
            "data": {"about": "ministry.c1", "content": "malware overlap", "kind": "technical"},
            "sources": [source()],
        },
        people.ministry_reviewer,
    )
    assert _sees(kb, ANONYMOUS, "ministry.c1")
    assert _sees(kb, people.firm, "ministry.ev1")
    assert not _sees(kb, people.ngo, "ministry.ev1")
    assert not _sees(kb, ANONYMOUS, "ministry.ev1")


def test_counts_only_count_what_the_caller_sees(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("ministry.x", Marking.AMBER), people.ministry_reviewer)
    kb.create(_marked("ministry.y", Marking.CLEAR), people.ministry_reviewer)
    everyone = kb.count(ANONYMOUS)["actor"]
    members = kb.count(people.ngo)["actor"]
    assert members == everyone + 3  # the three organisations are not listed: GREEN actors
    assert kb.count(people.ministry)["actor"] == members + 1


def test_share_list_shown_to_owner_only(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("ministry.x", Marking.AMBER, shares=["firm"]), people.ministry)
    kb.publish("ministry.x", people.ministry_reviewer)
    assert kb.get("ministry.x", people.ministry).shares == ("firm",)
    assert kb.get("ministry.x", people.firm).shares == ()


def test_history_shows_only_revisions_the_reader_was_entitled_to(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(
        _marked("ministry.x", Marking.RED, readers=[people.ministry.user_id]),
        people.ministry_reviewer,
    )
    kb.set_marking("ministry.x", people.ministry_reviewer, Marking.CLEAR)
    assert [h.revision for h in kb.history("ministry.x", ANONYMOUS)] == [1]
    assert [h.revision for h in kb.history("ministry.x", people.ministry)] == [1, 2]


def test_outsiders_count_only_the_revisions_they_may_see(kb: KnowledgeBase, people: People) -> None:
    """Two draft revisions before publication and one after: the owner sees revisions 1-4,
    anyone else two revisions, numbered 1 and 2, wherever a number is shown."""
    kb.create(actor("ministry.x"), people.ministry)
    kb.update("ministry.x", people.ministry, data={"name": "Second draft"})
    kb.publish("ministry.x", people.ministry_reviewer)
    kb.update("ministry.x", people.ministry_reviewer, data={"name": "Corrected"})
    assert kb.get("ministry.x", people.ministry).revision == 4
    assert [h.revision for h in kb.history("ministry.x", people.ministry)] == [1, 2, 3, 4]
    for outsider in (ANONYMOUS, people.firm):
        assert kb.get("ministry.x", outsider).revision == 2
        assert kb.get_many(["ministry.x"], outsider)["ministry.x"].revision == 2
        assert [h.revision for h in kb.history("ministry.x", outsider)] == [1, 2]
        assert kb.get("ministry.x", outsider, revision=1).data.name == "Second draft"
        with pytest.raises(NotFound):
            kb.get("ministry.x", outsider, revision=3)


def test_only_owner_reviewers_may_loosen_a_marking(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("ministry.x", Marking.AMBER, shares=["firm"]), people.ministry_reviewer)
    with pytest.raises(Forbidden):
        kb.set_marking("ministry.x", people.ministry, Marking.GREEN)
    with pytest.raises(Forbidden):
        kb.set_marking("ministry.x", people.firm, Marking.GREEN)
    kb.set_marking("ministry.x", people.ministry, Marking.AMBER_STRICT)  # tightening
    assert kb.get("ministry.x", people.ministry).marking is Marking.AMBER_STRICT
    declassified = kb.set_marking("ministry.x", people.ministry_reviewer, Marking.CLEAR)
    assert declassified.marking is Marking.CLEAR


def test_widening_a_share_list_is_a_reviewers_declassification(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(_marked("ministry.x", Marking.AMBER, shares=["firm"]), people.ministry_reviewer)
    with pytest.raises(Forbidden):
        kb.set_sharing("ministry.x", people.ministry, shares=["firm", "ngo"])
    assert not _sees(kb, people.ngo, "ministry.x")
    kb.set_sharing("ministry.x", people.ministry, shares=[])  # narrowing: any contributor
    assert not _sees(kb, people.firm, "ministry.x")
    kb.set_sharing("ministry.x", people.ministry_reviewer, shares=["ngo"])
    assert _sees(kb, people.ngo, "ministry.x")
    with kb._engine.connect() as conn:
        entries = [
            action
            for (action,) in conn.execute(
                sa.select(audit_log.c.action)
                .where(audit_log.c.record_id == "ministry.x")
                .order_by(audit_log.c.revision)
            )
        ]
    assert entries == ["create", "share", "declassify"]


def test_named_readers_change_only_by_a_reviewer(kb: KnowledgeBase, people: People) -> None:
    kb.create(
        _marked("ministry.x", Marking.RED, readers=[people.ministry.user_id]),
        people.ministry_reviewer,
    )
    with pytest.raises(Forbidden):  # adding a reader widens the audience
        kb.set_sharing(
            "ministry.x", people.ministry, readers=[people.ministry.user_id, people.ngo.user_id]
        )
    with pytest.raises(Forbidden):  # removing a colleague locks them out
        kb.set_sharing("ministry.x", people.ministry, readers=[people.ministry.user_id])
    with pytest.raises(BadRequest):  # nobody removes themselves and then answers 404
        kb.set_sharing("ministry.x", people.ministry_reviewer, readers=[people.ministry.user_id])
    assert _sees(kb, people.ministry_reviewer, "ministry.x")


def test_contributor_cannot_lock_colleagues_out_with_red(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("ministry.x", Marking.AMBER), people.ministry_reviewer)
    with pytest.raises(Forbidden):
        kb.set_marking("ministry.x", people.ministry, Marking.RED)
    assert _sees(kb, people.ministry_reader, "ministry.x")


def test_only_owner_contributors_may_edit(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("ministry.x", Marking.GREEN), people.ministry)  # a draft
    kb.create(_marked("ministry.y", Marking.GREEN), people.ministry_reviewer)
    with pytest.raises(Forbidden):
        kb.update("ministry.y", people.firm_reviewer, data={"aliases": ["y"]})
    with pytest.raises(NotFound):  # another organisation's draft is not even visible
        kb.update("ministry.x", people.firm, data={"aliases": ["y"]})
    with pytest.raises(Forbidden):
        kb.update("ministry.x", people.ministry_reader, data={"aliases": ["y"]})
    assert kb.update("ministry.x", people.ministry, data={"aliases": ["y"]}).revision == 2


def test_readers_cannot_create(kb: KnowledgeBase, people: People) -> None:
    with pytest.raises(Forbidden):
        kb.create(actor("ministry.x"), people.ministry_reader)
    with pytest.raises(Forbidden):
        kb.create(actor("x"), ANONYMOUS)


def test_reference_to_a_record_the_author_cannot_see_is_unknown(
    kb: KnowledgeBase, people: People
) -> None:
    kb.bulk_create([actor("fbi"), actor("state-kp")], SYSTEM)
    kb.create({**incident("ministry.secret"), "marking": "AMBER+STRICT"}, people.ministry)
    with pytest.raises(InvalidInput) as err:
        kb.create(claim("firm.c1", "fbi", "ministry.secret", "state-kp"), people.firm)
    assert "does not exist" in err.value.message


def test_claim_hidden_again_when_its_end_is_remarked(kb: KnowledgeBase, people: People) -> None:
    kb.create(_marked("ministry.victim", Marking.CLEAR), people.ministry_reviewer)
    kb.bulk_create([actor("fbi"), incident("sony")], SYSTEM)
    kb.create(claim("firm.c1", "fbi", "sony", "ministry.victim"), people.firm_reviewer)
    kb.create(
        {
            "id": "firm.ev1",
            "kind": "evidence",
            "data": {"about": "firm.c1", "content": "overlap"},
            "sources": [source()],
        },
        people.firm_reviewer,
    )
    assert _sees(kb, ANONYMOUS, "firm.c1")
    assert _sees(kb, ANONYMOUS, "firm.ev1")
    kb.set_marking("ministry.victim", people.ministry, Marking.AMBER)
    assert not _sees(kb, ANONYMOUS, "firm.c1")
    assert not _sees(kb, ANONYMOUS, "firm.ev1")
    assert not _sees(kb, people.ngo, "firm.ev1")
    assert _sees(kb, people.ministry, "firm.ev1")
    kb.set_marking("ministry.victim", people.ministry_reviewer, Marking.GREEN)
    assert not _sees(kb, ANONYMOUS, "firm.ev1")
    assert _sees(kb, people.ngo, "firm.ev1")
    kb.set_marking("ministry.victim", people.ministry_reviewer, Marking.CLEAR)
    assert _sees(kb, ANONYMOUS, "firm.ev1")


def test_claim_on_a_draft_end_follows_publication(kb: KnowledgeBase, people: People) -> None:
    kb.bulk_create([actor("fbi"), actor("state-kp")], SYSTEM)
    kb.create({**incident("ministry.leak"), "status": "draft"}, people.ministry_reviewer)
    kb.create(claim("ministry.c1", "fbi", "ministry.leak", "state-kp"), people.ministry_reviewer)
    assert not _sees(kb, people.ngo, "ministry.c1")
    kb.publish("ministry.leak", people.ministry_reviewer)
    assert _sees(kb, people.ngo, "ministry.c1")
    assert _sees(kb, ANONYMOUS, "ministry.c1")


def test_owner_can_still_remark_a_record_pointing_to_what_they_no_longer_see(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(_marked("ministry.victim", Marking.AMBER, shares=["firm"]), people.ministry_reviewer)
    kb.create(incident("firm.hack", target_actors=["ministry.victim"]), people.firm)
    kb.set_sharing("ministry.victim", people.ministry, shares=[])
    tightened = kb.set_marking("firm.hack", people.firm, Marking.AMBER)
    assert tightened.marking is Marking.AMBER
    history = kb.history("firm.hack", people.firm)
    assert history[-1].record.data.model_dump()["target_actors"] == ()
    edited = kb.update("firm.hack", people.firm, data={"aliases": ["the hack"]})
    assert edited.revision == 3
    with pytest.raises(InvalidInput):  # a *new* link must still be visible to its author
        kb.update("firm.hack", people.firm, data={"target_actors": ["ministry.victim", "nowhere"]})
    with kb._engine.connect() as conn:  # the link itself is kept for those who may see it
        links = conn.execute(
            sa.select(record_refs.c.target_id).where(record_refs.c.record_id == "firm.hack")
        ).all()
    assert [t for (t,) in links] == ["ministry.victim"]


def test_a_link_written_around_the_store_is_checked_exactly(
    kb: KnowledgeBase, people: People
) -> None:
    """A relationship row written by anything but the store (a repair script, a loader) has a
    link-end summary readers do not trust (the column's default, or a value of the old
    encoding): its ends are checked exactly."""
    kb.bulk_create([actor("fbi"), incident("sony")], SYSTEM)
    kb.create(_marked("ministry.victim", Marking.AMBER), people.ministry_reviewer)
    kb.create(claim("ministry.c1", "fbi", "sony", "ministry.victim"), people.ministry_reviewer)
    for value in ("CLEAR", "GREEN", "COMPLEX", "anything"):
        with kb._engine.begin() as conn:
            conn.execute(sa.update(records).where(records.c.id == "ministry.c1").values(ends=value))
        assert not _sees(kb, ANONYMOUS, "ministry.c1"), value
        assert not _sees(kb, people.ngo, "ministry.c1"), value
        assert _sees(kb, people.ministry_reader, "ministry.c1"), value


def test_migration_0014_keeps_every_link_end_summary(kb: KnowledgeBase, people: People) -> None:
    kb.bulk_create([actor("fbi"), actor("state-kp"), incident("sony")], SYSTEM)
    writer = people.ministry_reviewer
    kb.create(_marked("ministry.amber", Marking.AMBER), writer)
    kb.create(_marked("ministry.green", Marking.GREEN), writer)
    kb.bulk_create(
        [
            claim("ministry.c-public", "fbi", "sony", "state-kp"),
            claim("ministry.c-green", "fbi", "sony", "ministry.green"),
            claim("ministry.c-amber", "fbi", "sony", "ministry.amber"),
        ],
        writer,
    )

    def summaries() -> dict[str, str]:
        with kb._engine.connect() as conn:
            query = sa.select(records.c.id, records.c.ends).where(records.c.id.like("ministry.%"))
            return dict(conn.execute(query).all())

    after = summaries()
    assert after["ministry.c-public"] == "PUBLIC"
    assert after["ministry.c-green"] == "MEMBERS"
    assert after["ministry.c-amber"] == "CHECK"
    config = migrate._config()
    with kb._engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0013")
    assert set(summaries().values()) == {"CLEAR", "GREEN", "COMPLEX"}
    migrate.upgrade(kb._engine)
    assert summaries() == after


def test_who_wrote_a_record_is_shown_to_its_organisation_only(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(_marked("ministry.x", Marking.CLEAR), people.ministry_reviewer)
    kb.update("ministry.x", people.ministry_reviewer, data={"aliases": ["y"]})
    own = kb.get("ministry.x", people.ministry_reader)
    assert own.created_by == own.updated_by == people.ministry_reviewer.user_id
    for outsider in (ANONYMOUS, people.firm):
        seen = kb.get("ministry.x", outsider)
        assert (seen.created_by, seen.updated_by) == (None, None)
        assert {v.changed_by for v in kb.history("ministry.x", outsider)} == {None}
    assert {v.changed_by for v in kb.history("ministry.x", people.ministry_reader)} == {
        people.ministry_reviewer.user_id
    }
