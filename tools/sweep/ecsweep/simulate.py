"""One point: the simulator's command line, the cache key, the run itself (on a worker)."""
import csv
import hashlib
import io
import json
import os
import subprocess
import tempfile

import yaml

from .spec import flatten, set_value

# Scenario keys that may name input files (their contents go into the cache key).
FILE_KEYS = ["workload.weights", "workload.inputs", "workload.lengths", "workload.model",
             "host.firmware", "energy.tech"]


def set_args(point):
    args = []
    for k, v in point.items():
        if k != "base":
            args += ["--set", f"{k}={set_value(v)}"]
    return args


def base_of(point, bases):
    return point.get("base", bases[0])


def print_scenario(vp, base, point):
    """(exit status, stdout, stderr) of `vp BASE --set ... --print-scenario`."""
    r = subprocess.run([vp, base] + set_args(point) + ["--print-scenario"],
                       capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def vp_version(vp):
    r = subprocess.run([vp, "--version"], capture_output=True, text=True)
    return r.stdout + r.stderr


def vp_has_csv(vp):
    r = subprocess.run([vp, "--help"], capture_output=True, text=True)
    return "--csv" in (r.stdout + r.stderr)


def data_dir(vp):
    """The simulator's data directory (tech/<name>.yaml), found as epochcore-vp finds it
    (platform/io/data_dir.h): $EPOCHCORE_DATA_DIR, <vp>/../share/epochcore, or the build
    tree's marker file; None when none applies."""
    env = os.environ.get("EPOCHCORE_DATA_DIR")
    if env:
        return env
    exe_dir = os.path.dirname(os.path.realpath(vp))
    installed = os.path.normpath(os.path.join(exe_dir, "..", "share", "epochcore"))
    if os.path.isdir(installed):
        return installed
    d = exe_dir
    while True:
        marker = os.path.join(d, "epochcore_data_dir.txt")
        if os.path.isfile(marker):
            with open(marker) as f:
                first = f.readline().strip()
            return first if os.path.isabs(first) else os.path.normpath(os.path.join(d, first))
        if os.path.dirname(d) == d:
            return None
        d = os.path.dirname(d)


def input_files(effective, base, vp=None):
    """Paths of the input files the effective scenario names (that exist); a technology
    table given by name (energy.tech: 45nm) is the data directory's tech/<name>.yaml."""
    flat = flatten(yaml.safe_load(effective) or {})
    paths = []
    tech = flat.get("energy.tech")
    if vp and isinstance(tech, str) and tech and "/" not in tech and not tech.endswith(".yaml"):
        dd = data_dir(vp)
        named = os.path.join(dd, "tech", tech + ".yaml") if dd else None
        if named and os.path.isfile(named):
            paths.append(os.path.abspath(named))
    for k in FILE_KEYS:
        v = flat.get(k)
        if not isinstance(v, str) or not v:
            continue
        for cand in (v, os.path.join(os.path.dirname(base), v)):
            if os.path.isfile(cand):
                paths.append(os.path.abspath(cand))
                break
    return paths


def cache_key(effective, base, version, flags=(), vp=None):
    h = hashlib.sha256()
    h.update(b"scenario\0" + effective.encode())
    h.update(b"\0flags\0" + " ".join(flags).encode())
    for p in input_files(effective, base, vp):
        h.update(b"\0file\0" + p.encode() + b"\0")
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    h.update(b"\0version\0" + version.encode())
    return h.hexdigest()


def flatten_report(report):
    """FALLBACK for simulators without --csv: the JSON report's scalars, nested names
    joined with '_' (energy_pj.total -> energy_pj_total), lists left out."""
    flat = {}
    for k, v in flatten(report).items():
        if isinstance(v, (int, float, str, bool)) or v is None:
            flat[k.replace(".", "_")] = v
    return flat


def parse_csv_row(text):
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[1]))


def run_point(vp, base, point, use_csv, flags=()):
    """Runs one point in its own simulator process. Returns a dict with the report text,
    the CSV row text, exit status and stderr. Runs on a Dask worker."""
    with tempfile.TemporaryDirectory(prefix="ecsweep-") as tmp:
        rep, row = os.path.join(tmp, "report.json"), os.path.join(tmp, "row.csv")
        cmd = [vp, base] + set_args(point) + list(flags) + ["--quiet", "--report", rep]
        if use_csv:
            cmd += ["--csv", row]
        env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        report = open(rep).read() if os.path.exists(rep) else ""
        csv_text = open(row).read() if (use_csv and os.path.exists(row)) else ""
    if r.returncode == 0 and report and not csv_text:
        # fallback: our own flattening of the JSON report
        flat = flatten_report(json.loads(report))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(flat.keys())
        w.writerow(flat.values())
        csv_text = buf.getvalue()
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    return {"exit_status": r.returncode, "report": report, "csv": csv_text,
            "stderr": r.stderr, "error": lines[-1] if (r.returncode and lines) else ""}
