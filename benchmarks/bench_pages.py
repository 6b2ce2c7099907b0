"""Server time of each web page on the bundled dataset (in process, no network).

Loads the curated dataset into a fresh SQLite database (or an emptied PostgreSQL database with
--postgres URL), then requests each page through the ASGI app, as an anonymous reader and as a
signed-in analyst, and prints the median and the worst of ``--runs`` requests after one warm-up.
The budget is 200 ms a page; the script exits 1 when a median is over it.

    .venv/bin/python benchmarks/bench_pages.py [--runs 15] [--postgres URL]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from accord import accounts, dataset
from accord.domain.vocab import Sector, UserRole
from accord.kb import KnowledgeBase
from accord.store.schema import metadata
from accord.web.app import create_app
from accord.web.settings import Settings

BUDGET_MS = 200.0
PAGES = [
    "/",
    "/search?q=russia",
    "/search?q=ransomware&kind=incident",
    "/search?kind=actor",
    "/incidents/notpetya",
    "/incidents/wannacry",
    "/actors/state-ru",
    "/actors/state-cn",
    "/actors/apt28",
    "/norms/norm-ungge2015-13f",
    "/initiatives/paris-call",
    "/landscape",
    "/network",
    "/network/graph",
    "/governance",
    "/incidents/notpetya/history",
]


def _open(postgres: str | None, folder: Path) -> KnowledgeBase:
    if postgres is None:
        kb = KnowledgeBase(f"sqlite:///{folder / 'accord.db'}")
    else:
        kb = KnowledgeBase(postgres)
        from sqlalchemy import text

        kb.initialise()
        names = ", ".join(t.name for t in metadata.sorted_tables)
        with kb._engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    kb.initialise()
    dataset.load(kb)
    return kb


def _time(client: TestClient, path: str, runs: int) -> tuple[float, float]:
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres", help="an empty-able PostgreSQL URL (it is emptied)")
    args = parser.parse_args()
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024)  # sign-in is not measured
    with tempfile.TemporaryDirectory() as folder:
        kb = _open(args.postgres, Path(folder))
        org = accounts.create_org(kb, "Bench Ministry", Sector.GOVERNMENT)
        accounts.create_user(kb, "bench@mfa.example", org, UserRole.CONTRIBUTOR, password="x" * 16)
        app = create_app(Settings(secure_cookies=False), kb=kb)
        over = 0
        with TestClient(app) as anonymous, TestClient(app) as signed_in:
            html = signed_in.get("/signin").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', html)
            assert token
            signed_in.post(
                "/signin",
                data={"email": "bench@mfa.example", "password": "x" * 16, "csrf_token": token[1]},
            )
            columns = ("anon median", "anon max", "user median", "user max")
            print(f"{'page':40}", *(f"{c:>12}" for c in columns))
            for path in PAGES:
                a_med, a_max = _time(anonymous, path, args.runs)
                u_med, u_max = _time(signed_in, path, args.runs)
                over += (a_med > BUDGET_MS) + (u_med > BUDGET_MS)
                print(f"{path:40} {a_med:10.1f}ms {a_max:7.1f}ms {u_med:10.1f}ms {u_max:7.1f}ms")
        kb.close()
    print(f"budget {BUDGET_MS:.0f} ms a page: {'all within' if not over else f'{over} over'}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
