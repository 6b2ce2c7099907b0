"""Core benchmarks: bulk insert, search, and the first page of lists for a mid-size organisation.

Run with ``.venv/bin/python -m pytest benchmarks/bench_core.py`` (pytest-benchmark); world sizes
come from ``ACCORD_BENCH_SIZES`` (default ``1000,100000``; worlds are built once and cached under
/tmp, see :func:`benchmarks.synthetic.world_db`). ``benchmarks/run_core.py`` prints the same
figures as a table, 1M records included. The scenarios are defined once here, in
:class:`CoreScenarios`, and used by both.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord import accounts
from accord.domain.vocab import Kind, Marking
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from benchmarks import synthetic

SIZES = [int(s) for s in os.environ.get("ACCORD_BENCH_SIZES", "1000,100000").split(",")]
INSERT_SIZE = int(os.environ.get("ACCORD_BENCH_INSERT_SIZE", "10000"))

#: Search texts; None ones are taken from the world (a threat group's alias, an incident's name).
SEARCHES: dict[str, str | None] = {
    "search alias (selective)": None,
    "search incident name (2 words)": None,
    "search broad term": "ransomware",
    "search two broad terms": "espionage ministry",
    "search 2-letter prefix": "ra",
}


@dataclass
class CoreScenarios:
    """The measured operations over one world, as a reader of the mid-size organisation."""

    kb: KnowledgeBase
    world: synthetic.World
    client: TestClient
    headers: dict[str, str]
    texts: dict[str, str]

    @classmethod
    def open(cls, path: Path | str) -> CoreScenarios:
        """Open (and migrate) a built world (a file or a database URL) and prepare a REST
        client with a reader's token."""
        kb = KnowledgeBase(str(path))
        kb.initialise()
        world = synthetic.load_world(kb)
        viewer = world.reader_of()
        email = f"reader0@{synthetic.MID_SIZE_ORG}.example"
        _, token = accounts.create_token(kb, email)
        client = TestClient(create_app(kb=kb))
        groups = kb.list_records(viewer, kind=Kind.ACTOR, after="apt-", limit=50).items
        # The first with an alias (every group of this module's worlds has one).
        group = next((g for g in groups if getattr(g.data, "aliases", ())), groups[0])
        incident = kb.list_records(viewer, kind=Kind.INCIDENT, after="inc-", limit=1).items[0]
        texts = {label: text or "" for label, text in SEARCHES.items()}
        aliases = getattr(group.data, "aliases", ()) or (group.name,)
        texts["search alias (selective)"] = aliases[0]
        texts["search incident name (2 words)"] = incident.name
        return cls(kb, world, client, {"Authorization": f"Bearer {token}"}, texts)

    def close(self) -> None:
        """Release the client and the database."""
        self.client.close()
        self.kb.close()

    def operations(self) -> dict[str, Callable[[], Any]]:
        """Name → a no-argument call performing one measured operation."""
        viewer = self.world.reader_of()
        kb, client, headers = self.kb, self.client, self.headers

        def rest(path: str) -> Callable[[], Any]:
            def call() -> Any:
                response = client.get(path, headers=headers)
                assert response.status_code == 200, response.text
                return response.json()

            return call

        ops: dict[str, Callable[[], Any]] = {}
        for label, text in self.texts.items():
            ops[label] = lambda q=text: kb.search(q, viewer)  # type: ignore[misc]
        ops.update(
            {
                "list first page (all kinds)": lambda: kb.list_records(viewer),
                "list first page claims": lambda: kb.list_records(viewer, kind=Kind.CLAIM),
                "list first page AMBER": lambda: kb.list_records(viewer, marking=Marking.AMBER),
                "list first page RED": lambda: kb.list_records(viewer, marking=Marking.RED),
                "REST GET /claims?limit=50": rest("/api/v1/claims?limit=50"),
                "REST GET /incidents?limit=50": rest("/api/v1/incidents?limit=50"),
                "REST GET /search?q=ransomware": rest("/api/v1/search?q=ransomware"),
            }
        )
        return ops


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n}")
def scenarios(request: pytest.FixtureRequest) -> Iterator[CoreScenarios]:
    """A built (cached) world of each configured size, opened for measuring."""
    path, _ = synthetic.world_db(request.param)
    opened = CoreScenarios.open(path)
    yield opened
    opened.close()


OPERATION_NAMES = [
    *SEARCHES,
    "list first page (all kinds)",
    "list first page claims",
    "list first page AMBER",
    "list first page RED",
    "REST GET /claims?limit=50",
    "REST GET /incidents?limit=50",
    "REST GET /search?q=ransomware",
]


@pytest.mark.parametrize("name", OPERATION_NAMES)
def test_core_read(benchmark: Any, scenarios: CoreScenarios, name: str) -> None:
    """Time one read operation; the result must be a non-empty page or hit list."""
    result = benchmark(scenarios.operations()[name])
    items = result["items"] if isinstance(result, dict) else getattr(result, "items", result)
    assert items or "RED" in name


def test_bulk_insert(benchmark: Any) -> None:
    """Records/s of ``bulk_create`` writing a fresh synthetic world (input generation excluded)."""
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1_000))

        def fresh() -> tuple[tuple[KnowledgeBase, list[synthetic.Batch]], dict[str, Any]]:
            kb = KnowledgeBase(str(Path(tmp) / f"insert-{next(counter)}.db"))
            kb.initialise()
            world = synthetic.setup_world(kb)
            return (kb, list(synthetic.generate(world, INSERT_SIZE))), {}

        def write(kb: KnowledgeBase, batches: list[synthetic.Batch]) -> None:
            for batch in batches:
                kb.bulk_create(batch.items, batch.author)
            kb.close()

        benchmark.pedantic(write, setup=fresh, rounds=3)
        seconds = benchmark.stats.stats.median
        benchmark.extra_info["records_per_second"] = round(INSERT_SIZE / seconds)
