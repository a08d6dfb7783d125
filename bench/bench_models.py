#!/usr/bin/env python3
"""Wall-clock time and peak memory of whole-model runs (`./epochcore bench models`):
each scenario runs N times in its own process (SystemC elaborates once per process); the
median wall time, the peak resident memory and the simulated cycles are printed as a
Markdown table. The goal it checks (docs/performance.md): a full Path-X model in fast
timing in under a minute on a 2-core machine."""
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

def main():
    args = sys.argv[1:]
    vp = args.pop(0)
    runs = 3
    if args and args[0].startswith("--runs="):
        runs = int(args.pop(0).split("=", 1)[1])
    scenarios = args
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    print(f"| scenario | runs | median wall (s) | min / max (s) | peak RSS (MiB) | simulated cycles |")
    print("| --- | --- | --- | --- | --- | --- |")
    for sc in scenarios:
        walls, rss, cycles = [], 0, None
        for _ in range(runs):
            with tempfile.NamedTemporaryFile(suffix=".json") as rep:
                t0 = time.monotonic()
                before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                subprocess.run([vp, sc, "--quiet", "--report", rep.name], check=True, env=env)
                walls.append(time.monotonic() - t0)
                rss = max(rss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
                cycles = json.load(open(rep.name))["cycles"]
        print(f"| {os.path.basename(sc)} | {runs} | {statistics.median(walls):.2f} | "
              f"{min(walls):.2f} / {max(walls):.2f} | {rss / 1024:.0f} | {cycles} |")

if __name__ == "__main__":
    main()
