"""Coordination workspaces (issue 18): the state machine, lapses, silence at the deadline, the
envelope, no existence oracle, publication as each organisation's own claim, and the audit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from accord import accounts
from accord.access import ANONYMOUS, SYSTEM, Viewer
from accord.domain.vocab import Kind, Level, Marking, Sector, Stance, UserRole
from accord.errors import BadRequest, Conflict, Forbidden, InvalidInput, NotFound
from accord.kb import KnowledgeBase
from accord.store import migrate
from accord.store.schema import audit_log, workspace_events
from accord.workspaces import service
from accord.workspaces.model import Position, Wording, zone_named
from tests.conftest import FrozenClock, actor, claim, incident

TEXT = "The Government assesses that the GRU was almost certainly responsible for NotPetya."
EMBARGO = "2026-01-20T12:00:00Z"
DEADLINE = "2026-01-18T12:00:00Z"


@dataclass
class World:
    """Four organisations: the owner (ministry), two invitees and an outsider."""

    kb: KnowledgeBase
    clock: FrozenClock
    users: dict[str, Viewer]

    def __getitem__(self, key: str) -> Viewer:
        return self.users[key]


#: What an invitee sees of a workspace before accepting its embargo.
ENVELOPE_KEYS = {
    "id",
    "access",
    "inviter",
    "topic",
    "marking",
    "embargo_end",
    "deadline",
    "state",
    "status",
}


def make_world(kb: KnowledgeBase, clock: FrozenClock) -> World:
    """The ministry, two invitees and an outsider: a reviewer, contributor and reader each."""
    kb.bulk_create([incident("notpetya", "NotPetya"), actor("state-ru", "Russia")], SYSTEM)
    users: dict[str, Viewer] = {}
    for name in ("Ministry", "Second Government", "Security Firm", "Outsider"):
        org = accounts.create_org(kb, name, Sector.GOVERNMENT)
        for role in (UserRole.REVIEWER, UserRole.CONTRIBUTOR, UserRole.READER):
            user = accounts.create_user(kb, f"{role.value}@{org}.example", org, role)
            users[f"{org}/{role.value}"] = user.viewer
    return World(kb, clock, users)


@pytest.fixture
def world(kb: KnowledgeBase, clock: FrozenClock) -> World:
    return make_world(kb, clock)


def _open(w: World, **extra: object) -> str:
    """A workspace of the ministry inviting the second government and the security firm."""
    view = service.create(
        w.kb,
        w["ministry/reviewer"],
        incident="notpetya",
        accused="state-ru",
        level=Level.AGENCY,
        text=TEXT,
        embargo_end=EMBARGO,
        invitees=[
            service.Invitee("second-government", DEADLINE),
            service.Invitee("Security Firm", DEADLINE),
        ],
        **extra,  # type: ignore[arg-type]
    )
    return str(view["id"])


def _state(w: World, ws: str, org: str) -> str:
    view = service.show(w.kb, w["ministry/reviewer"], ws)
    return next(str(p["state"]) for p in view["participants"] if p["org"] == org)


def _at(w: World, text: str) -> None:
    w.clock.now = dt.datetime.fromisoformat(text) - dt.timedelta(seconds=1)


# -- the envelope and who sees what --------------------------------------------------------------


def test_an_invitee_sees_only_the_envelope_before_accepting(world: World) -> None:
    ws = _open(world)
    view = service.show(world.kb, world["second-government/reviewer"], ws)
    assert set(view) == ENVELOPE_KEYS
    assert view["access"] == "envelope"
    assert view["inviter"] == {"org": "ministry", "name": "Ministry"}
    assert view["marking"] == "AMBER+STRICT"
    assert view["embargo_end"] == {"utc": EMBARGO}
    assert view["deadline"] == {"utc": DEADLINE}
    assert view["state"] == "invited"
    shown = json.dumps(view)
    for hidden in ("GRU", "state-ru", "security-firm"):
        assert hidden not in shown


def test_accepting_the_embargo_shows_the_statement_but_not_the_other_participants(
    world: World,
) -> None:
    ws = _open(world)
    view = service.accept_embargo(world.kb, world["second-government/reviewer"], ws)
    assert view["access"] == "participant"
    assert view["statement"]["text"] == TEXT
    assert view["statement"]["accused"] == "state-ru"
    assert len(view["statement"]["content_hash"]) == 64
    assert "participants" not in view
    assert "events" not in view
    assert "security-firm" not in json.dumps(view)


def test_only_an_organisations_reviewers_and_named_users_see_its_invitation(
    world: World,
) -> None:
    ws = _open(world)
    with pytest.raises(NotFound):
        service.show(world.kb, world["second-government/contributor"], ws)
    service.name_users(
        world.kb, world["second-government/reviewer"], ws, ["contributor@second-government.example"]
    )
    assert service.show(world.kb, world["second-government/contributor"], ws)["access"] == (
        "envelope"
    )
    with pytest.raises(NotFound):  # the ministry's contributor is not named either
        service.show(world.kb, world["ministry/contributor"], ws)


def test_naming_a_user_of_another_organisation_is_refused(world: World) -> None:
    ws = _open(world)
    with pytest.raises(InvalidInput):
        service.name_users(
            world.kb, world["second-government/reviewer"], ws, ["reviewer@outsider.example"]
        )


def _attempts(w: World, viewer: Viewer, ws: str) -> list[str]:
    """Every act on a workspace, each answer as (type, message, record field)."""
    acts: list[Callable[[], object]] = [
        lambda: service.show(w.kb, viewer, ws),
        lambda: service.accept_embargo(w.kb, viewer, ws),
        lambda: service.answer(w.kb, viewer, ws, Position.DECLINE),
        lambda: service.revise(w.kb, viewer, ws, text="Changed."),
        lambda: service.invite(w.kb, viewer, ws, service.Invitee("outsider", DEADLINE)),
        lambda: service.name_users(w.kb, viewer, ws, ["x@outsider.example"]),
        lambda: service.publish(w.kb, viewer, ws),
    ]
    answers = []
    for act in acts:
        with pytest.raises(NotFound) as caught:
            act()
        answers.append(f"{type(caught.value).__name__}|{caught.value.message}")
    return answers


@pytest.mark.parametrize("who", ["outsider/reviewer", "ministry/contributor", "anonymous"])
def test_no_one_outside_learns_that_a_workspace_exists(world: World, who: str) -> None:
    ws = _open(world)
    viewer = ANONYMOUS if who == "anonymous" else world[who]
    assert _attempts(world, viewer, ws) == _attempts(world, viewer, "ws-00000000000000000000")
    assert service.list_for(world.kb, viewer) == []


def test_workspaces_never_reach_the_records_read_paths(world: World) -> None:
    before = world.kb.count(world["ministry/reviewer"])
    _open(world, title="Operation Quiet Harbour")
    assert world.kb.count(world["ministry/reviewer"]) == before
    assert world.kb.search("quiet harbour", world["ministry/reviewer"]) == []


def test_only_the_owners_reviewers_manage(world: World) -> None:
    ws = _open(world)
    service.name_users(world.kb, world["ministry/reviewer"], ws, ["contributor@ministry.example"])
    assert service.show(world.kb, world["ministry/contributor"], ws)["participants"]
    for who in ("ministry/contributor", "second-government/reviewer"):
        with pytest.raises(Forbidden):
            service.revise(world.kb, world[who], ws, text="Changed.")
        with pytest.raises(Forbidden):
            service.publish(world.kb, world[who], ws)
    with pytest.raises(Forbidden):
        service.create(
            world.kb,
            world["ministry/contributor"],
            incident="notpetya",
            accused="state-ru",
            level=Level.STATE,
            text=TEXT,
            embargo_end=EMBARGO,
        )


# -- the state machine --------------------------------------------------------------------------


def test_positions_follow_the_state_machine(world: World) -> None:
    ws = _open(world)
    gov_reviewer, gov_contributor = (
        world["second-government/reviewer"],
        world["second-government/contributor"],
    )
    service.name_users(world.kb, gov_reviewer, ws, ["contributor@second-government.example"])
    service.name_users(world.kb, gov_reviewer, ws, ["reader@second-government.example"])
    with pytest.raises(Conflict, match="accept the embargo first"):
        service.answer(world.kb, gov_reviewer, ws, Position.JOIN)
    with pytest.raises(Forbidden):
        service.accept_embargo(world.kb, world["second-government/reader"], ws)
    service.accept_embargo(world.kb, gov_contributor, ws)
    with pytest.raises(Conflict, match="already accepted"):
        service.accept_embargo(world.kb, gov_reviewer, ws)
    with pytest.raises(Forbidden, match="only reviewers"):
        service.answer(world.kb, gov_contributor, ws, Position.JOIN)
    service.answer(world.kb, gov_contributor, ws, Position.ABSTAIN)
    assert _state(world, ws, "second-government") == "abstained"
    service.answer(world.kb, gov_reviewer, ws, Position.JOIN)
    assert _state(world, ws, "second-government") == "joined"
    with pytest.raises(InvalidInput):
        service.answer(world.kb, gov_reviewer, ws, Position.JOIN_WITH_WORDING, Wording())
    # Declining needs no acceptance: the firm never sees the text.
    service.answer(world.kb, world["security-firm/reviewer"], ws, Position.DECLINE)
    assert _state(world, ws, "security-firm") == "declined"
    assert service.show(world.kb, world["security-firm/reviewer"], ws)["access"] == "envelope"
    service.accept_embargo(world.kb, world["security-firm/reviewer"], ws)  # a change of mind
    assert _state(world, ws, "security-firm") == "embargo_accepted"


def test_a_join_is_checked_as_the_claim_it_will_publish(world: World) -> None:
    ws = _open(world)
    gov = world["second-government/reviewer"]
    service.accept_embargo(world.kb, gov, ws)
    own = Wording(
        text="From the territory of Russia.", stance=Stance.ATTRIBUTES, level=Level.TERRITORY
    )
    with pytest.raises(InvalidInput, match="territory"):
        service.answer(world.kb, gov, ws, Position.JOIN_WITH_WORDING, own)
    assert _state(world, ws, "second-government") == "embargo_accepted"


def test_a_revised_text_lapses_every_join_and_keeps_other_positions(world: World) -> None:
    ws = _open(world)
    gov, firm = world["second-government/reviewer"], world["security-firm/reviewer"]
    for viewer in (gov, firm):
        service.accept_embargo(world.kb, viewer, ws)
    service.answer(world.kb, gov, ws, Position.JOIN)
    service.answer(world.kb, firm, ws, Position.ABSTAIN)
    service.answer(world.kb, world["ministry/reviewer"], ws, Position.JOIN)
    view = service.revise(world.kb, world["ministry/reviewer"], ws, text=TEXT + " Revised.")
    assert view["statement"]["revision"] == 2
    assert [r["revision"] for r in view["revisions"]] == [1, 2]
    states = {p["org"]: p["state"] for p in view["participants"]}
    assert states == {
        "ministry": "embargo_accepted",
        "second-government": "embargo_accepted",
        "security-firm": "abstained",
    }
    lapses = [(e["org"], e["from"], e["to"]) for e in view["events"] if e["action"] == "lapse"]
    assert lapses == [
        ("ministry", "joined", "embargo_accepted"),
        ("second-government", "joined", "embargo_accepted"),
    ]
    service.answer(world.kb, gov, ws, Position.JOIN)  # re-affirmed at revision 2
    assert service.show(world.kb, gov, ws)["position"]["position_revision"] == 2


def test_a_new_embargo_end_must_be_accepted_again(world: World) -> None:
    ws = _open(world)
    gov = world["second-government/reviewer"]
    service.accept_embargo(world.kb, gov, ws)
    service.answer(world.kb, gov, ws, Position.JOIN)
    service.revise(world.kb, world["ministry/reviewer"], ws, embargo_end="2026-01-21T12:00:00Z")
    assert _state(world, ws, "second-government") == "invited"
    assert _state(world, ws, "ministry") == "embargo_accepted"
    assert service.show(world.kb, gov, ws)["access"] == "envelope"
    with pytest.raises(BadRequest, match="nothing changed"):
        service.revise(
            world.kb, world["ministry/reviewer"], ws, embargo_end="2026-01-21T13:00+01:00"
        )


def test_silence_at_the_deadline_reads_as_a_decline(world: World) -> None:
    ws = _open(world)
    gov, firm = world["second-government/reviewer"], world["security-firm/reviewer"]
    service.answer(world.kb, firm, ws, Position.DECLINE)
    _at(world, "2026-01-18T11:59:59Z")
    assert _state(world, ws, "second-government") == "invited"
    _at(world, DEADLINE)
    owner_view = service.show(world.kb, world["ministry/reviewer"], ws)
    gov_row = next(p for p in owner_view["participants"] if p["org"] == "second-government")
    assert (gov_row["state"], gov_row["silent"]) == ("declined", True)
    assert service.show(world.kb, gov, ws)["state"] == "declined"
    with pytest.raises(Conflict, match="deadline has passed"):
        service.accept_embargo(world.kb, gov, ws)
    with pytest.raises(Conflict, match="deadline has passed"):  # answers are final too
        service.accept_embargo(world.kb, firm, ws)
    assert _state(world, ws, "security-firm") == "declined"
    # A new deadline from the owner reopens the answer.
    service.invite(
        world.kb, world["ministry/reviewer"], ws, service.Invitee("second-government", EMBARGO)
    )
    assert _state(world, ws, "second-government") == "invited"
    service.accept_embargo(world.kb, gov, ws)


def test_positions_are_final_at_the_embargo_end(world: World) -> None:
    ws = _open(world)
    service.answer(world.kb, world["ministry/reviewer"], ws, Position.JOIN)
    _at(world, EMBARGO)
    with pytest.raises(Conflict, match="embargo has ended"):
        service.answer(world.kb, world["ministry/reviewer"], ws, Position.DECLINE)
    assert _state(world, ws, "ministry") == "joined"


def test_instants_are_exact_across_time_zones(world: World) -> None:
    ws = service.create(
        world.kb,
        world["ministry/reviewer"],
        incident="notpetya",
        accused="state-ru",
        level=Level.STATE,
        text=TEXT,
        embargo_end="2026-01-20T09:00:00-05:00",
        invitees=[service.Invitee("second-government", "2026-01-18T13:00:00+01:00")],
        zone=zone_named("Asia/Tokyo"),
    )
    assert ws["embargo_end"] == {
        "utc": "2026-01-20T14:00:00Z",
        "local": "2026-01-20T23:00:00+09:00",
        "zone": "Asia/Tokyo",
    }
    row = next(p for p in ws["participants"] if p["org"] == "second-government")
    assert row["deadline"]["utc"] == "2026-01-18T12:00:00Z"
    with pytest.raises(InvalidInput, match="offset"):
        service.revise(
            world.kb, world["ministry/reviewer"], ws["id"], embargo_end="2026-01-21T09:00"
        )
    with pytest.raises(InvalidInput, match="after the embargo end"):
        service.invite(
            world.kb,
            world["ministry/reviewer"],
            ws["id"],
            service.Invitee("security-firm", "2026-01-21T00:00Z"),
        )


# -- publication ----------------------------------------------------------------------------------


def _claims(w: World) -> list[dict[str, Any]]:
    found = w.kb.list_records(w["outsider/reviewer"], kind=Kind.CLAIM, limit=100).items
    return [r.to_json() for r in found]


def _three_positions(w: World, ws: str) -> None:
    gov, firm = w["second-government/reviewer"], w["security-firm/reviewer"]
    service.answer(w.kb, w["ministry/reviewer"], ws, Position.JOIN)
    service.accept_embargo(w.kb, gov, ws)
    own = Wording(
        text="The activity came from the territory of Russia.",
        stance=Stance.LOCATES,
        level=Level.TERRITORY,
        confidence_words="highly likely",
        source_url="https://gov.example/statement",
    )
    service.answer(w.kb, gov, ws, Position.JOIN_WITH_WORDING, own)
    service.accept_embargo(w.kb, firm, ws)
    service.answer(w.kb, firm, ws, Position.DECLINE)


def test_publication_makes_each_joined_organisation_its_own_claim(world: World) -> None:
    ws = _open(world)
    _three_positions(world, ws)
    view = service.publish(world.kb, world["ministry/reviewer"], ws)
    assert view["status"] == "published"
    claims = {c["owner"]: c for c in _claims(world)}
    assert set(claims) == {"ministry", "second-government"}
    ministry, gov = claims["ministry"]["data"], claims["second-government"]["data"]
    assert ministry["joint_group"] == gov["joint_group"]
    assert (ministry["summary"], ministry["stance"], ministry["level"]) == (
        TEXT,
        "attributes",
        "agency",
    )
    assert (gov["stance"], gov["level"], gov["confidence_words"]) == (
        "locates",
        "territory",
        "highly likely",
    )
    assert gov["summary"] == "The activity came from the territory of Russia."
    assert claims["second-government"]["sources"][0]["url"] == "https://gov.example/statement"
    assert all(c["marking"] == "CLEAR" and c["status"] == "published" for c in claims.values())
    assert "security" not in json.dumps(list(claims.values())).lower()
    with pytest.raises(Conflict, match="published"):
        service.answer(world.kb, world["security-firm/reviewer"], ws, Position.DECLINE)
    with pytest.raises(NotFound):  # still nothing for outsiders
        service.show(world.kb, world["outsider/reviewer"], ws)


def test_a_late_join_lands_in_the_same_group_with_its_own_date(world: World) -> None:
    ws = _open(world)
    _three_positions(world, ws)  # the firm accepted the embargo, then declined
    service.publish(world.kb, world["ministry/reviewer"], ws)
    _at(world, "2026-01-22T09:00:00Z")
    firm = world["security-firm/reviewer"]
    with pytest.raises(Conflict, match="only a late join"):
        service.answer(world.kb, firm, ws, Position.ABSTAIN)
    view = service.answer(world.kb, firm, ws, Position.JOIN)
    assert view["position"]["claim"]
    claims = {c["owner"]: c["data"] for c in _claims(world)}
    assert claims["security-firm"]["joint_group"] == claims["ministry"]["joint_group"]
    assert claims["security-firm"]["date"] == {"value": "2026-01-22", "precision": "day"}
    assert claims["ministry"]["date"] == {"value": "2026-01-15", "precision": "day"}
    with pytest.raises(Conflict, match="already"):
        service.answer(world.kb, firm, ws, Position.JOIN)
    events = service.show(world.kb, world["ministry/reviewer"], ws)["events"]
    assert [e["action"] for e in events][-2:] == ["position", "late_claim"]


def test_publication_is_all_or_nothing(world: World) -> None:
    kb = world.kb
    ministry = world["ministry/reviewer"]
    kb.create(actor("ministry.apt-x", "APT X", kind="threat_group"), ministry)
    ws = service.create(
        kb,
        ministry,
        incident="notpetya",
        accused="ministry.apt-x",
        level=Level.THREAT_GROUP,
        text=TEXT,
        embargo_end=EMBARGO,
        invitees=[service.Invitee("second-government", DEADLINE)],
    )["id"]
    gov = world["second-government/reviewer"]
    service.answer(kb, ministry, ws, Position.JOIN)
    service.accept_embargo(kb, gov, ws)
    service.answer(kb, gov, ws, Position.JOIN)
    kb.set_marking("ministry.apt-x", ministry, Marking.AMBER)  # now hidden from the partner
    with pytest.raises(InvalidInput):
        service.publish(kb, ministry, ws)
    assert kb.list_records(ministry, kind=Kind.CLAIM).items == []
    assert service.show(kb, ministry, ws)["status"] == "open"


def test_publish_due_publishes_at_the_embargo_end_and_skips_what_nobody_joined(
    world: World,
) -> None:
    joined, empty = _open(world), _open(world)
    service.answer(world.kb, world["ministry/reviewer"], joined, Position.JOIN)
    assert service.publish_due(world.kb) == {"published": [], "skipped": []}
    _at(world, EMBARGO)
    done = service.publish_due(world.kb)
    assert done["published"] == [joined]
    assert [s.split(":")[0] for s in done["skipped"]] == [empty]
    claim = _claims(world)[0]
    assert claim["data"]["date"] == {"value": "2026-01-20", "precision": "day"}


def test_the_owner_sees_the_coordination_lag(world: World) -> None:
    world.kb.bulk_create(
        [
            # a claimant anonymous readers do not see: its CLEAR claim is public all the same
            {**actor("state-gb", "United Kingdom"), "marking": "GREEN"},
            claim("gb-notpetya", "state-gb", "notpetya", "state-ru"),
            # earlier, but shared with the ministry only: not public
            {
                **claim("gb-early", "state-gb", "notpetya", "state-ru", date="2017-07-01"),
                "marking": "AMBER",
                "shares": ["ministry"],
            },
        ],
        SYSTEM,
    )
    assert "gb-early" in world.kb.visible_ids(["gb-early"], world["ministry/reviewer"])
    ws = _open(world)
    _at(world, "2026-01-16T12:00:00Z")
    service.accept_embargo(world.kb, world["second-government/reviewer"], ws)
    service.answer(world.kb, world["second-government/reviewer"], ws, Position.JOIN)
    _at(world, "2026-01-17T00:00:00Z")
    lag = service.publish(world.kb, world["ministry/reviewer"], ws)["lag"]
    assert lag["incident_start"] == {"value": "2017-05", "precision": "month"}
    assert lag["first_public_claim"] == {
        "id": "gb-notpetya",
        "date": {"value": "2017-12-19", "precision": "day"},
    }
    assert set(lag["invited"]) == {"second-government", "security-firm"}
    assert set(lag["accepted"]) == {"second-government"}
    assert lag["published"] == {"utc": "2026-01-17T00:00:00Z"}
    days = lag["days"]
    assert days["invitation_to_acceptance"]["second-government"] == pytest.approx(1.0, abs=0.01)
    assert days["opened_to_published"] == pytest.approx(1.5, abs=0.01)
    assert (
        days["incident_start_to_published"]
        == (dt.datetime(2026, 1, 17, tzinfo=dt.UTC) - dt.datetime(2017, 5, 1, tzinfo=dt.UTC)).days
    )
    with pytest.raises(KeyError):  # participants never see it
        service.show(world.kb, world["second-government/reviewer"], ws)["lag"]


# -- the audit ----------------------------------------------------------------------------------


def test_every_transition_is_an_event_and_an_audit_entry(world: World) -> None:
    ws = _open(world)
    _three_positions(world, ws)
    service.publish(world.kb, world["ministry/reviewer"], ws)
    events = service.show(world.kb, world["ministry/reviewer"], ws)["events"]
    moves = [(e["action"], e["org"], e["from"], e["to"]) for e in events]
    assert moves[:4] == [
        ("create", "ministry", None, "open"),
        ("accept_embargo", "ministry", None, "embargo_accepted"),
        ("invite", "second-government", None, "invited"),
        ("invite", "security-firm", None, "invited"),
    ]
    assert ("position", "second-government", "embargo_accepted", "joined_with_wording") in moves
    assert ("position", "security-firm", "embargo_accepted", "declined") in moves
    assert moves[-1] == ("publish", "ministry", "open", "published")
    assert all(e["user"] and e["at"]["utc"] for e in events[:-1])
    with world.kb._engine.connect() as conn:
        audited = conn.execute(
            sa.select(audit_log.c.action, audit_log.c.user_id)
            .where(audit_log.c.record_id == ws)
            .order_by(audit_log.c.seq)
        ).all()
        stored = conn.execute(
            sa.select(sa.func.count())
            .select_from(workspace_events)
            .where(workspace_events.c.workspace_id == ws)
        ).scalar_one()
    assert [a for a, _ in audited] == [f"workspace.{e['action']}" for e in events]
    assert len(audited) == stored == len(events)
    assert world.kb.verify_audit().ok


def test_migration_0017_goes_down_and_up(kb: KnowledgeBase) -> None:
    tables = {
        "workspaces",
        "workspace_statements",
        "workspace_participants",
        "workspace_members",
        "workspace_events",
    }
    config = migrate._config()
    with kb._engine.begin() as conn:
        assert tables <= set(sa.inspect(conn).get_table_names())
        config.attributes["connection"] = conn
        command.downgrade(config, "0016")
        assert not tables & set(sa.inspect(conn).get_table_names())
    migrate.upgrade(kb._engine)
    with kb._engine.connect() as conn:
        assert tables <= set(sa.inspect(conn).get_table_names())
