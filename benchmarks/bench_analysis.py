"""Benchmark the analyses (consensus, say-do) on a large synthetic world, on SQLite or PostgreSQL.

Usage::

    .venv/bin/python -m benchmarks.bench_analysis --claims 100000
    .venv/bin/python -m benchmarks.bench_analysis --claims 1000000
    .venv/bin/python -m benchmarks.bench_analysis --claims 100000 \
        --db postgresql+psycopg://postgres@127.0.0.1:5432/accord_bench

The world is cached in ``/tmp/accord-analysis-v{WORLD_VERSION}-{claims}.db`` (``--db`` to choose a
file, or the URL of an existing, empty PostgreSQL database: it is reused when it holds claims).

The world reuses :mod:`benchmarks.synthetic` (organisations, users, marking mix, drafts, id and
text generation) with the shape the analyses are specified for: ten claims per incident, 200
states, and claims that carry evidence, joint statements, withdrawals and threat-group → state
links (each threat group has one sponsor state, a fifth of them two, as in real data). It is
written once through ``KnowledgeBase.bulk_create`` (the real write path, so the
visibility rows are real) and reused when the file exists. Timings are printed; nothing here is
a pass/fail test. The viewer is a reader of a mid-size organisation, so TLP:AMBER shares, RED
readers and other organisations' drafts are all filtered by ``access.visible``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import func, select, true

from accord import access, accounts
from accord.access import SYSTEM, Viewer
from accord.analysis import consensus, load, saydo
from accord.kb import KnowledgeBase
from accord.store.schema import claim_facts, record_refs, records
from benchmarks import synthetic

#: Bumped whenever the generated world changes, so an old cached file is not reused.
WORLD_VERSION = 4


class _AnalysisWorld(synthetic._Generator):
    """The shared generator with analysis-shaped counts and richer claims and participations."""

    def __init__(self, world: synthetic.World, claims: int, seed: int) -> None:
        super().__init__(world, claims, seed, synthetic.MARKING_MIX, 0.03, 5_000)
        self.counts = {
            "state": 200,
            "initiative": 300,
            "norm": 1_000,
            "agency": 2_000,
            "threat_group": 1_000,
            "company": 2_000,
            "incident": max(10, claims // 10),
            "claim": claims,
            "response": max(10, claims // 100),
            "assessment": max(10, claims // 20),
            "participation": 20_000,
        }
        self.sponsors: dict[str, list[str]] = {}

    def sponsor(self, group: str) -> str:
        """One of the group's sponsor states, fixed per group: one, or for a fifth two."""
        states = self.sponsors.get(group)
        if states is None:
            public = self.pools.public["state"]
            states = self.sponsors[group] = self.rng.sample(public, 1 + (self.rng.random() < 0.2))
        return self.rng.choice(states)

    def claim(self, owner: str) -> dict[str, Any]:
        item = super().claim(owner)
        data = item["data"]
        roll = self.rng.random()
        if roll < 0.02 and self.pools.public.get("threat_group"):
            # A threat group → state link ("APT-x is state-y").
            del data["incident"]
            data["subject"] = self.pools.pick(self.rng, ("threat_group",), owner)
            data["accused"] = self.sponsor(data["subject"])
        data["evidence"] = self.rng.choice(("none", "summary", "technical"))
        # Stances in the shape of real data (territory claims rare), and a stated level on a
        # third of the attributions (agency, unit, individuals...).
        stance = self.rng.choices(
            ("attributes", "disputes", "denies", "self_attributes", "locates"),
            (8, 2, 1, 0.2, 0.3),
        )[0]
        data["stance"] = stance
        if stance == "locates":
            data["level"] = "territory"
        elif stance == "attributes" and self.rng.random() < 0.3:
            data["level"] = self.rng.choice(("state", "agency", "unit", "individuals"))
        if self.rng.random() < 0.2:
            del data["confidence"]
        if self.rng.random() < 0.05:
            data["joint_group"] = f"joint-{self.rng.randint(1, 2_000)}"
        if self.rng.random() < 0.02:
            data["withdrawn"] = self.date(2015, 2025)
        return item

    def participation(self, owner: str) -> dict[str, Any]:
        item = super().participation(owner)
        if self.rng.random() < 0.05:
            item["data"]["left"] = self.date(2020, 2025)
        return item


def build_world(kb: KnowledgeBase, claims: int, seed: int = 1) -> synthetic.World:
    """Register the organisations and write the analysis world. Writes."""
    world = synthetic.setup_world(kb)
    written, started = 0, time.perf_counter()
    for batch in _AnalysisWorld(world, claims, seed).batches():
        kb.bulk_create(batch.items, batch.author)
        written += len(batch.items)
        if written % 100_000 < len(batch.items):
            rate = written / (time.perf_counter() - started)
            print(f"  {written:>9,} records written, {rate:,.0f}/s", flush=True)
    return world


def _time(label: str, fn: Callable[[], Any], repeat: int) -> float:
    """Print the median wall time of ``repeat`` runs and their median CPU time (this process,
    SQLite included: the steadier figure when the machine is shared)."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    median = statistics.median(walls)
    runs = f"median of {repeat}, first {walls[0] * 1000:.0f} ms" if repeat > 1 else "one run"
    cpu_ms = statistics.median(cpus) * 1000
    print(f"  {label:<58} {median * 1000:10.1f} ms  {cpu_ms:10.1f} ms CPU  ({runs})", flush=True)
    return median


def _probe() -> None:
    """Time a fixed CPU workload (numpy sort-unique of 547k integers, a million Python
    additions) before the analyses: this VM's speed drifts by up to 1.8 times between minutes,
    so a run's figures compare with another run's only next to its probe."""
    values = np.random.default_rng(0).integers(0, 1_200_000, 547_000)

    def work() -> None:
        np.unique(values, return_inverse=True)
        sum(range(1_000_000))

    runs = []
    for _ in range(5):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    probe = statistics.median(runs) * 1000
    print(f"  machine probe (fixed CPU workload, median of 5) {probe:7.1f} ms")


def _filters(kb: KnowledgeBase, viewer: Viewer) -> None:
    """Where the time of reading every visible claim goes: the sharing filter, then the facts."""
    variants = {
        "claim ids, no filter (lower bound)": true(),
        "claim ids, own marking rule only (depth 0)": access.visible(viewer, depth=0),
        "claim ids, access.visible (depth 2, by id)": access.visible(viewer),
        "claim ids, access.visible_in_scan (as claim_columns)": access.visible_in_scan(
            viewer, records, load._CLAIM_ENDS
        ),
    }
    # The variants compare sharing rules (one has none), so they run on a plain connection: a
    # viewer-bound reader refuses a statement without its own filter.
    with kb._engine.connect() as conn:
        for label, rule in variants.items():
            query = (
                select(func.count())
                .select_from(records.join(claim_facts, claim_facts.c.record_pk == records.c.pk))
                .where(records.c.kind == "claim", rule)
            )
            started = time.perf_counter()
            count = conn.execute(query).scalar_one()
            spent = (time.perf_counter() - started) * 1000
            print(f"  {label:<58} {spent:10.1f} ms  ({count:,} claims)", flush=True)
    with kb.reader(viewer) as reader:
        names = load.names_of(load.actors(reader), load.incidents(reader))
        _time(
            "claims with their facts (load.claim_columns)",
            lambda: load.claim_columns(reader, names),
            1,
        )


def main() -> None:
    """Build (or reuse) the world and print the timings."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument(
        "--db",
        default=None,
        help="SQLite file or database URL (a PostgreSQL database is reused when it holds claims)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--build-only", action="store_true", help="write the world and stop")
    parser.add_argument("--reader-only", action="store_true", help="skip the runs as SYSTEM")
    args = parser.parse_args()
    path = args.db or f"/tmp/accord-analysis-v{WORLD_VERSION}-{args.claims}.db"
    kb = KnowledgeBase(path)
    kb.initialise()  # creates a fresh database, or brings a cached one to the current schema
    fresh = not _has_claims(kb)
    if fresh:
        started = time.perf_counter()
        build_world(kb, args.claims)
        print(f"built {path} in {time.perf_counter() - started:,.0f} s")
        _vacuum_analyze(kb)
    if args.build_only:
        kb.close()
        return
    reader = accounts.find_user(kb, f"reader0@{synthetic.MID_SIZE_ORG}.example").viewer
    print(f"world: {kb.count(SYSTEM)}")
    _probe()
    incident_id = _busy_incident(kb)
    viewers = [("a reader of a mid-size organisation", reader), ("SYSTEM", SYSTEM)]
    for label, viewer in viewers[:1] if args.reader_only else viewers:
        print(f"-- as {label}: {kb.count(viewer)}")
        _filters(kb, viewer)
        _time(
            "consensus, all incidents",
            functools.partial(consensus.all_incidents, kb, viewer),
            args.repeat,
        )
        _time(
            f"consensus, one incident ({incident_id})",
            functools.partial(consensus.for_incident, kb, viewer, incident_id),
            20,
        )
        _time("say-do table, all states", functools.partial(saydo.table, kb, viewer), args.repeat)
        _time(
            "say-do table, consensus threshold 0.5",
            functools.partial(saydo.table, kb, viewer, threshold=0.5),
            1,
        )
    kb.close()


def _vacuum_analyze(kb: KnowledgeBase) -> None:
    """On PostgreSQL, what autovacuum does some time after a bulk load: planner statistics
    (without them every estimate is one row, and one incident's claims were read by scanning
    every visible claim) and the visibility map (without it an index-only scan reads the table
    row anyway). SQLite needs neither."""
    if kb._engine.dialect.name != "postgresql":
        return
    started = time.perf_counter()
    with kb._engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:,.1f} s")


def _has_claims(kb: KnowledgeBase) -> bool:
    """Whether the database already holds a world (a cached file or a PostgreSQL database)."""
    with kb._engine.connect() as conn:
        found = conn.execute(select(records.c.pk).where(records.c.kind == "claim").limit(1))
        return found.first() is not None


def _busy_incident(kb: KnowledgeBase) -> str:
    """The CLEAR incident with the most claims among the first thousand (a typical lookup)."""
    with kb._engine.connect() as conn:
        first = select(records.c.id).where(
            records.c.kind == "incident",
            records.c.marking == "CLEAR",
            records.c.status == "published",
        )
        row = conn.execute(
            select(record_refs.c.target_id, func.count().label("n"))
            .where(
                record_refs.c.field == "incident",
                record_refs.c.target_id.in_(first.order_by(records.c.id).limit(1000)),
            )
            .group_by(record_refs.c.target_id)
            .order_by(func.count().desc(), record_refs.c.target_id)
            .limit(1)
        ).first()
    assert row is not None
    return str(row.target_id)


if __name__ == "__main__":
    main()
