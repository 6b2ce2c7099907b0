"""TAXII paging speed: page through a whole collection over HTTP (live uvicorn, real client).

Fills a fresh SQLite database with N CLEAR actor records (bulk_create, not timed), serves the
app with uvicorn on a free local port, then pages through the public collection with
`taxii2-client` (`as_pages`, 1,000 objects a page) and prints objects/s.

    .venv/bin/python benchmarks/bench_taxii.py [--records 100000]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time

import uvicorn
from taxii2client.v21 import Server, as_pages

from accord.access import SYSTEM
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings

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
        app = create_app(Settings(secure_cookies=False), kb=kb)
        server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            root = Server(f"http://127.0.0.1:{port}/taxii2/").default
            public = next(c for c in root.collections if c.title == "Public")
            start = time.perf_counter()
            seen = sum(
                len(page.get("objects", []))
                for page in as_pages(public.get_objects, per_request=args.page)
            )
            took = time.perf_counter() - start
        finally:
            server.should_exit = True
            thread.join()
        print(
            f"paged {seen} objects in {took:.2f} s: {seen / took:.0f} objects/s "
            f"({args.page} per page)"
        )


if __name__ == "__main__":
    main()
