"""Time each dataset importer on the real files in ../shared/data (first import and re-import).

Run: .venv/bin/python benchmarks/bench_importers.py [--postgres URL]
Prints, per importer: records written, seconds for the first import into an empty database,
seconds for the idempotent re-import, and records per second.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from accord.access import SYSTEM
from accord.interop.attack import import_attack
from accord.interop.eu_sanctions import import_eu_sanctions
from accord.interop.eurepoc import import_eurepoc
from accord.interop.importing import ImportReport
from accord.interop.misp_galaxy import import_misp_galaxy
from accord.interop.paris_call import import_paris_call
from accord.kb import KnowledgeBase
from accord.store.schema import metadata

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "eurepoc"

Run = Callable[[KnowledgeBase], ImportReport]
RUNS: list[tuple[str, Run]] = [
    ("misp-galaxy (threat-actor.json)", lambda kb: import_misp_galaxy(
        kb, SYSTEM, DATA / "misp-galaxy/clusters/threat-actor.json", date="2026-08-06")),
    ("attack (STIX 2.0 bundle)", lambda kb: import_attack(
        kb, SYSTEM, DATA / "mitre-attack-cti/attack-groups-campaigns-bundle.json")),
    ("paris-call (JSON)", lambda kb: import_paris_call(
        kb, SYSTEM, DATA / "paris-call/pariscall_supporters.json", skip_invalid=True)),
    ("eu-sanctions (JSON)", lambda kb: import_eu_sanctions(
        kb, SYSTEM, DATA / "eu-cyber-sanctions/eu_2019_796_annex_I_2025-01-27.json")),
    ("eurepoc (fixture)", lambda kb: import_eurepoc(
        kb, SYSTEM, FIXTURES / "global.csv", attributions=FIXTURES / "attributions.csv")),
]  # fmt: skip


def _fresh(url: str) -> KnowledgeBase:
    kb = KnowledgeBase(url)
    if url.startswith("postgresql"):
        kb.initialise()
        names = ", ".join(t.name for t in metadata.sorted_tables)
        with kb._engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    kb.initialise()
    return kb


def bench(url_for: Callable[[str], str]) -> None:
    """Print one line per importer for the database ``url_for(name)`` gives."""
    print(f"{'importer':34} {'written':>8} {'first s':>8} {'again s':>8} {'rec/s':>8}")
    for name, run in RUNS:
        kb = _fresh(url_for(name))
        start = time.perf_counter()
        report = run(kb)
        first = time.perf_counter() - start
        start = time.perf_counter()
        again = run(kb)
        second = time.perf_counter() - start
        if again.created or again.updated:
            raise SystemExit(f"{name}: the re-import changed records")
        kb.close()
        written = len(report.created)
        print(f"{name:34} {written:8} {first:8.2f} {second:8.2f} {written / first:8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database may be emptied")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"the real datasets are absent: {DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite (file, WAL)")
        bench(lambda name: f"sqlite:///{Path(tmp) / (name.split()[0] + '.db')}")
    if args.postgres:
        print("PostgreSQL")
        bench(lambda _name: args.postgres)


if __name__ == "__main__":
    main()
