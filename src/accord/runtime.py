"""Python runtime settings for bulk work.

A bulk write allocates many short-lived objects (validated records, rows, JSON texts) while the
process holds many long-lived ones; with CPython's default thresholds the cyclic garbage
collector runs every 700 net allocations and re-examines the young objects each time, a large
share of an import's CPU (``benchmarks/bench_stix_import.py``). Reference counting frees almost
all of them anyway: the collector is only needed for cycles.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

#: Collect the youngest generation every 20,000 net allocations instead of 700; the middle one
#: after 50 of those, the oldest (the whole heap) after 1,000 of these, i.e. not during a bulk
#: write. Cycles made meanwhile are still collected by the young collections, or after it.
BULK_THRESHOLDS = (20_000, 50, 1_000)

_lock = threading.Lock()
_active = 0
_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with the collector's thresholds at :data:`BULK_THRESHOLDS` (process-wide;
    nested and concurrent blocks share one setting, restored when the last one ends)."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(*BULK_THRESHOLDS)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
