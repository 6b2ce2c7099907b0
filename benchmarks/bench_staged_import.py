"""How long an import holds the write lock: one transaction (before) against a staged job (now).

Imports the same synthetic STIX bundle (``bench_stix_import.synthetic``: per 10 objects 7
records and 3 skipped indicators) into a fresh database twice: once with every batch inside one
``kb.transaction()`` (how imports ran before staged imports), once through ``kb.import_job``.
For each it prints the import's wall time, the longest and the total time of its committed
write transactions (begin to commit: on SQLite the write lock is held at most that long), how
many there were, and what a concurrent writer saw: a thread creating one record every 0.25 s
through ``kb.create`` (a REST write), with its slowest write and its failures (on SQLite a
write that waits longer than the 30 s busy timeout fails).

    .venv/bin/python -m benchmarks.bench_staged_import [--records 100000] [--url URL]

``--url`` (a PostgreSQL URL of an empty database; it is initialised, used twice and left with
the records) measures PostgreSQL instead of a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event

from benchmarks.bench_stix_import import synthetic


@dataclass
class Figures:
    """What one import run measured."""

    mode: str
    wall: float = 0.0
    created: int = 0
    longest: float = 0.0
    total: float = 0.0
    transactions: int = 0
    probe_writes: int = 0
    probe_failures: int = 0
    probe_slowest: float = 0.0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.mode:>7}: import {self.wall:6.1f} s, {self.created} records; "
            f"longest write transaction {self.longest:6.2f} s "
            f"({self.transactions} commits, {self.total:.1f} s in all); "
            f"concurrent writer: {self.probe_writes} writes, slowest {self.probe_slowest:.2f} s, "
            f"{self.probe_failures} failed"
        )


def _timed_commits(engine: Any, figures: Figures) -> None:
    """Time every committed transaction (reads end in a rollback and are not counted)."""
    started: dict[int, float] = {}

    @event.listens_for(engine, "begin")
    def begin(conn: Any) -> None:
        started[id(conn)] = time.perf_counter()

    @event.listens_for(engine, "commit")
    def commit(conn: Any) -> None:
        begun = started.pop(id(conn), None)
        if begun is not None and threading.current_thread() is threading.main_thread():
            took = time.perf_counter() - begun
            figures.transactions += 1
            figures.total += took
            figures.longest = max(figures.longest, took)


@contextlib.contextmanager
def _probe(kb: Any, figures: Figures) -> Iterator[None]:
    """A writer creating one actor every 0.25 s in another thread while the block runs."""
    from accord.access import SYSTEM

    stop = threading.Event()

    def run() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            start = time.perf_counter()
            try:
                kb.create(
                    {
                        "id": f"probe-{figures.mode}-{n}",
                        "kind": "actor",
                        "data": {"name": f"Probe {n}", "kind": "state"},
                        "sources": [
                            {"title": "Probe", "publisher": "Bench", "url": "https://example.org"}
                        ],
                    },
                    SYSTEM,
                )
            except Exception as exc:  # counted and reported
                figures.probe_failures += 1
                figures.errors.append(type(exc).__name__)
            figures.probe_writes += 1
            figures.probe_slowest = max(figures.probe_slowest, time.perf_counter() - start)
            stop.wait(0.25)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def measure(url: str, bundle: Path, mode: str) -> Figures:
    """Import the bundle as the curators, ``mode`` "before" (one transaction) or "staged"."""
    from accord.access import SYSTEM
    from accord.interop.stix_import import import_bundle
    from accord.kb import KnowledgeBase

    figures = Figures(mode)
    kb = KnowledgeBase(url)
    kb.initialise()
    if mode == "before":  # every batch in one transaction, as imports ran before
        kb.import_job = lambda viewer: kb.transaction()  # type: ignore[method-assign]
    _timed_commits(kb._engine, figures)
    start = time.perf_counter()
    with _probe(kb, figures):
        report = import_bundle(kb, bundle, SYSTEM)
    figures.wall = time.perf_counter() - start
    figures.created = report.created
    kb.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: SQLite files)")
    parser.add_argument("--modes", default="before,staged", help="before, staged or both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "bundle.json"
        objects = synthetic(args.records * 10 // 7)
        bundle.write_bytes(
            orjson.dumps(
                {
                    "type": "bundle",
                    "id": "bundle--6a0e2c4b-0000-4000-8000-000000000001",
                    "objects": objects,
                }
            )
        )
        results = []
        for mode in args.modes.split(","):
            url = args.url or f"sqlite:///{tmp}/{mode}.db"
            if args.url and mode == "staged":  # the same database: import other ids
                objects = synthetic(args.records * 10 // 7 * 2)[len(objects) :]
                bundle.write_bytes(
                    orjson.dumps(
                        {
                            "type": "bundle",
                            "id": "bundle--6a0e2c4b-0000-4000-8000-000000000002",
                            "objects": objects,
                        }
                    )
                )
            results.append(measure(url, bundle, mode))
            print(results[-1].line(), flush=True)
        for figures in results:
            if figures.errors:
                print(f"{figures.mode}: probe errors {sorted(set(figures.errors))}")


if __name__ == "__main__":
    main()
