"""Print the core figures: bulk insert rate, search and list latency at 1k, 100k and 1M records.

Usage: ``.venv/bin/python -m benchmarks.run_core [--sizes 1000,100000,1000000] [--seed 1]``.
Each world is built once into a SQLite file under /tmp/accord-bench (cached by seed and size;
the 1M world takes several minutes the first time) and reopened afterwards. Latencies are the
median and 95th percentile of ``--repeat`` calls after two warm-up calls, as a reader of the
mid-size organisation (mixed TLP markings; REST calls in process through the ASGI app).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from accord.kb import KnowledgeBase
from benchmarks import synthetic
from benchmarks.bench_core import CoreScenarios


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Median and p95 wall-clock ms, and median CPU ms, of ``repeat`` calls after 2 warm-ups.

    CPU time (this process, all threads) is shown beside wall time because it is much less
    disturbed by other work on a shared machine; SQLite runs inside the process.
    """
    for _ in range(2):
        call()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    walls.sort()
    p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
    return statistics.median(walls), p95, statistics.median(cpus)


def measure_insert(size: int, seed: int) -> None:
    """Write a fresh world of ``size`` records into a temporary file and print the rate."""
    with tempfile.TemporaryDirectory(prefix="accord-insert-") as tmp:
        kb = KnowledgeBase(str(Path(tmp) / "insert.db"))
        try:
            kb.initialise()
            world = synthetic.setup_world(kb)
            batches = list(synthetic.generate(world, size, seed=seed))
            wall, cpu = time.perf_counter(), time.process_time()
            for batch in batches:
                kb.bulk_create(batch.items, batch.author)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            kb.close()
    print(
        f"bulk insert, fresh {size:,}-record world: {size / wall:,.0f} records/s "
        f"({wall:.1f} s wall, {size / cpu:,.0f} records per CPU-second)"
    )


def main() -> None:
    """Build or reopen each world and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--insert", type=int, default=50_000, help="fresh bulk-insert size")
    parser.add_argument(
        "--db",
        action="append",
        default=[],
        help="measure an existing world instead (a SQLite file or a PostgreSQL URL, e.g. "
        "bench_analysis's; repeat to compare databases in one run)",
    )
    args = parser.parse_args()
    if args.db:
        for _ in range(2):  # twice, alternating, on a shared machine
            for db in args.db:
                print(f"\n== {db}")
                _measure(CoreScenarios.open(db), args.repeat)
        return
    if args.insert:
        measure_insert(args.insert, args.seed)
    for size in (int(s) for s in args.sizes.split(",")):
        path, built = synthetic.world_db(size, seed=args.seed, progress=True)
        mib = path.stat().st_size / 2**20
        print(f"\n== {size:,} records (seed {args.seed}, {path}, {mib:,.0f} MiB)")
        print(
            f"world built at {built['built_at']}: {built['records']:,} records in "
            f"{built['seconds']:,.1f} s = {built['rate']:,} records/s"
        )
        _measure(CoreScenarios.open(path), args.repeat)


def _measure(scenarios: CoreScenarios, repeat: int) -> None:
    """Print the figures of every operation of an opened world, then close it."""
    try:
        print(f"{'operation':<34} {'median ms':>10} {'p95 ms':>10} {'CPU ms':>10}")
        for name, call in scenarios.operations().items():
            median, p95, cpu = timed(call, repeat)
            print(f"{name:<34} {median:>10.1f} {p95:>10.1f} {cpu:>10.1f}", flush=True)
        wall, cpu = time.perf_counter(), time.process_time()
        counts = scenarios.kb.count(scenarios.world.reader_of())
        wall, cpu = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
        print(f"{'count by kind (one call)':<34} {wall:>10.1f} {'':>10} {cpu:>10.1f}")
        print(f"visible to the reader: {sum(counts.values()):,}")
    finally:
        scenarios.close()


if __name__ == "__main__":
    main()
