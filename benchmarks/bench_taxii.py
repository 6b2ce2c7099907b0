"""TAXII paging speed: page through a whole collection over HTTP (live servers, real client),
against the OASIS reference server (medallion, memory backend) serving the same objects.

Fills a fresh SQLite database with N CLEAR actor records (bulk_create, not timed), starts
``accord serve`` on it in its own process (as deployed: uvicorn, one worker) on a free local
port, then pages through the public collection with `taxii2-client` (``as_pages``, 1,000
objects a page) from this process, ``--rounds`` times, and prints objects/s and the CPU time
each side spent. It then measures the client's own share, the ceiling no server can pass:
`requests` decoding the same pages' JSON (what ``taxii2-client`` does with a body), replayed
from memory. Last, medallion serves the objects Accord served (the first ``--medallion``
records' objects; its memory backend matches every object against every manifest entry on a first
page, so its time grows with the square of the collection) in its own process, paged by the
same client, and the ratio is printed with the machine's speed probe.

    .venv/bin/python -m benchmarks.bench_taxii [--records 100000] [--rounds 3] [--medallion 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from taxii2client.v21 import Server, as_pages

from accord.access import SYSTEM
from accord.kb import KnowledgeBase
from benchmarks.bench_analysis import _probe

SOURCE = {"title": "Bench", "publisher": "Bench", "url": "https://example.org/bench"}
TAXII = "application/taxii+json;version=2.1"
MEDALLION_USER = ("bench", "bench-password")
MEDALLION_COLLECTION = "3c6c5a0e-5d7b-4d5f-9a3f-000000000001"
#: medallion in its own process: werkzeug's server over its app, as its own launcher does.
MEDALLION_MAIN = """
import sys
from werkzeug.serving import make_server
import medallion
make_server("127.0.0.1", int(sys.argv[2]), medallion.load_app(sys.argv[1])).serve_forever()
"""


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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--medallion", type=int, default=2_000, help="objects medallion serves (0: skip)"
    )
    args = parser.parse_args()
    _probe()
    with tempfile.TemporaryDirectory() as tmp:
        with KnowledgeBase(f"sqlite:///{tmp}/t.db") as kb:
            kb.initialise()
            start = time.perf_counter()
            fill(kb, args.records)
            print(f"filled {args.records} records in {time.perf_counter() - start:.1f} s")
        accord = Path(sys.executable).with_name("accord")
        command = [str(accord), "serve", "--db", f"{tmp}/t.db", "--port"]
        with _server(command, _free_port(), "taxii2/") as (url, pid):
            public = next(c for c in Server(url).default.collections if c.title == "Public")
            rounds = [_page_through(public, pid, args.page) for _ in range(args.rounds)]
            objects, bodies = _everything(public, args.page)
        rates = [rate for rate, _ in rounds]
        print(f"Accord: {_summary(rates)} objects/s over {args.rounds} rounds")
        print(
            f"client ceiling: the client's own CPU (taxii2-client, requests, JSON) allows "
            f"{_summary([ceiling for _, ceiling in rounds])} objects/s; of it, decoding the "
            f"pages' JSON alone {_json_ceiling(bodies, len(objects)):,.0f} objects/s"
        )
        if args.medallion:
            # Not the extension definitions: their own "version" property (their schema's)
            # is taken by medallion for the object's version, and it fails on them.
            served = [o for o in objects if "version" not in o][: args.medallion]
            port = _free_port()
            config = _medallion_files(Path(tmp), served, args.page, port)
            command = [sys.executable, "-c", MEDALLION_MAIN, str(config)]
            with _server(command, port, "taxii2/") as (url, pid):
                (root,) = Server(url, user=MEDALLION_USER[0], password=MEDALLION_USER[1]).api_roots
                (shared,) = root.collections
                theirs, _ = _page_through(shared, pid, args.page)
            print(f"medallion, {len(served)} objects: {theirs:,.0f} objects/s")
            print(
                f"ratio Accord ({args.records} records) / medallion ({len(served)} objects): "
                f"{min(rates) / theirs:.1f}x (slowest Accord round)"
            )


def _page_through(collection: Any, pid: int, per_page: int) -> tuple[float, float]:
    """Page through the collection once; print and return objects/s, and the objects/s the
    client's CPU time alone would allow (an infinitely fast server)."""
    server_cpu = _cpu_seconds(pid)
    client_cpu = time.process_time()
    start = time.perf_counter()
    seen = sum(
        len(page.get("objects", []))
        for page in as_pages(collection.get_objects, per_request=per_page)
    )
    took = time.perf_counter() - start
    client_cpu = time.process_time() - client_cpu
    server_cpu = _cpu_seconds(pid) - server_cpu
    rate = seen / took
    print(
        f"  paged {seen} objects in {took:.2f} s: {rate:,.0f} objects/s "
        f"(CPU: server {server_cpu:.2f} s, client {client_cpu:.2f} s; load {_load()})",
        flush=True,
    )
    return rate, seen / max(client_cpu, 1e-9)


def _everything(collection: Any, per_page: int) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Every object of the collection and the raw body of each page (plain requests)."""
    objects: list[dict[str, Any]] = []
    bodies: list[bytes] = []
    params: dict[str, Any] = {"limit": per_page}
    while True:
        answer = requests.get(
            collection.url + "objects/", params=params, headers={"Accept": TAXII}, timeout=60
        )
        bodies.append(answer.content)
        envelope = answer.json()
        objects.extend(envelope.get("objects", []))
        if not envelope.get("more"):
            return objects, bodies
        params["next"] = envelope["next"]


def _json_ceiling(bodies: list[bytes], count: int) -> float:
    """Objects/s of ``requests.Response.json`` over the pages' bodies (best of three)."""
    best = float("inf")
    for _ in range(3):
        answers = []
        for body in bodies:
            answer = requests.Response()
            answer._content = body  # a response replayed from memory
            answer.headers["Content-Type"] = TAXII
            answers.append(answer)
        start = time.process_time()
        for answer in answers:
            answer.json()
        best = min(best, time.process_time() - start)
    return count / best


def _medallion_files(folder: Path, objects: list[dict[str, Any]], per_page: int, port: int) -> Path:
    """medallion's configuration and memory-backend data holding ``objects`` (with their
    manifest: one entry each, added in the order Accord served them)."""
    first = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    manifest = [
        {
            "id": obj["id"],
            "date_added": (first + dt.timedelta(milliseconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "version": obj.get("modified", obj["created"]),
            "media_type": "application/stix+json;version=2.1",
        }
        for n, obj in enumerate(objects)
    ]
    data = {
        "/discovery": {
            "title": "medallion",
            "default": f"http://127.0.0.1:{port}/api1/",
            "api_roots": [f"http://127.0.0.1:{port}/api1/"],
        },
        "api1": {
            "information": {"title": "bench", "versions": [TAXII], "max_content_length": 10**9},
            "status": [],
            "collections": [
                {
                    "id": MEDALLION_COLLECTION,
                    "title": "Bench",
                    "can_read": True,
                    "can_write": False,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": objects,
                    "manifest": manifest,
                }
            ],
        },
    }
    (folder / "medallion-data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(folder / "medallion-data.json"),
        },
        "users": {MEDALLION_USER[0]: MEDALLION_USER[1]},
        "taxii": {"max_page_size": per_page},
    }
    (folder / "medallion.json").write_text(json.dumps(config))
    return folder / "medallion.json"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _server(command: list[str], port: int, path: str) -> Iterator[tuple[str, int]]:
    """Run a server command (the port appended) on a local port; yield its URL and pid."""
    server = subprocess.Popen(
        [*command, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}/{path}"
        _wait_until_up(url)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait()


def _summary(rates: list[float]) -> str:
    ordered = sorted(rates)
    return f"{ordered[0]:,.0f} to {ordered[-1]:,.0f} (median {ordered[len(ordered) // 2]:,.0f})"


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_up(url: str) -> None:
    for _ in range(400):
        try:
            requests.get(url, timeout=30, headers={"Accept": TAXII})
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit(f"the server at {url} did not start")


if __name__ == "__main__":
    main()
