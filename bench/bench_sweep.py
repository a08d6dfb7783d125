#!/usr/bin/env python3
"""Design-space sweeps on Dask: wall time, points per second and the speedup of 2 workers
over 1 (docs/performance.md). Runs one sweep file with --workers 1 and --workers 2, each
time into a fresh output folder (nothing cached), alternating, N times; prints the median
wall time of each and their ratio. The wall time is the whole `epochcore sweep` command:
validation of every point (--print-scenario), the LocalCluster's start, the runs, outputs.

  bench_sweep.py EPOCHCORE_VP [--runs=N] [SWEEP.yaml]
  (default: scenarios/sweeps/lra_speedup.yaml, 24 points of the LRA study)"""
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    args = sys.argv[1:]
    vp = os.path.abspath(args.pop(0))
    runs = 3
    if args and args[0].startswith("--runs="):
        runs = int(args.pop(0).split("=", 1)[1])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sweep_file = args[0] if args else os.path.join(root, "scenarios", "sweeps", "lra_speedup.yaml")
    tool = os.path.join(root, "tools", "sweep", "epochcore_sweep.py")
    walls = {1: [], 2: []}
    points = None
    for r in range(runs):
        for workers in (1, 2):
            out = tempfile.mkdtemp(prefix=f"bench-sweep-w{workers}-")
            t0 = time.monotonic()
            p = subprocess.run(["/usr/bin/python3", tool, sweep_file, "--vp", vp, "--workers", str(workers),
                                "--output", out], capture_output=True, text=True)
            wall = time.monotonic() - t0
            if p.returncode != 0:
                sys.exit(f"sweep failed (workers {workers}): {p.stderr[-500:]}")
            with open(os.path.join(out, "results.csv")) as f:
                rows = list(csv.DictReader(f))
            failed = sum(1 for x in rows if x["exit_status"] != "0")
            points = len(rows)
            shutil.rmtree(out)
            walls[workers].append(wall)
            print(f"run {r + 1}/{runs}: {workers} worker(s): {points} points ({failed} failed) in {wall:.1f} s "
                  f"({points / wall:.2f} points/s)", flush=True)
    m1, m2 = statistics.median(walls[1]), statistics.median(walls[2])
    print(f"\n{os.path.relpath(sweep_file, root)}: {points} points, {os.cpu_count()} cores, medians of {runs}")
    print(f"  1 worker : {m1:.1f} s, {points / m1:.2f} points/s")
    print(f"  2 workers: {m2:.1f} s, {points / m2:.2f} points/s")
    print(f"  speedup of 2 workers over 1: {m1 / m2:.2f}x")


if __name__ == "__main__":
    main()
