#!/usr/bin/env python3
"""Runs okr's rollup and store benchmarks with their peers and writes one JSON file.

Usage (from the workspace root):

    python3 benches/suite.py [--out target/bench-suite.json] [--no-run] [-- <criterion args>]

`OKR_BENCH_SIZES` (e.g. `M,L,XL`) is passed through to the rollup bench. The file holds the
machine (CPU count, model, kernel), every benchmark of this run (mean and median time per
iteration in nanoseconds, and elements per iteration where criterion counted them), and the
ratios against the peer measured in the same run: for a time ratio, `okr_over_peer` below 1
means okr is faster; for a throughput ratio, above 1 means okr does more per second. With
`--no-run` it collects what the last run left in `target/criterion` instead of running.
The store bench's bytes on disk per event (okr's sled store against SQLite for the same log,
written in batches and one command per append) come from `target/bench-disk.json`, which
that bench writes during its set-up; their ratios are listed with the others (kind "size":
below 1 means okr's store is smaller).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
DISK = ROOT / "target" / "bench-disk.json"

# (group, benchmark, peer group, peer benchmark, kind, what). `{size}` is filled with every
# size found in the run. kind "time" compares time per iteration, "throughput" compares
# elements per second.
RATIOS = [
    ("rollup_full", "okr/{size}", "rollup_full", "sqlite/{size}", "time",
     "full rollup of a cycle against the same rollup in SQLite"),
    ("rollup_full", "okr/{size}", "rollup_full", "floor/{size}", "time",
     "full rollup of a cycle against the single-thread floor loop (target: at most 1)"),
    ("rollup_build", "okr/{size}", "rollup_build", "reference/{size}", "time",
     "building the rollup from state against the reference (BTreeMap) build"),
    ("rescore", "okr/{size}", "rollup_full", "okr/{size}", "time",
     "rescore against one full rollup (target: at most 2)"),
    ("append_durable", "okr_engine_execute_sled_sync", "append_durable",
     "sqlite_wal_full_append", "time", "one durable command, engine against SQLite FULL"),
    ("append_durable", "okr_sled_store_append_sync", "append_durable",
     "sqlite_wal_full_append", "time", "one durable append, bare store against SQLite FULL"),
    ("append_concurrent", "okr_engine_execute_sled_sync_8_threads", "append_concurrent",
     "okr_engine_execute_sled_sync_1_threads", "throughput",
     "durable commands/s from 8 threads against 1 thread (target: at least 5)"),
    ("append_concurrent", "okr_engine_execute_sled_sync_8_threads", "append_concurrent",
     "sqlite_wal_full_append_8_threads", "throughput",
     "durable commands/s from 8 threads, engine against SQLite FULL under 8 threads "
     "(target: at least 5)"),
    ("append_batch_1000", "okr_engine_execute_batch_sled_sync", "append_batch_1000",
     "okr_sled_store_append_batch_sync", "time",
     "engine batch against the bare store's batch (target: at most 1.2)"),
    ("append_batch_1000", "okr_engine_execute_batch_sled_sync", "append_batch_1000",
     "sqlite_wal_full_append_batch", "time", "engine batch against SQLite"),
    ("append_batch_1000", "okr_sled_store_append_batch_sync", "append_batch_1000",
     "sqlite_wal_full_append_batch", "time", "bare store batch against SQLite"),
    ("replay", "okr_engine_open_replay_into_state", "replay", "sqlite_replay_into_state",
     "time", "replay into state, engine open against SQLite"),
    ("replay", "okr_sled_replay_into_state", "replay", "sqlite_replay_into_state", "time",
     "replay into state through read_all against SQLite"),
    ("open", "okr_engine_open_with_snapshot", "open", "okr_engine_open_without_snapshot",
     "time", "open with a snapshot against a full replay"),
]


def machine():
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = None
    try:
        load = os.getloadavg()
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "system": platform.system(),
        "kernel": platform.release(),
        "load_average_at_end": load,
    }


def collect(since):
    """Every benchmark whose results were written at or after `since` (epoch seconds)."""
    found = {}
    for bench_json in CRITERION.glob("**/new/benchmark.json"):
        if bench_json.stat().st_mtime < since:
            continue
        estimates = bench_json.with_name("estimates.json")
        if not estimates.exists():
            continue
        meta = json.loads(bench_json.read_text())
        est = json.loads(estimates.read_text())
        throughput = meta.get("throughput") or {}
        elements = throughput.get("Elements")
        entry = {
            "group": meta["group_id"],
            "benchmark": meta.get("function_id") or meta.get("value_str"),
            "mean_ns": est["mean"]["point_estimate"],
            "mean_ci_ns": [est["mean"]["confidence_interval"]["lower_bound"],
                           est["mean"]["confidence_interval"]["upper_bound"]],
            "median_ns": est["median"]["point_estimate"],
            "elements_per_iteration": elements,
        }
        if elements:
            entry["elements_per_second"] = elements / (entry["mean_ns"] / 1e9)
        found[(entry["group"], entry["benchmark"])] = entry
    return found


def disk(since):
    """The bytes-on-disk figures of the store bench, if its set-up ran at or after `since`."""
    if not DISK.exists() or DISK.stat().st_mtime < since:
        return None
    return json.loads(DISK.read_text())


def disk_ratios(figures):
    if not figures:
        return []
    return [{
        "what": f"bytes on disk per event, {run['written']} ({run['events']} events), okr's "
                "sled store against SQLite (target: at most 1)",
        "kind": "size",
        "okr": run["okr_sled_bytes_per_event"],
        "peer": run["sqlite_bytes_per_event"],
        "okr_over_peer": run["okr_over_sqlite"],
    } for run in figures.get("runs", [])]


def ratios(found):
    sizes = sorted({b.split("/", 1)[1] for (g, b) in found if g == "rollup_full" and "/" in b})
    out = []
    for group, bench, peer_group, peer, kind, what in RATIOS:
        for size in sizes if "{size}" in bench else [None]:
            name = bench.format(size=size)
            peer_name = peer.format(size=size)
            a, b = found.get((group, name)), found.get((peer_group, peer_name))
            if not a or not b:
                continue
            if kind == "time":
                value = a["mean_ns"] / b["mean_ns"]
            else:
                if not a.get("elements_per_second") or not b.get("elements_per_second"):
                    continue
                value = a["elements_per_second"] / b["elements_per_second"]
            out.append({
                "what": what + (f" ({size})" if size else ""),
                "kind": kind,
                "okr": f"{group}/{name}",
                "peer": f"{peer_group}/{peer_name}",
                "okr_over_peer": value,
            })
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "target" / "bench-suite.json"))
    parser.add_argument("--no-run", action="store_true",
                        help="collect the results the last run left instead of running")
    parser.add_argument("criterion_args", nargs="*")
    args = parser.parse_args()
    since = 0.0
    if not args.no_run:
        since = time.time()
        command = ["cargo", "bench", "--bench", "rollup", "--bench", "store"]
        if args.criterion_args:
            command += ["--"] + args.criterion_args
        print("running:", " ".join(command), file=sys.stderr)
        subprocess.run(command, cwd=ROOT, check=True)
    found = collect(since)
    if not found:
        sys.exit("no benchmark results found in target/criterion")
    disk_figures = disk(since)
    result = {
        "command": "python3 benches/suite.py",
        "sizes": os.environ.get("OKR_BENCH_SIZES"),
        "machine": machine(),
        "benchmarks": sorted(found.values(), key=lambda e: (e["group"], e["benchmark"])),
        "disk": disk_figures,
        "ratios": ratios(found) + disk_ratios(disk_figures),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for r in result["ratios"]:
        print(f"{r['okr_over_peer']:10.3f}  {r['what']}")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
