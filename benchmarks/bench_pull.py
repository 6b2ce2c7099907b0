"""End-to-end feed pull between two Accord instances: speed and memory of the pulling side.

The origin (organisation ``alpha``: actors, incidents and the claims between them, CLEAR and
published, plus a reviewer with an API token) is built once per size into a SQLite file under
/tmp/accord-bench (``$ACCORD_BENCH_CACHE``) and served by ``accord serve`` in its own process
on a free local port. Each run pulls the origin's Public collection into a fresh subscriber
database (``beta``) in a child process (``accord feed pull``, as deployed) and prints
objects/s, the pulling process's peak RSS (its ``ru_maxrss``) and the machine's speed probe
(the fixed CPU workload of ``bench_analysis``: figures compare across runs only next to it).

    .venv/bin/python benchmarks/bench_pull.py [--records 100000] [--runs 3]
    .venv/bin/python benchmarks/bench_pull.py --memory 30000,300000   # RSS at several sizes
    .venv/bin/python benchmarks/bench_pull.py --records 20000 --profile  # pyinstrument, in process

``--memory`` pulls each size once and prints peak RSS per size: a pull's memory should not
grow with the size of the pull (each page is decided, written and dropped). RSS counts the
pages of the SQLite file that the store maps (``PRAGMA mmap_size``, up to 2 GiB), which grow
with the database, not with what the process holds; the anonymous part (``RssAnon``, sampled
every 0.1 s) is the process's own memory, and is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from accord import accounts
from accord.domain.stable_ids import uuid5
from accord.domain.vocab import Sector, UserRole
from accord.kb import KnowledgeBase
from benchmarks.bench_analysis import _probe
from benchmarks.synthetic import CACHE_DIR

KEY = "bench-pull-key-" + "k" * 32
ORIGIN_VERSION = 2
BATCH = 5_000
SOURCE = {"title": "Bench", "publisher": "Bench", "url": "https://example.org/bench"}


def _records(count: int) -> Iterator[list[dict[str, Any]]]:
    """Batches of origin records: per 10, four actors, three incidents and three claims (a
    claim names actors of its batch as claimant and accused and an incident of its batch).
    Ids sort actors, then incidents, then claims: a batch is written at one instant and TAXII
    serves by (date added, id), so a claim comes after what it points to."""
    for start in range(0, count, BATCH):
        batch: list[dict[str, Any]] = []
        end = min(count, start + BATCH)
        for n in range(start, end):
            data: dict[str, Any]
            slot = n % 10
            if slot < 4:
                data = {"name": f"Actor {n}", "kind": "company", "country": "FR"}
                batch.append({"id": f"alpha.a-actor-{n:07d}", "kind": "actor", "data": data})
            elif slot < 7:
                data = {"name": f"Incident {n}", "start": "2020-05", "effects": ["ransomware"]}
                batch.append({"id": f"alpha.b-inc-{n:07d}", "kind": "incident", "data": data})
            else:
                base = n - slot
                data = {
                    "claimant": f"alpha.a-actor-{base:07d}",
                    "accused": f"alpha.a-actor-{base + 1:07d}",
                    "incident": f"alpha.b-inc-{base + 4:07d}",
                    "stance": "attributes",
                    "kind": "official_statement",
                    "date": "2021-01-02",
                }
                batch.append({"id": f"alpha.c-claim-{n:07d}", "kind": "claim", "data": data})
        for item in batch:
            item.update(marking="CLEAR", sources=[SOURCE])
        # claims whose incident slot fell beyond the end of a short last batch are dropped
        yield [r for r in batch if r["kind"] != "claim" or int(r["data"]["incident"][-7:]) < end]


def origin_db(count: int) -> tuple[Path, str]:
    """The origin's SQLite file of ``count`` records and its reviewer's API token, built once
    per size (cached under CACHE_DIR)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"pull-origin-v{ORIGIN_VERSION}-{count}.db"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        with KnowledgeBase(f"sqlite:///{path}") as kb:
            kb.initialise()  # migrated to the current schema
        return path, str(json.loads(meta.read_text())["token"])
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    with KnowledgeBase(f"sqlite:///{partial}") as kb:
        kb.initialise()
        org = accounts.create_org(kb, "Alpha Org", Sector.GOVERNMENT, org_id="alpha")
        user = accounts.create_user(kb, "reviewer@alpha.example", org, UserRole.REVIEWER)
        token = accounts.create_token(kb, "reviewer@alpha.example")[1]
        written = 0
        for batch in _records(count):
            written += len(kb.bulk_create(batch, user.viewer).created)
            print(f"  origin: {written} records", end="\r", flush=True)
    partial.rename(path)
    meta.write_text(json.dumps({"token": token, "records": written}))
    print(f"  origin: {written} records built in {time.perf_counter() - started:.0f} s")
    return path, token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(db: Path) -> Iterator[tuple[str, int]]:
    """``accord serve`` on the origin in its own process; yields the TAXII API root and the
    server's process id."""
    port = _free_port()
    accord = Path(sys.executable).with_name("accord")
    server = subprocess.Popen(
        [str(accord), "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/taxii2/"
    try:
        for _ in range(1200):
            try:
                requests.get(url, timeout=5, headers={"Accept": "application/taxii+json"})
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        else:
            raise SystemExit("the origin's server did not start")
        yield f"{url}accord/", server.pid
    finally:
        server.terminate()
        server.wait()


def subscriber(tmp: str, api_root: str, token: str) -> str:
    """A fresh subscriber database with the feed ``alpha`` on the origin's Public collection."""
    from accord.federation import feeds

    url = f"sqlite:///{tmp}/beta-{time.monotonic_ns()}.db"
    with KnowledgeBase(url) as kb:
        kb.initialise()
        org = accounts.create_org(kb, "Beta Org", Sector.GOVERNMENT, org_id="beta")
        accounts.create_user(kb, "reviewer@beta.example", org, UserRole.REVIEWER)
        feeds.add(
            kb,
            "alpha",
            api_root,
            uuid5("taxii-collection:public"),
            user_email="reviewer@beta.example",
            token=token,
        )
    return url


def pull_in_child(db_url: str, server: int, code: str | None = None) -> dict[str, Any]:
    """Run the pull in a child process (this script with ``--child``); its figures, with the
    CPU seconds the origin's server (process ``server``) spent meanwhile. ``code``: a folder
    put first on the child's import path (another version of ``accord``, to compare)."""
    env = {**os.environ, "ACCORD_FEED_KEY": KEY}
    if code:
        env["PYTHONPATH"] = code
    server_cpu = _cpu_seconds(server)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_pull", "--child", db_url],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the pull failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["server_cpu"] = _cpu_seconds(server) - server_cpu
    return figures


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _line(got: dict[str, Any]) -> str:
    """One run's figures: wall rate, CPU per side (load-independent), peak RSS, load."""
    objects = got["objects"]
    return (
        f"pulled {objects} objects ({got['created']} created) in {got['seconds']:.1f} s: "
        f"{objects / got['seconds']:,.0f} objects/s; CPU puller {got['cpu']:.1f} s "
        f"({objects / got['cpu']:,.0f} objects per CPU s), server {got['server_cpu']:.1f} s; "
        f"peak RSS {got['peak_mb']:.0f} MB (of which anonymous {got['peak_anon_mb']:.0f} MB; "
        f"the rest is the SQLite file mapped by mmap)   [{_uptime()}]"
    )


def child(db_url: str) -> None:
    """The pulling process: pull the feed, print objects, seconds and peak RSS as JSON."""
    from accord.federation.pull import pull

    peak_anon = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak_anon[0] = max(peak_anon[0], _status_kb("RssAnon"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with KnowledgeBase(db_url) as kb:
        cpu = time.process_time()
        started = time.perf_counter()
        report = pull(kb, "alpha")
        took = time.perf_counter() - started
        cpu = time.process_time() - cpu
    done.set()
    sampler.join()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "objects": report.objects,
                "created": report.counts.get("create", 0),
                "seconds": took,
                "cpu": cpu,
                "peak_mb": peak_kb / 1024,
                "peak_anon_mb": max(peak_anon[0], _status_kb("RssAnon")) / 1024,
                "counts": dict(report.counts),
            }
        )
    )


def _status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (0 when absent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def profile(db_url: str) -> None:
    """Pull in this process under pyinstrument and print the profile."""
    from pyinstrument import Profiler

    from accord.federation.pull import pull

    os.environ["ACCORD_FEED_KEY"] = KEY
    with KnowledgeBase(db_url) as kb:
        profiler = Profiler(interval=0.002)
        profiler.start()
        report = pull(kb, "alpha")
        profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"pulled {report.objects} objects: {dict(report.counts)}")


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory", help="comma-separated sizes: peak RSS of a pull of each")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--compare",
        help="a folder holding another version of the accord package: pulls "
        "alternate between it and this one (same origin, same server)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    os.environ["ACCORD_FEED_KEY"] = KEY
    _probe()
    with tempfile.TemporaryDirectory() as tmp:
        if args.memory:
            for size in (int(s) for s in args.memory.split(",")):
                db, token = origin_db(size)
                with serving(db) as (api_root, pid):
                    got = pull_in_child(subscriber(tmp, api_root, token), pid)
                print(f"  {size:>9} records: {_line(got)}", flush=True)
            return
        db, token = origin_db(args.records)
        with serving(db) as (api_root, pid):
            if args.profile:
                profile(subscriber(tmp, api_root, token))
                return
            for run in range(args.runs):
                if args.compare:
                    got = pull_in_child(subscriber(tmp, api_root, token), pid, args.compare)
                    print(f"  run {run + 1}, {args.compare}: {_line(got)}", flush=True)
                got = pull_in_child(subscriber(tmp, api_root, token), pid)
                print(f"  run {run + 1}: {_line(got)}", flush=True)


if __name__ == "__main__":
    main()
