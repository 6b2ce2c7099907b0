"""TAXII paging speed: page through a whole collection over HTTP (live uvicorn, real client).

Fills a fresh SQLite database with N CLEAR actor records (bulk_create, not timed), starts
``accord serve`` on it in its own process (as deployed: uvicorn, one worker) on a free local
port, then pages through the public collection with `taxii2-client` (`as_pages`, 1,000 objects
a page) from this process and prints objects/s and the CPU time each side spent.

    .venv/bin/python benchmarks/bench_taxii.py [--records 100000]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from taxii2client.v21 import Server, as_pages

from accord.access import SYSTEM
from accord.kb import KnowledgeBase

SOURCE = {"title": "Bench", "publisher": "Bench", "url": "https://example.org/bench"}


def fill(kb: KnowledgeBase, count: int) -> None:
    """Store ``count`` CLEAR actors in batches of 5,000."""
    for start in range(0, count, 5_000):
        kb.bulk_create(
            [
                {
                    "id": f"actor-{n:07d}",
                    "kind": "actor",
                    "data": {"name": f"Actor {n}", "kind": "company", "country": "FR"},
                    "sources": [SOURCE],
                }
                for n in range(start, min(count, start + 5_000))
            ],
            SYSTEM,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, KnowledgeBase(f"sqlite:///{tmp}/t.db") as kb:
        kb.initialise()
        start = time.perf_counter()
        fill(kb, args.records)
        print(f"filled {args.records} records in {time.perf_counter() - start:.1f} s")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        accord = Path(sys.executable).with_name("accord")
        server = subprocess.Popen(
            [str(accord), "serve", "--db", f"{tmp}/t.db", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/taxii2/"
            _wait_until_up(url)
            root = Server(url).default
            public = next(c for c in root.collections if c.title == "Public")
            server_cpu = _cpu_seconds(server.pid)
            client_cpu = time.process_time()
            start = time.perf_counter()
            seen = sum(
                len(page.get("objects", []))
                for page in as_pages(public.get_objects, per_request=args.page)
            )
            took = time.perf_counter() - start
            client_cpu = time.process_time() - client_cpu
            server_cpu = _cpu_seconds(server.pid) - server_cpu
        finally:
            server.terminate()
            server.wait()
        print(f"CPU: server {server_cpu:.2f} s, client {client_cpu:.2f} s")
        print(
            f"paged {seen} objects in {took:.2f} s: {seen / took:.0f} objects/s "
            f"({args.page} per page)"
        )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_up(url: str) -> None:
    for _ in range(200):
        try:
            requests.get(url, timeout=1, headers={"Accept": "application/taxii+json;version=2.1"})
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit(f"the server at {url} did not start")


if __name__ == "__main__":
    main()
