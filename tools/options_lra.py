#!/usr/bin/env python3
"""The hardware options on the six LRA layers and whole models (docs/performance.md,
"Every option on the six LRA workloads").

Runs every scenario of scenarios/lra_layers/ and scenarios/lra/ once per option set, with
--compare (fast timing, the scenarios' own), keeps the reports in OUT_DIR (a report that
exists is not run again: delete OUT_DIR after changing the simulator or the data), and
prints Markdown tables: speedup and energy ratio against the TPU-like baseline per option,
and each option's cycles against the default. Model-compiler keys (`compiler.*`) do not
apply to single layers: there an option made only of them repeats the default's figures.

Usage, from the source root:
  python3 tools/options_lra.py build/epochcore-vp OUT_DIR [NAME=KEY=VALUE[,KEY=VALUE...] ...]
Without option sets it uses the options the platform models (OPTIONS below).
"""
import json
import os
import subprocess
import sys

MODELS = ["listops", "text", "retrieval", "image", "pathfinder", "pathx"]
# name -> the --set assignments; "default" is today's accelerator.
OPTIONS = {
    "default": [],
    "segment_direction": ["array.segment_direction=true"],
    "pe_clock_gating": ["energy.pe_clock_gating=true"],
    "compute_queues": ["array.compute_queues=2"],
    "partial_residency": ["compiler.residency=partial"],
    "all": ["array.segment_direction=true", "energy.pe_clock_gating=true", "array.compute_queues=2",
            "compiler.residency=partial"],
}


def run(vp, scenario, sets, path):
    if os.path.exists(path):
        return json.load(open(path))
    cmd = [vp, scenario, "--compare", "--quiet", "--report", path + ".tmp"]
    for s in sets:
        cmd += ["--set", s]
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no message)"]
        print(f"options_lra: {' '.join(cmd)} exited {proc.returncode}: {tail[0]}", file=sys.stderr)
        return None
    os.replace(path + ".tmp", path)
    return json.load(open(path))


def figures(rep):
    """cycles, speedup (optimised baseline, end to end), energy ratio, area ratio."""
    if rep is None:
        return None
    c = rep["comparison"]
    return {"cycles": rep["cycles"], "speedup": c["speedup_end_to_end"],
            "compute": c.get("speedup_compute"), "energy": c["energy_ratio"],
            "area": c["area_ratio"], "energy_pj": rep["energy_pj"]["total"]}


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    vp, out = argv[1], argv[2]
    options = dict(OPTIONS)
    if len(argv) > 3:
        options = {"default": []}
        for spec in argv[3:]:
            name, _, sets = spec.partition("=")
            if not sets:
                print(f"options_lra: option set '{spec}' is not NAME=KEY=VALUE[,KEY=VALUE...]", file=sys.stderr)
                return 2
            options[name] = sets.split(",")
    os.makedirs(out, exist_ok=True)
    results = {}
    for kind in ["lra_layers", "lra"]:
        for m in MODELS:
            for name, sets in options.items():
                if kind == "lra_layers":  # compiler.* keys apply to whole models (the model compiler) only
                    sets = [a for a in sets if not a.startswith("compiler.")]
                    if not sets and name != "default":
                        results[(kind, m, name)] = results[(kind, m, "default")]
                        continue
                rep = run(vp, f"scenarios/{kind}/{m}.yaml", sets, f"{out}/{kind}_{m}_{name}.json")
                results[(kind, m, name)] = figures(rep)

    def cell(f, key, fmt):
        return "failed" if f is None else fmt % f[key]

    for kind, title in [("lra_layers", "One bidirectional S4D layer"), ("lra", "Whole model")]:
        print(f"\n{title}: speedup compute / speedup end to end / energy ratio against the optimised baseline\n")
        print("| model | " + " | ".join(options) + " |")
        print("| --- |" + " ---: |" * len(options))
        for m in MODELS:
            cells = []
            for name in options:
                f = results[(kind, m, name)]
                cells.append("failed" if f is None else "%.1fx / %.2fx / %.2fx" % (f["compute"], f["speedup"], f["energy"]))
            print(f"| {m} | " + " | ".join(cells) + " |")
        print(f"\n{title}: cycles and energy against the default accelerator\n")
        print("| model | default cycles | " + " | ".join(n for n in options if n != "default") + " |")
        print("| --- | ---: |" + " ---: |" * (len(options) - 1))
        for m in MODELS:
            base = results[(kind, m, "default")]
            cells = []
            for name in options:
                if name == "default":
                    continue
                f = results[(kind, m, name)]
                if f is None or base is None:
                    cells.append("failed")
                else:
                    cells.append("%+.1f%% cycles, %+.1f%% energy" % (100 * (f["cycles"] / base["cycles"] - 1),
                                                                     100 * (f["energy_pj"] / base["energy_pj"] - 1)))
            print(f"| {m} | {cell(base, 'cycles', '%d')} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
