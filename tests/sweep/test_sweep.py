#!/usr/bin/env python3
"""ctest sweep_dask: tools/sweep on a real Dask LocalCluster (2 workers), a tiny S4D layer.
   test_sweep.py EPOCHCORE_VP DEFAULT_SCENARIO
SKIPPED (exit 77) without python3-distributed / python3-matplotlib."""
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

try:
    import distributed  # noqa: F401
    import matplotlib  # noqa: F401
except ImportError as e:
    print(f"SKIPPED: {e}")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
SWEEP = os.path.join(HERE, "..", "..", "tools", "sweep", "epochcore_sweep.py")
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "sweep"))
from ecsweep.simulate import flatten_report, parse_csv_row  # noqa: E402

VP, BASE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TINY = {"workload.channels": 8, "workload.length": 64}
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def write_sweep(path, body):
    with open(path, "w") as f:
        f.write(body)


def runs(log):
    """Simulator runs (not --print-scenario/--version/--help) the wrapper saw."""
    if not os.path.exists(log):
        return 0
    return sum(1 for l in open(log) if "--report" in l)


def sweep(tmp, name, body, extra=()):
    p = os.path.join(tmp, name)
    write_sweep(p, body)
    t = time.time()
    r = subprocess.run([sys.executable if False else "/usr/bin/python3", SWEEP, p, "--vp", WRAP,
                        "--workers", "2"] + list(extra), capture_output=True, text=True)
    print(f"  [{name}: exit {r.returncode}, {time.time() - t:.1f}s]")
    return r


tmp = tempfile.mkdtemp(prefix="ecsweep-test-")
LOG = os.path.join(tmp, "vp.log")
WRAP = os.path.join(tmp, "vp-wrapper.sh")
with open(WRAP, "w") as f:
    f.write(f'#!/bin/sh\necho "$*" >> "{LOG}"\nexec "{VP}" "$@"\n')
os.chmod(WRAP, 0o755)

OUT = os.path.join(tmp, "out")
ZIP = "  zip:\n    - workload.channels: [8]\n      workload.length: [64]\n"
# FAIL_KEY=FAIL_BAD passes --print-scenario but fails when the point runs (exit 2: system
# memory of 1 MiB cannot hold the job).
FAIL_KEY, FAIL_OK, FAIL_BAD = "memory.size_mib", 256, 1


def grid_body(lanes, extra_axes=""):
    return (f"base: {BASE}\naxes:\n  grid:\n    array.rows: [4, 8]\n    array.cols: [4, 8]\n"
            f"    vector.lanes: {lanes}\n    {FAIL_KEY}: [{FAIL_OK}, {FAIL_BAD}]\n{ZIP}{extra_axes}"
            "constraints:\n  - {key: array.rows, op: '>=', other_key: array.cols}\n"
            f"output: {OUT}\n")

# ---- 1. bad sweep files: exit 2, key named, nothing runs --------------------------------
bad = {
    "unknown_key.yaml": (f"base: {BASE}\naxes:\n  grid:\n    array.rows: [4]\nbogus_key: 1\n", "bogus_key"),
    "unknown_scenario_key.yaml": (f"base: {BASE}\naxes:\n  grid:\n    array.rowz: [4]\n", "array.rowz"),
    "bad_value.yaml": (f"base: {BASE}\naxes:\n  grid:\n    vector.lanes: [4, banana]\n", "banana"),
    "empty_axis.yaml": (f"base: {BASE}\naxes:\n  grid:\n    array.rows: []\n", "array.rows"),
    "bad_constraint.yaml": (f"base: {BASE}\naxes:\n  grid:\n    array.rows: [4]\n"
                            "constraints:\n  - {key: array.nope, op: '<=', value: 3}\n", "array.nope"),
}
for name, (body, key) in bad.items():
    r = sweep(tmp, name, body + f"output: {tmp}/bad\n")
    check(r.returncode == 2 and key in r.stderr, f"{name}: exit 2 naming '{key}' ({r.stderr.strip()[-160:]})")
check(runs(LOG) == 0 and not os.path.exists(os.path.join(tmp, "bad")), "bad sweep files ran no point")

# ---- 2. the sweep: 2 x 2 x 3 x 2 = 24 points, constraint rows >= cols drops 6 -> 18 -----
r = sweep(tmp, "grid.yaml", grid_body("[4, 16]"))
n_first = runs(LOG)
check(r.returncode == 0, f"sweep exits 0 ({r.stderr.strip()[-300:]})")
check(n_first == 12, f"12 points run (rows>=cols drops 4 of 16): {n_first}")
check("4 dropped" in r.stderr, "the dropped points are counted")
with open(os.path.join(OUT, "results.csv")) as f:
    rows = list(csv.DictReader(f))
check(len(rows) == 12, f"results.csv has 12 rows: {len(rows)}")
cols = list(rows[0].keys())
check(cols[:5] == ["array.rows", "array.cols", "vector.lanes", FAIL_KEY, "workload.channels"],
      f"swept keys first: {cols[:6]}")
check(cols[-2:] == ["exit_status", "error"], "exit_status, error last")
bad_rows = [x for x in rows if x[FAIL_KEY] == str(FAIL_BAD)]
good_rows = [x for x in rows if x[FAIL_KEY] == str(FAIL_OK)]
check(len(bad_rows) == 6 and all(x["exit_status"] not in ("0", "") and x["error"] for x in bad_rows),
      f"the failing points are recorded with status and message: "
      f"{[(x['exit_status'], x['error'][:80]) for x in bad_rows[:1]]}")
check(len(good_rows) == 6 and all(x["exit_status"] == "0" for x in good_rows), "the other points complete")
with open(os.path.join(OUT, "results.jsonl")) as f:
    jl = [json.loads(l) for l in f]
check(len(jl) == 12 and all(("report" in j and "point" in j) for j in jl), "results.jsonl: 12 lines")

# two points by hand: every metric column equals the single run's
metric_cols = [c for c in cols if c not in ("array.rows", "array.cols", "vector.lanes", FAIL_KEY,
                                             "workload.channels", "workload.length", "exit_status", "error")]
help_text = subprocess.run([VP, "--help"], capture_output=True, text=True).stdout
for row in good_rows[:1] + good_rows[-1:]:
    sets = {k: row[k] for k in ("array.rows", "array.cols", "vector.lanes", FAIL_KEY)}
    sets.update(TINY)
    rep, csvp = os.path.join(tmp, "single.json"), os.path.join(tmp, "single.csv")
    cmd = [VP, BASE, "--quiet", "--report", rep]
    for k, v in sets.items():
        cmd += ["--set", f"{k}={v}"]
    if "--csv" in help_text:
        cmd += ["--csv", csvp]
    subprocess.run(cmd, check=True, capture_output=True)
    if "--csv" in help_text:
        single = parse_csv_row(open(csvp).read())
    else:
        single = {k: str(v) for k, v in flatten_report(json.load(open(rep))).items()}
    # host wall-clock columns (wall_seconds, ...) differ from run to run: not simulated metrics
    diff = [c for c in metric_cols if "wall" not in c and str(single.get(c)) != row[c]]
    check(not diff and len(metric_cols) > 3,
          f"row {sets} equals the single run in all {len(metric_cols)} metric columns (diff: {diff[:5]})")

pngs = [f for f in os.listdir(OUT) if f.endswith(".png")]
# one PNG per axis with more than one value among the completed points, and the Pareto plot
check(sorted(pngs) == ["cycles_vs_array.cols.png", "cycles_vs_array.rows.png",
                       "cycles_vs_vector.lanes.png", "pareto.png"], f"plots written: {sorted(pngs)}")
summary = open(os.path.join(OUT, "summary.md")).read()
check("![Pareto front](pareto.png)" in summary and "## Pareto front" in summary, "summary.md embeds the plots")

# ---- 3. re-run: nothing simulated ----------------------------------------------------
r = sweep(tmp, "grid.yaml", grid_body("[4, 16]"))
check(r.returncode == 0 and runs(LOG) == n_first, f"re-run runs nothing: {runs(LOG) - n_first} runs")
check("12 cached" in r.stderr, "re-run: 12 cached")

# ---- 4. one more axis value: only the new points run ---------------------------------
r = sweep(tmp, "grid.yaml", grid_body("[4, 16, 32]"))
check(r.returncode == 0 and runs(LOG) - n_first == 6, f"adding vector.lanes=32 runs 6 points: {runs(LOG) - n_first}")
with open(os.path.join(OUT, "results.csv")) as f:
    check(len(list(csv.DictReader(f))) == 18, "results.csv now has 18 rows")

# ---- 5. two bases and seeded random axes: base is an axis; same seed, same points --------
OTHER = os.path.join(tmp, "other_base.yaml")
with open(OTHER, "w") as f:
    f.write("name: tiny_other\narray:\n  rows: 4\n  cols: 4\n")
OUT2 = os.path.join(tmp, "out_random")


def random_body(seed):
    return (f"base: [{BASE}, {OTHER}]\naxes:\n{ZIP}  random:\n    samples: 3\n    seed: {seed}\n    keys:\n"
            "      vector.lanes: [4, 8, 16]\n"
            "      memory.latency_ns: {min: 10, max: 200, log: true}\n"
            "      dma.setup_cycles: {min: 8, max: 64, int: true}\n"
            f"output: {OUT2}\n")


def dry_points(seed):
    r = sweep(tmp, f"random_{seed}.yaml", random_body(seed), ["--dry-run"])
    return r.returncode, [l.split(" ", 2)[2] for l in r.stdout.splitlines() if l[:1].isdigit()]


rc1, p1 = dry_points(7)
rc2, p2 = dry_points(7)
rc3, p3 = dry_points(8)
check(rc1 == 0 and len(p1) == 6, f"2 bases x 3 random samples: 6 points listed ({len(p1)})")
check(p1 == p2 and p1 != p3, "random samples: the same seed gives the same points, another seed others")
before = runs(LOG)
r = sweep(tmp, "random_7.yaml", random_body(7))
check(r.returncode == 0 and runs(LOG) - before == 6, f"the random sweep runs 6 points: {runs(LOG) - before}")
with open(os.path.join(OUT2, "results.csv")) as f:
    rrows = list(csv.DictReader(f))
check(list(rrows[0])[:1] == ["base"] and {x["base"] for x in rrows} == {BASE, OTHER},
      "results.csv: base is the first column, both bases present")
check(all(x["exit_status"] == "0" for x in rrows), "every random point completes")
check({x["scenario"] for x in rrows} == {"tiny_other", json.load(open(os.path.join(tmp, "single.json")))["scenario"]["name"]},
      "each row ran its own base (scenario names)")
lat = [float(x["memory.latency_ns"]) for x in rrows]
setup = [x["dma.setup_cycles"] for x in rrows]
check(all(10 <= v <= 200 for v in lat) and all(s.isdigit() and 8 <= int(s) <= 64 for s in setup),
      f"random values in range, int keys integral: {lat[:3]} {setup[:3]}")

stem = os.path.splitext(os.path.basename(BASE))[0]
check(os.path.exists(os.path.join(OUT2, f"pareto_{stem}.png")) and os.path.exists(os.path.join(OUT2, "pareto_other_base.png"))
      and not os.path.exists(os.path.join(OUT2, "pareto.png")), "several bases: one Pareto front per base")
summary2 = open(os.path.join(OUT2, "summary.md")).read()
check("## Pareto front: other_base" in summary2 and f"## Pareto front: {stem}" in summary2, "summary.md: a front per base")

# ---- 6. a technology table named by the scenario (energy.tech: 45nm) is in the cache key --
import shutil  # noqa: E402
DATA = os.path.join(tmp, "data")
shutil.copytree(os.path.join(os.path.dirname(BASE), "tech"), os.path.join(DATA, "tech"))
tech = os.path.join(DATA, "tech", "45nm.yaml")
text = open(tech).read()


def dry_keys():
    r = subprocess.run(["/usr/bin/python3", SWEEP, os.path.join(tmp, "random_7.yaml"), "--vp", WRAP, "--dry-run"],
                       capture_output=True, text=True, env=dict(os.environ, EPOCHCORE_DATA_DIR=DATA))
    return [l.split(" ")[1] for l in r.stdout.splitlines() if l[:1].isdigit()]


k1 = dry_keys()
with open(tech, "w") as f:
    f.write(text + "\n# edited: the same figures, other bytes\n")
k2 = dry_keys()
check(len(k1) == 6 and len(k2) == 6 and not set(k1) & set(k2),
      "editing the named technology table (tech/45nm.yaml) changes every point's cache key")

print("FAILED: " + "; ".join(failures) if failures else "PASS")
sys.exit(1 if failures else 0)
