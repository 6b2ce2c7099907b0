"""STIX import speed: `stix2.parse` alone vs Accord's whole import (parse, check, write).

Generates a synthetic STIX 2.1 bundle (identities, intrusion sets, incidents and
attributed-to relationships), or reads a real one (``--bundle``), times ``stix2.parse(bundle,
allow_custom=True, interoperability=True)`` on it, then times
`accord.interop.stix_import.import_bundle` into a fresh SQLite database (in a child process,
its start-up excluded), and prints both, the ratio and the machine's speed probe (this VM's
speed drifts between minutes: compare runs next to their probes). Peak RSS of the import is
printed too. ``--profile FILE`` writes a cProfile of the import to FILE.

    .venv/bin/python benchmarks/bench_stix_import.py [--objects 100000] [--skip-stix2]
    .venv/bin/python benchmarks/bench_stix_import.py \
        --bundle ../shared/data/mitre-attack-cti/attack-groups-campaigns-bundle.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from accord.interop.stix_mapping import PROPS_EXT

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_analysis import _probe

T = "2024-01-01T00:00:00.000Z"
CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"


def _id(stype: str, n: int) -> str:
    return f"{stype}--{uuid.uuid5(uuid.NAMESPACE_URL, f'{stype}{n}')}"


def synthetic(count: int) -> list[dict[str, Any]]:
    """A bundle's objects: per 10 objects 2 identities, 2 intrusion sets, 2 incidents (as
    another Accord instance exports them: with Accord's start date and effects) and 4
    attributed-to relationships (2 about an intrusion set, 2 about an incident), all mapped."""
    common = {"spec_version": "2.1", "created": T, "modified": T, "object_marking_refs": [CLEAR]}
    ref = [{"source_name": "bench", "url": "https://example.org/report", "description": "r"}]
    props = {"extension_type": "property-extension", "effects": ["espionage"]}
    out: list[dict[str, Any]] = []
    for n in range(count // 10):
        ids = [_id("identity", 2 * n + k) for k in range(2)]
        groups = [_id("intrusion-set", 2 * n + k) for k in range(2)]
        incidents = [_id("incident", 2 * n + k) for k in range(2)]
        for k, i in enumerate(ids):
            out.append(
                {
                    "type": "identity",
                    "id": i,
                    "name": f"Org {n}-{k}",
                    "identity_class": "organization",
                    "external_references": ref,
                    **common,
                }
            )
        for k, g in enumerate(groups):
            out.append(
                {
                    "type": "intrusion-set",
                    "id": g,
                    "name": f"Group {n}-{k}",
                    "aliases": [f"G{n}-{k}"],
                    "x_bench_score": n,
                    **common,
                }
            )
        for k, i in enumerate(incidents):
            out.append(
                {
                    "type": "incident",
                    "id": i,
                    "name": f"Incident {n}-{k}",
                    "description": "An operation against a ministry.",
                    "extensions": {PROPS_EXT: {**props, "start": f"20{10 + n % 15}-0{1 + k}"}},
                    "external_references": ref,
                    **common,
                }
            )
        for k in range(4):
            source = groups[k % 2] if k < 2 else incidents[k % 2]
            out.append(
                {
                    "type": "relationship",
                    "id": _id("relationship", 4 * n + k),
                    "relationship_type": "attributed-to",
                    "source_ref": source,
                    "target_ref": ids[(k + 1) % 2] if k < 2 else groups[k % 2],
                    "created_by_ref": ids[k % 2],
                    "confidence": 50,
                    **common,
                }
            )
    return out


def run_import(path: str, profile: str | None) -> None:
    """Child process: import the bundle into a fresh SQLite database, print timing + RSS
    (and write a cProfile of the import to ``profile`` when given)."""
    import cProfile

    from accord.access import SYSTEM
    from accord.interop.stix_import import import_bundle
    from accord.kb import KnowledgeBase

    profiler = cProfile.Profile() if profile else None
    with tempfile.TemporaryDirectory() as tmp, KnowledgeBase(f"sqlite:///{tmp}/b.db") as kb:
        kb.initialise()
        start, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        report = import_bundle(kb, Path(path), SYSTEM)
        if profiler:
            profiler.disable()
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profiler and profile:
        profiler.dump_stats(profile)
    peak = _peak_rss_mb()
    print(
        json.dumps(
            {
                "seconds": took,
                "cpu_seconds": cpu,
                "created": report.created,
                "objects": report.objects,
                "written": report.written,
                "peak_mb": peak,
            }
        )
    )


def _peak_rss_mb() -> float:
    """This process's peak resident memory since it started (``VmHWM``; unlike ``ru_maxrss``
    it does not carry over the memory of the parent that forked it)."""
    status = Path("/proc/self/status").read_text()
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    return int(kilobytes) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument(
        "--bundle", type=Path, help="a real bundle file instead of the synthetic one"
    )
    parser.add_argument("--skip-stix2", action="store_true")
    parser.add_argument("--profile", help="write a cProfile of the import to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_import(args.child, args.profile)
        return
    _probe()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.bundle or Path(tmp) / "bundle.json"
        if args.bundle is None:
            objects = synthetic(args.objects)
            bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
            path.write_text(json.dumps(bundle))
            del objects, bundle
        text = path.read_text()
        count = len(json.loads(text)["objects"])
        print(f"bundle: {path.name}, {count} objects, {len(text) / 1e6:.1f} MB")
        stix2_s = None
        if not args.skip_stix2:
            import stix2

            start, cpu = time.perf_counter(), time.process_time()
            # interoperability: accept ids that are not UUIDv4 (ATT&CK's bundle has such ids)
            stix2.parse(text, allow_custom=True, interoperability=True)
            stix2_s, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(
                f"stix2.parse alone:    {stix2_s:7.2f} s  {count / stix2_s:9.0f} obj/s "
                f"(CPU {cpu:.2f} s)"
            )
        del text
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(path),
                *(["--profile", args.profile] if args.profile else []),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        took = result["seconds"]
        print(
            f"accord import (all): {took:7.2f} s  {count / took:9.0f} obj/s "
            f"(CPU {result['cpu_seconds']:.2f} s; {result['created']} records written, "
            f"peak RSS {result['peak_mb']:.0f} MB)"
        )
        if stix2_s:
            print(f"ratio: accord import is {stix2_s / took:.1f}x faster than stix2.parse alone")


if __name__ == "__main__":
    main()
