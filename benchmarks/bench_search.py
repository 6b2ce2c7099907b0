"""Search latency: the relevance ranking against the BM25 ranking it replaced, same process.

Run with ``.venv/bin/python -m benchmarks.bench_search [sizes]`` (default
``dataset,1000,100000``: the bundled dataset, then synthetic worlds, built once and cached, see
:func:`benchmarks.synthetic.world_db`). For each world and each search text of
:data:`benchmarks.bench_core.SEARCHES` (as a reader of the mid-size organisation), and for the
bundled dataset's :data:`DATASET_SEARCHES` (anonymously), it times
``store.search.run_search`` (20 hits) and the previous FTS5 BM25 ranking (kept below,
measurement only: it computed scores over every indexed record, visible or not), alternating
the two, and prints median milliseconds and the ratio after/before.

An argument that names an existing world (a SQLite file or a PostgreSQL URL, e.g.
``bench_analysis``'s) measures that world instead; on PostgreSQL the comparison is between
``run_search`` (bounds, then windows) and :func:`accord.store.search.full_ranking` (every
visible match ranked in one query, what PostgreSQL ran before), same process, alternating.
"""

from __future__ import annotations

import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, column, func, literal_column, select, table

from accord import access, dataset
from accord.access import ANONYMOUS
from accord.kb import KnowledgeBase
from accord.store import search
from accord.store.schema import records
from benchmarks import synthetic
from benchmarks.bench_core import CoreScenarios

ROUNDS = 15
#: Searches on the bundled dataset: a name, an alias prefix, a broad word, a 2-letter prefix.
DATASET_SEARCHES = {
    "incident name": "WannaCry",
    "prefix of a name": "wanna",
    "two words": "Tallinn Manual",
    "broad word": "cyber",
    "2-letter prefix": "ra",
}
_fts = table("records_fts", column("rowid"))


def bm25_search(
    conn: Connection, text: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> list[tuple[str, float]]:
    """The replaced ranking: FTS5 BM25 windows (best first), then the visibility filter."""
    fts: ColumnElement[Any] = literal_column("records_fts")
    matches = fts.op("MATCH")(" ".join(f'"{t}"*' for t in search.terms_of(text)))
    score = func.bm25(fts, 10.0, 1.0)
    window = max(search.FIRST_WINDOW, limit * 4)
    while True:
        candidates = conn.execute(
            select(_fts.c.rowid, score).where(matches).order_by(score).limit(window)
        ).all()
        score_of = {pk: float(s) for pk, s in candidates}
        query = select(records.c.pk, records.c.id).where(records.c.pk.in_(list(score_of)), where)
        if kinds:
            query = query.where(records.c.kind.in_(list(kinds)))
        found = sorted((score_of[pk], str(rid)) for pk, rid in conn.execute(query))
        if len(candidates) < window or window >= search.MAX_WINDOW:
            return [(rid, s) for s, rid in found[:limit]]
        sure = [(rid, s) for s, rid in found if s < float(candidates[-1][1])]
        if len(sure) >= limit:
            return sure[:limit]
        window *= 4


def _timed(call: Callable[[], object], times: list[float]) -> None:
    start = time.perf_counter()
    call()
    times.append((time.perf_counter() - start) * 1000)


def compare(
    conn: Connection, where: ColumnElement[bool], texts: dict[str, str]
) -> list[tuple[str, str, float, float]]:
    """(label, text, before ms, after ms) for each search text, the two rankings alternated
    (before: BM25 on SQLite, the one-query full ranking on PostgreSQL)."""
    baseline = bm25_search if conn.dialect.name == "sqlite" else search.full_ranking
    out = []
    for label, text in texts.items():
        runs: dict[str, list[float]] = {"before": [], "after": []}
        calls: dict[str, Callable[[], object]] = {
            "before": functools.partial(baseline, conn, text, where, [], 20),
            "after": functools.partial(search.run_search, conn, text, where, [], 20),
        }
        for call in calls.values():
            call()  # warm the caches once
        for _ in range(ROUNDS):
            for name, call in calls.items():
                _timed(call, runs[name])
        before, after = (statistics.median(runs[n]) for n in ("before", "after"))
        out.append((label, text, before, after))
    return out


def measure(world: int | str) -> list[tuple[str, str, float, float]]:
    """The comparison on the synthetic world of ``world`` records (or in the existing world at
    that path or URL), as the mid-size reader."""
    path = synthetic.world_db(world)[0] if isinstance(world, int) else world
    scenarios = CoreScenarios.open(path)
    try:
        with scenarios.kb._engine.connect() as conn:
            where = access.visible(scenarios.world.reader_of())
            return compare(conn, where, scenarios.texts)
    finally:
        scenarios.close()


def measure_dataset() -> list[tuple[str, str, float, float]]:
    """The comparison on the bundled dataset (a temporary SQLite file), as an anonymous reader."""
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(str(Path(tmp) / "dataset.db"))
        try:
            kb.initialise()
            dataset.load(kb)
            with kb._engine.connect() as conn:
                return compare(conn, access.visible(ANONYMOUS), DATASET_SEARCHES)
        finally:
            kb.close()


def main(argv: list[str]) -> None:
    """Print the table for the sizes given as one comma-separated argument."""
    sizes = (argv[0] if argv else "dataset,1000,100000").split(",")
    print(f"{'records':>8} | {'search':<32} | {'before ms':>9} | {'after ms':>9} | ratio")
    for size in sizes:
        if size == "dataset":
            rows = measure_dataset()
        else:
            rows = measure(size if "://" in size or not size.isdigit() else int(size))
        for label, text, before, after in rows:
            shown = f"{label} ({text})"[:32]
            where = size if len(size) <= 8 else size.rsplit("/", 1)[-1][:8]
            print(f"{where:>8} | {shown:<32} | {before:9.1f} | {after:9.1f} | {after / before:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
