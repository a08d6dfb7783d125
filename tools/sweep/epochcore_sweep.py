#!/usr/bin/env python3
"""./epochcore sweep SWEEP.yaml: design-space sweeps of the EpochCore virtual platform.

Validates the sweep file against the simulator (exit 2, naming the key, before anything
runs), drops the points the constraints forbid, runs every other point as its own
simulator process on Dask (cached by the effective scenario), writes results.csv,
results.jsonl, PNG plots and summary.md in the output folder. docs/exploration.md.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import yaml  # noqa: E402

from ecsweep import outputs, schedule, simulate  # noqa: E402
from ecsweep.spec import Sweep, SweepError, flatten  # noqa: E402


def fail(msg):
    print(f"epochcore sweep: {msg}", file=sys.stderr)
    sys.exit(2)


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(prog="epochcore sweep", description=__doc__.splitlines()[0])
    ap.add_argument("sweep", help="the sweep file (YAML)")
    ap.add_argument("--vp", default=os.environ.get("EPOCHCORE_VP", os.path.join(root, "build", "epochcore-vp")),
                    help="the simulator binary (default build/epochcore-vp)")
    ap.add_argument("--workers", type=int, default=None,
                    help="LocalCluster worker processes (one thread each; default: one per core)")
    ap.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    ap.add_argument("--output", default=None, help="output folder (overrides the sweep file's)")
    ap.add_argument("--dry-run", action="store_true", help="validate and list the points, run nothing")
    a = ap.parse_args(argv)
    a.vp = os.path.abspath(a.vp)  # workers may run in another directory
    if not os.access(a.vp, os.X_OK):
        fail(f"simulator '{a.vp}' not found or not executable (build it, or give --vp)")
    try:
        sw = Sweep(a.sweep)
    except SweepError as e:
        fail(str(e))
    out = os.path.abspath(a.output or sw.output)

    # ---- validation against the simulator, before anything runs -----------------------
    base_flat = {}
    for b in sw.bases:
        rc, text, err = simulate.print_scenario(a.vp, b, {})
        if rc != 0:
            fail(f"base: {b}: {err.strip().splitlines()[-1] if err.strip() else f'exit {rc}'}")
        base_flat[b] = flatten(yaml.safe_load(text) or {})
    scenario_keys = set().union(*base_flat.values())
    for k in sw.axis_keys:
        if k != "base" and k not in scenario_keys:
            fail(f"axes: unknown scenario key '{k}' (docs/scenarios.md lists them)")
    try:
        sw.check_constraint_keys(scenario_keys)
    except SweepError as e:
        fail(str(e))
    all_points = sw.points()
    points, dropped = [], 0
    for p in all_points:
        values = dict(base_flat[simulate.base_of(p, sw.bases)])
        values.update(p)
        if sw.allowed(values):
            points.append(p)
        else:
            dropped += 1
    if not points:
        fail(f"no point left: {len(all_points)} points, all dropped by the constraints")
    version = simulate.vp_version(a.vp)
    use_csv = simulate.vp_has_csv(a.vp)
    jobs = []
    for i, p in enumerate(points):
        base = simulate.base_of(p, sw.bases)
        rc, text, err = simulate.print_scenario(a.vp, base, p)
        if rc != 0:
            last = err.strip().splitlines()[-1] if err.strip() else f"exit {rc}"
            sets = ", ".join(f"{k}={v}" for k, v in p.items())
            fail(f"point {i} ({sets}): {last}")
        jobs.append((i, simulate.cache_key(text, base, version, sw.flags, a.vp), base, p))
    print(f"epochcore sweep: {len(points)} points ({dropped} dropped by the constraints), "
          f"{'--csv rows' if use_csv else 'JSON flattening (simulator without --csv)'}, output {out}",
          file=sys.stderr)
    if a.dry_run:
        for i, key, base, p in jobs:
            print(i, key[:12], p)
        return 0

    # ---- run -----------------------------------------------------------------------------
    os.makedirs(out, exist_ok=True)
    results = schedule.run_all(jobs, out, a.vp, use_csv, sw.flags, workers=a.workers, scheduler=a.scheduler)

    # ---- outputs ---------------------------------------------------------------------------
    rows, metric_cols = outputs.rows_of(points, results, sw.axis_keys)
    outputs.write_tables(out, points, results, rows, sw.axis_keys, metric_cols)
    axis_pngs = outputs.plot_axes(out, rows, sw.axis_keys, sw.plot_metric)
    fronts = outputs.plot_paretos(out, rows, len(sw.bases) > 1)
    n_cached = sum(1 for r in results.values() if r.get("cached"))
    outputs.write_summary(out, sw, rows, sw.axis_keys, axis_pngs, fronts, dropped, len(points) - n_cached, n_cached)
    n_failed = sum(1 for r in rows if r["exit_status"] != 0)
    print(f"epochcore sweep: {len(points)} points, {len(points) - n_cached} run, {n_cached} cached, "
          f"{n_failed} failed; {out}/results.csv, summary.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
