"""The leak property for workspaces, over random runs: whatever the organisations do, after each
step no one outside a workspace learns it exists, an invitee sees only the envelope until its
organisation accepts the embargo, no participant sees another (unless the owner shows who is
invited, or that one shows its position), evidence reaches only the organisations it is shared
with and a thread only its members, every notification reaches only users who see the
workspace and carries none of its content, and publication names only the organisations that
joined (and, after an early end, confirmed)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from typing import Any

import hypothesis
import hypothesis.strategies as st
import pytest

from accord import accounts
from accord.access import ANONYMOUS, SYSTEM, Viewer
from accord.domain.vocab import Kind, Level, Sector, Stance, UserRole
from accord.errors import AccordError, Forbidden, NotFound
from accord.kb import KnowledgeBase
from accord.workspaces import notify, service
from accord.workspaces.model import Position, Wording
from tests.conftest import FrozenClock, actor, incident
from tests.test_workspaces import ENVELOPE_KEYS

ORGS = ("ministry", "second-government", "security-firm", "outsider")
INVITED = ("second-government", "security-firm")
ROLES = (UserRole.REVIEWER, UserRole.CONTRIBUTOR, UserRole.READER)
USERS = tuple(f"{role.value}@{org}.example" for org in ORGS for role in ROLES)
REVIEWERS = tuple(u for u in USERS if u.startswith("reviewer@"))
START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
MISSING = "ws-00000000000000000000"

#: One step: (act, acting user, a number picking a variant).
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            (
                "accept",
                "join",
                "join_with_wording",
                "abstain",
                "decline",
                "revise_text",
                "revise_embargo",
                "name",
                "invite",
                "wait",
                "publish",
                "evidence",
                "comment",
                "thread",
                "show_invitees",
                "show_position",
                "end_embargo",
                "confirm",
                "withdraw",
                "publish_due",
            )
        ),
        # Half the steps by a reviewer: most acts need one, and refusals alone prove little.
        st.one_of(st.sampled_from(USERS), st.sampled_from(REVIEWERS)),
        st.integers(0, 11),
    ),
    min_size=3,
    max_size=16,
)
#: Markers of content limited to some organisations: EV[0+2] (evidence), PRIV[1+3] (a thread),
#: by the organisations' indexes in ORGS.
MARKER = re.compile(r"(EV|PRIV)\[([0-9+]+)\]")


@pytest.fixture
def viewers(kb: KnowledgeBase) -> dict[str, Viewer]:
    kb.bulk_create([incident("notpetya", "NotPetya"), actor("state-ru", "Russia")], SYSTEM)
    found = {}
    for name in ORGS:
        org = accounts.create_org(kb, name.replace("-", " ").title(), Sector.GOVERNMENT)
        for role in ROLES:
            user = accounts.create_user(kb, f"{role.value}@{org}.example", org, role)
            found[user.email] = user.viewer
    return found


def _act(kb: KnowledgeBase, viewer: Viewer, ws: str, act: str, n: int, clock: FrozenClock) -> None:
    if act == "accept":
        service.accept_embargo(kb, viewer, ws)
    elif act in ("join", "abstain", "decline"):
        service.answer(kb, viewer, ws, Position(act))
    elif act == "join_with_wording":
        own = Wording(text=f"Own wording {n}.", stance=Stance.LOCATES, level=Level.TERRITORY)
        service.answer(kb, viewer, ws, Position.JOIN_WITH_WORDING, own)
    elif act == "revise_text":
        service.revise(kb, viewer, ws, text=f"SECRET-{ws} revised {n}")
    elif act == "revise_embargo":
        service.revise(kb, viewer, ws, embargo_end=START + dt.timedelta(days=5, hours=n + 1))
    elif act == "name":
        service.name_users(kb, viewer, ws, [USERS[n]])
    elif act == "invite":
        deadline = START + dt.timedelta(days=3, hours=n)
        service.invite(kb, viewer, ws, service.Invitee(ORGS[n % len(ORGS)], deadline))
    elif act == "wait":
        clock.now += dt.timedelta(hours=12 * (n + 1))
    elif act == "evidence":
        target = _target(viewer, n)
        audience = {"ministry", str(viewer.org_id), target}
        shared = [target] if n % 4 else None
        text = f"EV[{_codes(audience)}] SECRET" if shared else "EV[all] SECRET"
        service.add_evidence(kb, viewer, ws, title=f"e{n}", text=text, shared_with=shared)
    elif act == "comment":
        service.post_comment(kb, viewer, ws, f"SECRET official {n}")
    elif act == "thread":
        target = _target(viewer, n)
        members = {str(viewer.org_id), target}
        service.post_comment(
            kb, viewer, ws, f"PRIV[{_codes(members)}] SECRET", title=f"t{n}", orgs=[target]
        )
    elif act == "show_invitees":
        service.set_show_invitees(kb, viewer, ws, n % 2 == 0)
    elif act == "show_position":
        service.set_show_position(kb, viewer, ws, n % 3 != 0)
    elif act == "end_embargo":
        until = clock.now + dt.timedelta(hours=n + 1)
        service.end_embargo(kb, viewer, ws, reason="SECRET reason", confirm_by=until)
    elif act in ("confirm", "withdraw"):
        service.answer_early_end(kb, viewer, ws, act == "confirm")
    elif act == "publish_due":
        service.publish_due(kb)
    else:
        service.publish(kb, viewer, ws)


def _target(viewer: Viewer, n: int) -> str:
    """An organisation to share with: mostly one the actor may name (the owner names the
    invitees, an invitee the owner), at times one it may not (the outsider)."""
    if n % 5 == 4:
        return "outsider"
    return INVITED[n % 2] if viewer.org_id == "ministry" else "ministry"


def _codes(orgs: set[str]) -> str:
    return "+".join(str(ORGS.index(o)) for o in sorted(orgs, key=ORGS.index))


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every e-mail (address, subject and body) and webhook body notifications send."""
    sent: list[tuple[str, str]] = []

    def mail(mails: Any) -> int:
        sent.extend((address, m.subject + "\n" + m.body) for address, m in mails)
        return len(mails)

    monkeypatch.setattr(notify, "send_mail", mail)
    monkeypatch.setattr(notify, "post_webhook", lambda url, secret, body: True)
    return sent


def _check_mail(
    kb: KnowledgeBase, viewers: dict[str, Viewer], ws: str, sent: list[tuple[str, str]]
) -> None:
    """Each e-mail went to a user who sees the workspace, and says nothing of its content."""
    for address, text in sent:
        assert address in viewers, address
        assert _refusal(kb, viewers[address], ws) is None, f"{address} was told of {ws}"
        assert f"[Accord {ws}]" in text
        assert "SECRET" not in text
        own = str(viewers[address].org_id)
        assert not [o for o in ORGS if o not in (own, "ministry") and o in text]
    sent.clear()


def _limited(kb: KnowledgeBase, viewer: Viewer, ws: str) -> str:
    """Everything of the evidence and the discussion the viewer is shown (read, not marked)."""
    try:
        evidence = service.list_evidence(kb, viewer, ws)
        threads = service.list_threads(kb, viewer, ws)
    except Forbidden:
        return ""
    read = [
        service.read_thread(kb, viewer, ws, t["id"], mark_seen=False) for t in threads if t["id"]
    ]
    return json.dumps([evidence, threads, read])


def _refusal(kb: KnowledgeBase, viewer: Viewer, ws: str) -> str | None:
    try:
        service.show(kb, viewer, ws)
    except NotFound as exc:
        return exc.message
    return None


def _check(kb: KnowledgeBase, viewers: dict[str, Viewer], ws: str) -> dict[str, Any]:
    """Every user's view of the workspace holds the invariants; returns the owner's view."""
    owner = service.show(kb, viewers["reviewer@ministry.example"], ws)
    owner["board"] = service.dashboard(kb, viewers["reviewer@ministry.example"], ws)
    rows = {p["org"]: p for p in owner["participants"]}
    missing = _refusal(kb, ANONYMOUS, MISSING)
    assert missing == "no such workspace"
    assert _refusal(kb, ANONYMOUS, ws) == missing
    for email, viewer in viewers.items():
        org = str(viewer.org_id)
        refused = _refusal(kb, viewer, ws)
        if refused is not None:
            assert refused == missing
            assert _refusal(kb, viewer, MISSING) == missing
            continue
        view = service.show(kb, viewer, ws)
        assert org in rows, f"{email} sees a workspace its organisation is not in"
        limited = _limited(kb, viewer, ws)
        for _, members in MARKER.findall(limited):
            assert str(ORGS.index(org)) in members.split("+"), f"{email} sees {members}"
        shown = json.dumps(view) + limited
        if org == "ministry":
            continue
        others = [o for o in rows if o not in (org, "ministry") and o not in _named(owner, o)]
        assert not [o for o in others if o in shown], f"{email} sees another participant"
        if view["access"] == "envelope":
            assert set(view) == ENVELOPE_KEYS
            assert "SECRET" not in shown
            assert limited == ""
            assert not rows[org]["embargo_accepted"]
        else:
            assert view["access"] == "participant"
            assert rows[org]["embargo_accepted"]
            assert "participants" not in view
    return owner


def _named(owner: dict[str, Any], org: str) -> set[str]:
    """``{org}`` when participants may see it named: the owner shows who is invited, or it
    shows its position and has joined or abstained (never a decline); else nothing."""
    board = {p["org"]: p for p in owner["board"]["participants"]}
    row = next(p for p in owner["participants"] if p["org"] == org)
    shows = board[org]["shows_position"] and row["state"] in (
        "joined",
        "joined_with_wording",
        "abstained",
    )
    return {org} if owner["show_invitees"] or shows else set()


@hypothesis.settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(steps=STEPS)
# Runs every time, besides the generated ones: limited evidence and a limited thread among two
# accepted invitees, an opt-in, the invitees shown, an early end confirmed by one of them.
@hypothesis.example(
    steps=[
        ("accept", "reviewer@second-government.example", 0),
        ("accept", "reviewer@security-firm.example", 0),
        ("evidence", "reviewer@ministry.example", 1),
        ("thread", "reviewer@ministry.example", 2),
        ("evidence", "reviewer@security-firm.example", 3),
        ("comment", "reviewer@second-government.example", 0),
        ("join", "reviewer@second-government.example", 0),
        ("join", "reviewer@security-firm.example", 0),
        ("show_position", "reviewer@security-firm.example", 1),
        ("end_embargo", "reviewer@ministry.example", 5),
        ("confirm", "reviewer@security-firm.example", 0),
        ("show_invitees", "reviewer@ministry.example", 0),
        ("wait", "reviewer@ministry.example", 0),
        ("publish_due", "reviewer@ministry.example", 0),
    ]
)
def test_nothing_of_a_workspace_reaches_anyone_it_should_not(
    kb: KnowledgeBase,
    clock: FrozenClock,
    viewers: dict[str, Viewer],
    outbox: list[tuple[str, str]],
    steps: list[Any],
) -> None:
    clock.now = START
    ws = service.create(
        kb,
        viewers["reviewer@ministry.example"],
        incident="notpetya",
        accused="state-ru",
        level=Level.STATE,
        text="SECRET draft",
        embargo_end=START + dt.timedelta(days=5),
        invitees=[service.Invitee(org, START + dt.timedelta(days=3)) for org in INVITED],
    )["id"]
    owner = _check(kb, viewers, ws)
    _check_mail(kb, viewers, ws, outbox)
    # Every run ends with the owner publishing (refused when nobody joined, or done already).
    for act, email, n in [*steps, ("publish", "reviewer@ministry.example", 0)]:
        before = owner
        with contextlib.suppress(AccordError):  # a refusal: the invariants hold all the same
            _act(kb, viewers[email], ws, act, n, clock)
        _check_mail(kb, viewers, ws, outbox)
        owner = _check(kb, viewers, ws)
        if owner["status"] == "published" and before["status"] == "open":
            joined = {p["org"] for p in before["participants"] if p["state"].startswith("joined")}
            if before["early_end"]["ending_early"]:
                answers = before["early_end"]["answers"]
                joined = {o for o in joined if answers.get(o) == "confirm"}
            claims = [
                c.to_json()
                for c in kb.iter_records(viewers["reviewer@outsider.example"], kind=Kind.CLAIM)
                if c.data.joint_group and ws in c.data.joint_group  # type: ignore[attr-defined]
            ]
            assert {c["owner"] for c in claims} == joined
            unnamed = {p["org"] for p in before["participants"]} - joined
            assert not [o for o in unnamed if o in json.dumps(claims)]
