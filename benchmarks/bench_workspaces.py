"""The owner's dashboard of a large coordination workspace: server time of the service call.

Builds (untimed) a workspace of 150 organisations — the owner and 149 invitees, each with a
reviewer; two in three accept the embargo, one in three joins, one in ten abstains — with
500 comments over the official thread and ten limited threads, 50 pieces of evidence and a
visit by each organisation that accepted. Then times ``service.dashboard`` (the owner's
dashboard data) and ``service.show`` (the owner's view of the workspace) ``--repeat`` times and
prints the median and the slowest run of each.

    .venv/bin/python -m benchmarks.bench_workspaces [--db URL] [--repeat 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable

from accord import accounts
from accord.access import SYSTEM, Viewer
from accord.domain.vocab import Level, Sector, UserRole
from accord.kb import KnowledgeBase
from accord.workspaces import service
from accord.workspaces.model import Position

ORGS = 150
COMMENTS = 500
SOURCE = {"title": "Bench", "publisher": "Bench", "url": "https://example.org/bench"}


def build(kb: KnowledgeBase) -> tuple[str, Viewer]:
    """The workspace and its owner's reviewer. Writes."""
    kb.bulk_create(
        [
            {
                "id": "bench-incident",
                "kind": "incident",
                "data": {"name": "Bench incident", "start": "2025-01", "effects": ["espionage"]},
                "sources": [SOURCE],
            },
            {
                "id": "bench-actor",
                "kind": "actor",
                "data": {"name": "Bench actor", "kind": "state"},
                "sources": [SOURCE],
            },
        ],
        SYSTEM,
    )
    viewers = []
    for n in range(ORGS):
        org = accounts.create_org(kb, f"Bench Org {n:03d}", Sector.GOVERNMENT)
        user = accounts.create_user(kb, f"chief@{org}.example", org, UserRole.REVIEWER)
        viewers.append(user.viewer)
    owner = viewers[0]
    now = kb.now()
    ws = service.create(
        kb,
        owner,
        incident="bench-incident",
        accused="bench-actor",
        level=Level.STATE,
        text="The bench statement.",
        embargo_end=now + dt.timedelta(days=30),
        invitees=[service.Invitee(str(v.org_id), now + dt.timedelta(days=20)) for v in viewers[1:]],
    )["id"]
    accepted = [v for n, v in enumerate(viewers[1:], 1) if n % 3 != 0]
    for n, viewer in enumerate(accepted):
        service.accept_embargo(kb, viewer, ws)
        service.visit(kb, viewer, ws)
        if n % 2 == 0:
            service.answer(kb, viewer, ws, Position.JOIN)
        elif n % 5 == 0:
            service.answer(kb, viewer, ws, Position.ABSTAIN)
    threads = []
    for n in range(10):
        members = [str(accepted[(n * 7 + k) % len(accepted)].org_id) for k in range(5)]
        opened = service.post_comment(
            kb, owner, ws, f"Thread {n} opens.", title=f"Thread {n}", orgs=members
        )
        threads.append(opened["id"])
    for n in range(COMMENTS - 10):
        author = owner if n % 4 == 0 else accepted[n % len(accepted)]
        thread = threads[n % 10] if n % 3 == 0 and author is owner else None
        service.post_comment(kb, author, ws, f"Comment {n}.", thread=thread)
    for n in range(50):
        service.add_evidence(kb, accepted[n], ws, title=f"Evidence {n}", text="Hashes.")
    return ws, owner


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call, ``repeat`` times."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="An empty database URL (default: a fresh SQLite file)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        kb = KnowledgeBase(url)
        kb.initialise()
        start = time.perf_counter()
        ws, owner = build(kb)
        took = time.perf_counter() - start
        print(f"built {ORGS} organisations, {COMMENTS} comments in {took:.1f} s")
        for name, call in (
            ("dashboard", lambda: service.dashboard(kb, owner, ws)),
            ("show (owner)", lambda: service.show(kb, owner, ws)),
        ):
            times = timed(call, args.repeat)
            print(f"{name}: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
        kb.close()


if __name__ == "__main__":
    main()
