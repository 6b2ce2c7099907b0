"""Coordination workspaces, continued (issue 18): evidence, discussion threads and "new since
your last visit", who sees whom (the owner's setting, each organisation's opt-in), ending the
embargo early with a confirmation window, notifications by e-mail (a local SMTP sink started
here) and signed webhooks (a local HTTP server), reminders, digest and mute, and the owner's
dashboard."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import http.server
import json
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest

from accord.domain.vocab import Kind, Marking
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.kb import KnowledgeBase
from accord.workspaces import notify, outbound, service
from accord.workspaces.model import Position
from accord.workspaces.notify import Mode
from tests.conftest import FrozenClock
from tests.test_workspaces import TEXT, World, _at, _open, make_world

SECOND = "second-government/reviewer"
FIRM = "security-firm/reviewer"
OWNER = "ministry/reviewer"


@pytest.fixture
def world(kb: KnowledgeBase, clock: FrozenClock) -> World:
    """The world of tests/test_workspaces.py: the ministry, two invitees and an outsider."""
    return make_world(kb, clock)


def _accept_both(w: World, ws: str) -> None:
    service.accept_embargo(w.kb, w[SECOND], ws)
    service.accept_embargo(w.kb, w[FIRM], ws)


# -- evidence ----------------------------------------------------------------------------------


def test_evidence_is_seen_by_accepted_participants_only(world: World) -> None:
    ws = _open(world)
    service.accept_embargo(world.kb, world[SECOND], ws)
    shared = service.add_evidence(
        world.kb, world[SECOND], ws, title="Loader hashes", text="EVIDENCE-1 sha256 ...",
        url="https://intel.example/report",
    )  # fmt: skip
    assert shared["marking"] == "AMBER+STRICT"
    assert shared["shared_by"] == {"org": "second-government", "name": "Second Government"}
    owner = service.list_evidence(world.kb, world[OWNER], ws)
    assert [e["text"] for e in owner] == ["EVIDENCE-1 sha256 ..."]
    with pytest.raises(Forbidden):  # an invitee that has not accepted: the envelope only
        service.list_evidence(world.kb, world[FIRM], ws)
    for outsider in ("outsider/reviewer", "second-government/contributor"):
        with pytest.raises(NotFound, match="no such workspace"):
            service.list_evidence(world.kb, world[outsider], ws)
    service.accept_embargo(world.kb, world[FIRM], ws)
    firm = service.list_evidence(world.kb, world[FIRM], ws)
    assert [e["title"] for e in firm] == ["Loader hashes"]
    # the firm may not see who shared it: the owner does not show who is invited
    assert firm[0]["shared_by"] == {"org": None, "name": "another participant"}
    assert "second-government" not in json.dumps(firm)
    # never in any record
    assert not [r for r in world.kb.iter_records(world[OWNER]) if "EVIDENCE-1" in r.to_json()]


def test_evidence_marking_and_sharing_with_named_organisations(world: World) -> None:
    ws = _open(world)
    _accept_both(world, ws)
    with pytest.raises(InvalidInput, match="at least AMBER\\+STRICT"):
        service.add_evidence(
            world.kb, world[SECOND], ws, title="t", text="x", marking=Marking.AMBER
        )
    with pytest.raises(InvalidInput):
        service.add_evidence(world.kb, world[SECOND], ws, title="t")
    service.name_users(world.kb, world[SECOND], ws, ["reader@second-government.example"])
    with pytest.raises(Forbidden):
        service.add_evidence(world.kb, world["second-government/reader"], ws, title="t", text="x")
    # a participant may name only organisations it sees: the owner; the firm is refused
    # exactly as an outsider or a made-up name is
    messages = set()
    for org in ("security-firm", "outsider", "no-such-org"):
        with pytest.raises(InvalidInput) as refused:
            service.add_evidence(
                world.kb, world[SECOND], ws, title="t", text="x", shared_with=[org]
            )
        messages.add(refused.value.message.replace(org, "<org>"))
    assert len(messages) == 1
    red = service.add_evidence(
        world.kb, world[SECOND], ws, title="Source", text="RED-ONLY", marking=Marking.RED,
        shared_with=["ministry"],
    )  # fmt: skip
    assert red["marking"] == "RED"
    assert "RED-ONLY" not in json.dumps(service.list_evidence(world.kb, world[FIRM], ws))
    assert [e["text"] for e in service.list_evidence(world.kb, world[OWNER], ws)] == ["RED-ONLY"]
    # the owner shares with one named organisation: that one sees it, the other does not
    service.add_evidence(
        world.kb, world[OWNER], ws, title="Strict", text="FOR-FIRM", shared_with=["security-firm"]
    )
    assert "FOR-FIRM" in json.dumps(service.list_evidence(world.kb, world[FIRM], ws))
    assert "FOR-FIRM" not in json.dumps(service.list_evidence(world.kb, world[SECOND], ws))


# -- discussion --------------------------------------------------------------------------------


def test_threads_official_and_limited_with_new_since_last_visit(world: World) -> None:
    ws = _open(world)
    _accept_both(world, ws)
    official = service.post_comment(world.kb, world[OWNER], ws, "Welcome, all.")
    assert official["official"] is True
    assert [c["body"] for c in official["items"]] == ["Welcome, all."]
    assert official["items"][0]["new"] is False  # one's own comment is never new
    private = service.post_comment(
        world.kb, world[OWNER], ws, "PRIVATE-1 between us", title="Sourcing",
        orgs=["second-government"],
    )  # fmt: skip
    assert private["orgs"] == ["Ministry", "Second Government"]
    firm_threads = service.list_threads(world.kb, world[FIRM], ws)
    assert [t["official"] for t in firm_threads] == [True]
    assert firm_threads[0]["new"] == 1
    with pytest.raises(NotFound, match="no such thread"):
        service.read_thread(world.kb, world[FIRM], ws, private["id"])
    with pytest.raises(NotFound, match="no such thread"):
        service.read_thread(world.kb, world[FIRM], ws, "wst-00000000000000000000")
    with pytest.raises(NotFound, match="no such thread"):
        service.post_comment(world.kb, world[FIRM], ws, "let me in", thread=private["id"])
    second = {t["title"]: t for t in service.list_threads(world.kb, world[SECOND], ws)}
    assert second["Sourcing"]["new"] == 1
    read = service.read_thread(world.kb, world[SECOND], ws, private["id"])
    assert [c["new"] for c in read["items"]] == [True]
    assert (
        service.read_thread(world.kb, world[SECOND], ws, private["id"])["items"][0]["new"] is False
    )
    service.post_comment(world.kb, world[OWNER], ws, "And another.", thread=private["id"])
    second = {t["title"]: t for t in service.list_threads(world.kb, world[SECOND], ws)}
    assert (second["Sourcing"]["comments"], second["Sourcing"]["new"]) == (2, 1)
    reply = service.post_comment(world.kb, world[SECOND], ws, "Noted.", thread=private["id"])
    assert [c["new"] for c in reply["items"]] == [False, False, False]
    service.name_users(world.kb, world[FIRM], ws, ["reader@security-firm.example"])
    with pytest.raises(Forbidden):
        service.post_comment(world.kb, world["security-firm/reader"], ws, "hello")


def test_authors_others_may_not_see_are_another_participant(world: World) -> None:
    ws = _open(world)
    _accept_both(world, ws)
    service.post_comment(world.kb, world[SECOND], ws, "We have telemetry.")
    official = service.list_threads(world.kb, world[FIRM], ws)[0]["id"]
    seen = service.read_thread(world.kb, world[FIRM], ws, official)
    assert seen["items"][0]["author"] == {"org": None, "name": "another participant", "user": None}
    assert "second-government" not in json.dumps(seen)
    owner = service.read_thread(world.kb, world[OWNER], ws, official)
    assert owner["items"][0]["author"]["user"] == "reviewer@second-government.example"
    service.set_show_invitees(world.kb, world[OWNER], ws, True)
    seen = service.read_thread(world.kb, world[FIRM], ws, official)
    assert seen["items"][0]["author"]["name"] == "Second Government"
    # a participant cannot open a thread with an organisation it could not name before
    service.set_show_invitees(world.kb, world[OWNER], ws, False)
    with pytest.raises(InvalidInput):
        service.post_comment(world.kb, world[FIRM], ws, "x", title="t", orgs=["second-government"])


# -- who sees whom -----------------------------------------------------------------------------


def test_positions_are_the_owners_unless_an_organisation_opts_in(world: World) -> None:
    ws = _open(world)
    _accept_both(world, ws)
    service.answer(world.kb, world[FIRM], ws, Position.JOIN)
    service.answer(world.kb, world[SECOND], ws, Position.DECLINE)
    assert service.show(world.kb, world[SECOND], ws)["others"] == []
    service.set_show_position(world.kb, world[FIRM], ws, True)
    service.set_show_position(world.kb, world[SECOND], ws, True)
    others = service.show(world.kb, world[SECOND], ws)["others"]
    assert others == [
        {"org": "security-firm", "name": "Security Firm", "owner": False, "state": "joined"}
    ]
    # a decline is never shown to the others, opted in or not
    assert "second-government" not in json.dumps(service.show(world.kb, world[FIRM], ws))
    with pytest.raises(Forbidden):
        service.set_show_invitees(world.kb, world[SECOND], ws, True)
    service.set_show_invitees(world.kb, world[OWNER], ws, True)
    others = {o["org"]: o["state"] for o in service.show(world.kb, world[FIRM], ws)["others"]}
    assert others == {"ministry": None, "second-government": None}
    # envelope readers learn nothing either way
    service.invite(world.kb, world[OWNER], ws, service.Invitee("outsider", "2026-01-18T12:00:00Z"))
    assert "security-firm" not in json.dumps(service.show(world.kb, world["outsider/reviewer"], ws))


# -- the early end -----------------------------------------------------------------------------


def test_ending_the_embargo_early_publishes_those_who_confirmed(world: World) -> None:
    ws = _open(world)
    _accept_both(world, ws)
    for who in (OWNER, SECOND, FIRM):
        service.answer(world.kb, world[who], ws, Position.JOIN)
    window = "2026-01-16T12:00:00Z"
    with pytest.raises(Forbidden):
        service.end_embargo(world.kb, world[SECOND], ws, reason="leak", confirm_by=window)
    with pytest.raises(NotFound):
        service.end_embargo(world.kb, world["outsider/reviewer"], ws, reason="x", confirm_by=window)
    with pytest.raises(InvalidInput):
        service.end_embargo(
            world.kb, world[OWNER], ws, reason="leak", confirm_by="2026-02-01T00:00:00Z"
        )
    early = service.end_embargo(
        world.kb, world[OWNER], ws, reason="Leaked to the press", confirm_by=window
    )
    assert early["confirm_by"] == {"utc": window}
    assert early["answers"] == {
        "ministry": "confirm",
        "second-government": None,
        "security-firm": None,
    }
    assert service.show(world.kb, world[FIRM], ws)["early_end"]["reason"] == "Leaked to the press"
    assert service.show(world.kb, world[FIRM], ws)["publication_due"] == {"utc": window}
    with pytest.raises(Conflict):  # other answers are closed during the window
        service.answer(world.kb, world[FIRM], ws, Position.ABSTAIN)
    with pytest.raises(Conflict):
        service.publish(world.kb, world[OWNER], ws)
    service.answer_early_end(world.kb, world[SECOND], ws, True)
    assert service.publish_due(world.kb) == {"published": [], "skipped": []}
    _at(world, "2026-01-16T12:00:01Z")
    assert service.publish_due(world.kb)["published"] == [ws]
    claims = [
        c for c in world.kb.iter_records(world["outsider/reviewer"], kind=Kind.CLAIM)
        if ws in (c.data.joint_group or "")  # type: ignore[attr-defined]
    ]  # fmt: skip
    assert sorted(c.owner for c in claims) == ["ministry", "second-government"]


def test_withdrawing_in_the_window(world: World) -> None:
    ws = _open(world)
    _accept_both(world, ws)
    service.answer(world.kb, world[SECOND], ws, Position.JOIN)
    with pytest.raises(Conflict):
        service.answer_early_end(world.kb, world[SECOND], ws, True)  # not ending early
    service.end_embargo(
        world.kb, world[OWNER], ws, reason="prior", confirm_by="2026-01-16T00:00:00Z"
    )
    with pytest.raises(Conflict):  # the firm has not joined
        service.answer_early_end(world.kb, world[FIRM], ws, True)
    view = service.answer_early_end(world.kb, world[SECOND], ws, False)
    assert view["answer"] == "withdraw"
    assert service.show(world.kb, world[SECOND], ws)["position"]["state"] == "embargo_accepted"
    _at(world, "2026-01-16T00:00:01Z")
    skipped = service.publish_due(world.kb)
    assert skipped["published"] == []
    assert skipped["skipped"][0].startswith(ws)


# -- notifications -----------------------------------------------------------------------------


@dataclass
class Sink:
    """What the local SMTP and HTTP servers received."""

    mails: list[Message] = field(default_factory=list)
    hooks: list[tuple[str, bytes]] = field(default_factory=list)

    def to(self, address: str) -> list[Message]:
        return [m for m in self.mails if m["To"] == address]


class _SMTPHandler(socketserver.StreamRequestHandler):
    """A minimal SMTP server: enough of RFC 5321 for smtplib to deliver."""

    def handle(self) -> None:
        sink: Sink = self.server.sink  # type: ignore[attr-defined]
        self.wfile.write(b"220 sink ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.decode().strip().split(" ")[0].upper()
            if verb == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                sink.mails.append(email.message_from_bytes(data, policy=email.policy.default))
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class _HookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.sink.hooks.append((self.headers["X-Accord-Signature"], body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sink]:
    """A local SMTP server and a local HTTP server, with ACCORD_SMTP_* pointing at the first."""
    found = Sink()
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HookHandler)
    for server in (smtp, hook):
        setattr(server, "sink", found)  # noqa: B010 - read back by the handlers
        threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("ACCORD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ACCORD_SMTP_PORT", str(smtp.server_address[1]))
    monkeypatch.setenv("ACCORD_MAIL_FROM", "accord@test.example")
    monkeypatch.setenv(outbound.ALLOW_PRIVATE, "1")  # the receiver runs on 127.0.0.1
    found.url = f"http://127.0.0.1:{hook.server_address[1]}/hook"  # type: ignore[attr-defined]
    yield found
    for server in (smtp, hook):
        server.shutdown()
        server.server_close()


def _body(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_an_invitation_mails_the_envelope_only_to_the_invitees_gatekeepers(
    world: World, sink: Sink
) -> None:
    ws = _open(world)
    received = sink.to("reviewer@second-government.example")
    assert len(received) == 1
    assert received[0]["Subject"].strip().startswith(f"[Accord {ws}] Invitation: ")
    body = _body(received[0])
    assert "TLP:AMBER+STRICT" in body
    assert ws in body
    assert "2026-01-18T12:00:00Z" in body
    for hidden in ("GRU", "state-ru", "security-firm", "Security Firm"):
        assert hidden not in body + received[0]["Subject"].strip()
    # contributors and readers were not named: nothing for them; nothing for the outsider
    assert sink.to("contributor@second-government.example") == []
    assert not [m for m in sink.mails if "outsider" in m["To"]]
    assert {m["To"] for m in sink.mails} == {
        "reviewer@second-government.example",
        "reviewer@security-firm.example",
    }


def test_webhooks_are_signed_and_mute_and_digest_hold_mail(world: World, sink: Sink) -> None:
    ws = _open(world)
    _accept_both(world, ws)
    secret = "s3cret-s3cret-s3cret"
    url = sink.url  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput):
        service.set_notifications(
            world.kb, world[SECOND], ws, Mode.IMMEDIATE, webhook=True, webhook_url=url,
            webhook_secret="short",
        )  # fmt: skip
    service.set_notifications(
        world.kb, world[SECOND], ws, Mode.DIGEST, webhook=True, webhook_url=url,
        webhook_secret=secret,
    )  # fmt: skip
    service.set_notifications(world.kb, world[FIRM], ws, Mode.MUTE)
    with pytest.raises(NotFound):
        service.set_notifications(world.kb, world["outsider/reviewer"], ws, Mode.MUTE)
    for who in (SECOND, FIRM):
        service.answer(world.kb, world[who], ws, Position.JOIN)
    sink.mails.clear()
    service.revise(world.kb, world[OWNER], ws, text=TEXT + " Revised.")
    assert sink.mails == []  # one chose the digest, the other muted
    assert len(sink.hooks) == 1
    signature, body = sink.hooks[0]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    payload = json.loads(body)
    assert (payload["reference"], payload["event"], payload["org"]) == (
        ws,
        "revision",
        "second-government",
    )
    assert "Revised" not in body.decode()
    assert service.send_digests(world.kb) == 1
    digest = sink.to("reviewer@second-government.example")
    assert len(digest) == 1
    assert digest[0]["Subject"].strip().startswith(f"[Accord {ws}] Daily digest")
    assert "Revision" in _body(digest[0])
    assert service.send_digests(world.kb) == 0  # sent once


def test_reminders_are_sent_once_before_the_deadline_and_the_embargo_end(
    world: World, sink: Sink
) -> None:
    ws = _open(world)
    service.accept_embargo(world.kb, world[SECOND], ws)
    service.answer(world.kb, world[SECOND], ws, Position.ABSTAIN)
    sink.mails.clear()
    assert service.notify_due(world.kb) == 0
    _at(world, "2026-01-17T13:00:00Z")  # the deadline is within a day
    assert service.notify_due(world.kb) == 1
    reminded = [m["Subject"].strip() for m in sink.mails]
    assert reminded == [f"[Accord {ws}] Deadline reminder: Joint attribution: NotPetya"]
    assert service.notify_due(world.kb) == 0
    _at(world, "2026-01-19T13:00:00Z")  # the embargo ends within a day
    assert service.notify_due(world.kb) == 2  # the ministry and the second government
    assert {m["To"] for m in sink.mails[1:]} == {
        "reviewer@ministry.example",
        "reviewer@second-government.example",
    }


def test_early_end_and_publication_notify_the_accepted_only(world: World, sink: Sink) -> None:
    ws = _open(world)
    service.accept_embargo(world.kb, world[SECOND], ws)
    service.answer(world.kb, world[SECOND], ws, Position.JOIN)
    sink.mails.clear()
    service.end_embargo(
        world.kb, world[OWNER], ws, reason="SECRET-LEAK", confirm_by="2026-01-16T00:00:00Z"
    )
    assert [m["To"] for m in sink.mails] == ["reviewer@second-government.example"]
    assert "SECRET-LEAK" not in _body(sink.mails[0])
    service.answer_early_end(world.kb, world[SECOND], ws, True)
    _at(world, "2026-01-16T00:00:01Z")
    sink.mails.clear()
    service.publish_due(world.kb)
    assert sorted(m["To"] for m in sink.mails) == [
        "reviewer@ministry.example",
        "reviewer@second-government.example",
    ]
    assert all("Publication" in m["Subject"].strip() for m in sink.mails)


# -- the dashboard -----------------------------------------------------------------------------


def test_the_owners_dashboard(world: World) -> None:
    ws = _open(world)
    service.visit(world.kb, world[SECOND], ws)
    service.accept_embargo(world.kb, world[SECOND], ws)
    service.post_comment(world.kb, world[SECOND], ws, "First.")
    board = service.dashboard(world.kb, world[OWNER], ws)
    rows = {r["org"]: r for r in board["participants"]}
    assert rows["second-government"]["seen"] is True
    assert rows["second-government"]["comments"] == 1
    assert rows["second-government"]["state"] == "embargo_accepted"
    assert rows["security-firm"]["seen"] is False
    assert rows["security-firm"]["last_activity"] is not None  # its invitation
    assert board["threads"][0]["new"] == 1
    # a thread the owner is not in stays out of its dashboard too
    service.post_comment(
        world.kb, world[SECOND], ws, "PRIVATE", title="Just us", orgs=["second-government"]
    )
    board = service.dashboard(world.kb, world[OWNER], ws)
    assert [t["official"] for t in board["threads"]] == [True]
    with pytest.raises(Forbidden):
        service.dashboard(world.kb, world[SECOND], ws)
    with pytest.raises(NotFound):
        service.dashboard(world.kb, world["outsider/reviewer"], ws)


def test_a_webhook_to_the_instances_own_network_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A participant's reviewer cannot make the server call into its private network."""
    ws = _open(world)
    _accept_both(world, ws)
    monkeypatch.delenv(outbound.ALLOW_PRIVATE, raising=False)
    for url in (
        "http://127.0.0.1:8000/admin",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "file:///etc/passwd",
    ):
        with pytest.raises(InvalidInput):
            service.set_notifications(
                world.kb, world[SECOND], ws, Mode.IMMEDIATE, webhook=True, webhook_url=url,
                webhook_secret="s3cret-s3cret-s3cret",
            )  # fmt: skip
    assert notify.post_webhook("http://127.0.0.1:9/hook", "s3cret-s3cret-s3cret", b"{}") is False


def test_a_webhook_does_not_follow_redirects(monkeypatch: pytest.MonkeyPatch) -> None:
    """A public receiver cannot bounce the server's request to an internal address."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", "/internal")
            self.end_headers()

        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv(outbound.ALLOW_PRIVATE, "1")
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        assert notify.post_webhook(url, "s3cret-s3cret-s3cret", b"{}") is False
    finally:
        server.shutdown()
        server.server_close()
    assert hits == ["/hook"]
