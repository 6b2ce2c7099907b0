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
import time

from benchmarks import synthetic
from benchmarks.bench_core import CoreScenarios


def timed(call: object, repeat: int) -> tuple[float, float]:
    """Median and p95 in milliseconds of ``repeat`` calls (after two warm-up calls)."""
    assert callable(call)
    for _ in range(2):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    """Build or reopen each world and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        path, built = synthetic.world_db(size, seed=args.seed, progress=True)
        mib = path.stat().st_size / 2**20
        print(f"\n== {size:,} records (seed {args.seed}, {path}, {mib:,.0f} MiB)")
        print(
            f"bulk insert: {built['records']:,} records in {built['seconds']:,.1f} s = "
            f"{built['rate']:,} records/s (built {built['built_at']})"
        )
        scenarios = CoreScenarios.open(path)
        try:
            print(f"{'operation':<34} {'median ms':>10} {'p95 ms':>10}")
            for name, call in scenarios.operations().items():
                median, p95 = timed(call, args.repeat)
                print(f"{name:<34} {median:>10.1f} {p95:>10.1f}", flush=True)
        finally:
            scenarios.close()


if __name__ == "__main__":
    main()
