"""Objects served before the records they point to (an Accord origin serves by last change,
so an incident edited after its claim comes after it): they wait, kept with the page that
brought them, and are written once their target arrives — later in the same pull, or in the
next pull after an interruption; one whose target never arrives is reported, not lost."""

from __future__ import annotations

from typing import Any

import pytest

from accord.domain.stable_ids import uuid5
from accord.errors import RemoteError
from accord.federation import remote, waiting
from accord.federation.pull import pull
from tests.conftest import actor, claim, incident
from tests.test_feeds import Instance, copies_of, net, subscribe

__all__ = ["net"]  # the fixture, shared with tests/test_feeds.py

CLAIM = "beta.alpha.claim-1"


def _claim_before_its_incident(a: Instance) -> str:
    """A world whose incident changes after its claim; the claim's STIX id."""
    a.add(
        actor("state-x", "State X"),
        actor("ministry", "A Ministry", kind="government_body"),
        incident("inc-1", "Incident One"),
    )
    a.add(claim("claim-1", f"{a.org}.ministry", f"{a.org}.inc-1", f"{a.org}.state-x"))
    a.kb.update(f"{a.org}.inc-1", a.viewer, data={"description": "Edited after its claim."})
    return f"relationship--{uuid5('alpha.claim-1')}"


def test_a_claim_served_before_its_incident_is_written_when_the_incident_arrives(
    net: Any,
) -> None:
    a, b = net("alpha"), net("beta")
    _claim_before_its_incident(a)
    subscribe(b, a, "from-alpha")
    report = pull(b.kb, "from-alpha", page_size=1)
    assert report.counts["create"] == 4, report.to_json()
    assert report.counts.get("wait", 0) == 0
    copies = copies_of(b, a)
    assert copies[CLAIM].data.incident == "beta.alpha.inc-1"
    assert waiting.load(b.kb, "from-alpha") == {}


def test_a_waiting_claim_survives_an_interrupted_pull(
    net: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = net("alpha"), net("beta")
    claim_id = _claim_before_its_incident(a)
    subscribe(b, a, "from-alpha")
    real = remote.Remote.page
    seen = {"claim": False}

    def cut_after_the_claim(self: remote.Remote, *args: Any, **kwargs: Any) -> remote.RemotePage:
        if seen["claim"]:
            raise RemoteError("connection lost")
        page = real(self, *args, **kwargs)
        seen["claim"] = any(o.get("id") == claim_id for o in page.objects)
        return page

    monkeypatch.setattr(remote.Remote, "page", cut_after_the_claim)
    with pytest.raises(RemoteError):
        pull(b.kb, "from-alpha", page_size=1)
    held = waiting.load(b.kb, "from-alpha")
    assert list(held) == [claim_id]
    assert "not here yet" in held[claim_id][1]
    assert CLAIM not in copies_of(b, a)

    monkeypatch.setattr(remote.Remote, "page", real)
    resumed = pull(b.kb, "from-alpha", page_size=1)
    assert resumed.resumed
    assert copies_of(b, a)[CLAIM].data.incident == "beta.alpha.inc-1"
    assert waiting.load(b.kb, "from-alpha") == {}


def test_a_claim_whose_incident_never_syncs_waits_and_is_reported(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    a.add(actor("state-x", "State X"), actor("ministry", "A Ministry", kind="government_body"))
    a.add(incident("inc-red", "Red Incident"), marking="RED")
    a.add(
        claim("claim-1", f"{a.org}.ministry", f"{a.org}.inc-red", f"{a.org}.state-x"),
        marking="GREEN",
    )
    subscribe(b, a, "alpha-org", key="org:alpha")
    report = pull(b.kb, "alpha-org")
    claim_id = f"relationship--{uuid5('alpha.claim-1')}"
    assert report.counts["wait"] == 1
    assert [o.action for o in report.items if o.remote_id == claim_id] == ["wait"]
    assert CLAIM not in copies_of(b, a)
    again = pull(b.kb, "alpha-org")  # tried again, still reported, never written
    assert again.counts["wait"] == 1
    assert list(waiting.load(b.kb, "alpha-org")) == [claim_id]
