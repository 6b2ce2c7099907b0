"""Audit verification speed and memory: ``verify_audit`` over N records.

Fills a fresh SQLite file (or a given empty PostgreSQL database) with N actor records in
batches of 5,000, marked in turn CLEAR, GREEN, AMBER shared with two organisations,
AMBER+STRICT and RED with two named readers, then gives one record in 50 a second revision (a
re-marking, one transaction each); none of this is timed. It then times
``KnowledgeBase.verify_audit`` (the chain, every revision and every record) ``--repeat`` times,
against the head exported before, and prints its wall and CPU time (this process) and the peak
resident memory after each run. ``--imported`` writes the records in one import job, audited by
one entry per batch (``accord.store.audit_batches``).

    .venv/bin/python -m benchmarks.bench_audit [--records 100000] [--db URL] [--repeat 3]
        [--imported]
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import tempfile
import time

from accord import accounts
from accord.access import Viewer
from accord.domain.vocab import Marking, Sector, UserRole
from accord.kb import KnowledgeBase

SOURCE = {"title": "Bench", "publisher": "Bench", "url": "https://example.org/bench"}
MARKINGS = (Marking.CLEAR, Marking.GREEN, Marking.AMBER, Marking.AMBER_STRICT, Marking.RED)


def fill(kb: KnowledgeBase, count: int, imported: bool = False) -> None:
    """Store ``count`` actors of mixed markings (in one import job when ``imported``: one audit
    entry per batch of new records), then re-mark one in 50. Writes."""
    orgs = [accounts.create_org(kb, f"Bench {name}", Sector.PRIVATE) for name in ("A", "B")]
    writer: Viewer = accounts.create_user(
        kb, "chief@curators.example", "accord-curators", UserRole.REVIEWER
    ).viewer
    readers = [
        accounts.create_user(kb, f"reader{n}@bench.example", orgs[n], UserRole.READER).id
        for n in range(2)
    ]
    with kb.import_job(writer) if imported else contextlib.nullcontext():
        for start in range(0, count, 5_000):
            kb.bulk_create(
                [_actor(n, orgs, readers) for n in range(start, min(count, start + 5_000))], writer
            )
    for n in range(0, count, 50):
        kb.set_marking(f"actor-{n:07d}", writer, Marking.RED)


def _actor(n: int, orgs: list[str], readers: list[str]) -> dict[str, object]:
    marking = MARKINGS[n % len(MARKINGS)]
    return {
        "id": f"actor-{n:07d}",
        "kind": "actor",
        "marking": marking,
        "shares": orgs if marking is Marking.AMBER else [],
        "readers": readers if marking is Marking.RED else [],
        "data": {"name": f"Actor {n}", "kind": "company", "country": "FR"},
        "sources": [SOURCE],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--db", help="an empty PostgreSQL database URL (default: SQLite file)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--imported", action="store_true", help="write the records in one import job"
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        KnowledgeBase(args.db or f"sqlite:///{tmp}/audit.db") as kb,
    ):
        kb.initialise()
        fill(kb, args.records, args.imported)
        head = kb.audit_head()
        print(f"{args.records:,} records; {head.count:,} audit entries", flush=True)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory before verifying: {rss:,.0f} MiB", flush=True)
        for _ in range(args.repeat):
            started, cpu = time.perf_counter(), time.process_time()
            result = kb.verify_audit(head.text())
            spent, cpu = time.perf_counter() - started, time.process_time() - cpu
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"verify: {spent:.2f} s ({cpu:.2f} s CPU here), ok={result.ok}, "
                f"{result.checked:,} entries, {result.revisions:,} revisions, "
                f"{result.records:,} records; peak memory {rss:,.0f} MiB",
                flush=True,
            )


if __name__ == "__main__":
    main()
