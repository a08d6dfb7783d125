#!/usr/bin/env python3
"""The LRA design-space study of docs/exploration.md, from a finished sweep.

    /usr/bin/python3 tools/sweep/studies/lra_study.py SWEEP_OUT/results.csv OUT_DIR

Reads results.csv of scenarios/sweeps/lra_study.yaml (six whole LRA models x square array
size x vector lanes x scratchpad size x number format, run with --compare) and writes
OUT_DIR/study.md (the tables docs/exploration.md quotes) and the PNG plots it embeds.
Every number comes from the CSV; nothing is typed in.
"""
import csv
import os
import statistics
import sys

MODELS = ["listops", "text", "retrieval", "image", "pathfinder", "pathx"]
FORMATS = ["fp32", "bf16", "int16", "int8"]
K_ROWS, K_LANES, K_FMT = "array.rows", "vector.lanes", "precision.format"
K_SPAD = "scratchpad.input.size_kib"
PATHX_TARGETS_MS = [25, 35, 50, 80, 150, 300]
ACC_TOL = 1e-2  # "accurate": classes equal the reference's and logits within this relative error


def f(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def model_of(row):
    return os.path.splitext(os.path.basename(row["base"]))[0]


def load(path):
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["model"] = model_of(r)
        r["ok"] = r["exit_status"] == "0"
        for k in (K_ROWS, K_LANES, K_SPAD):
            r[k] = int(r[k])
    return rows


def fmt(v, spec):
    return "" if v is None else format(v, spec)


def table(header, lines):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in line) + " |" for line in lines]
    return out


def accurate(r):
    e = f(r["error_max_rel"])
    return r["class_agreement"] in ("1", "1.0", "true") and e is not None and e <= ACC_TOL


def short(r):
    return f"{r[K_ROWS]}/{r[K_LANES]}/{r[K_SPAD]}/{r[K_FMT]}"


def design(r):
    return f"{r[K_ROWS]}x{r[K_ROWS]}, {r[K_LANES]} lanes, {r[K_SPAD]} KiB, {r[K_FMT]}"


def pareto(rows, objs):
    vals = [[f(r[o]) for o in objs] for r in rows]
    front = []
    for i, a in enumerate(vals):
        if not any(all(b[k] <= a[k] for k in range(len(objs))) and any(b[k] < a[k] for k in range(len(objs)))
                   for j, b in enumerate(vals) if j != i):
            front.append(rows[i])
    return front


def main(csv_path, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(out, exist_ok=True)
    rows = load(csv_path)
    ok = [r for r in rows if r["ok"]]
    sizes = sorted({r[K_ROWS] for r in rows})
    spads = sorted({r[K_SPAD] for r in rows})
    lanes = sorted({r[K_LANES] for r in rows})
    L = [f"Points: {len(rows)}, completed {len(ok)}, failed {len(rows) - len(ok)}.", ""]

    # ---- failures: what did not fit ------------------------------------------------------------
    failed = [r for r in rows if not r["ok"]]
    if failed:
        groups = {}
        for r in failed:
            groups.setdefault((r["model"], r[K_SPAD], r[K_FMT]), []).append(r)
        L += ["### Points that did not run", ""]
        L += table(["model", "scratchpads (KiB)", "format", "points", "error (first)"],
                   [(m, s, fm, len(g), g[0]["error"][:110].replace("|", "/"))
                    for (m, s, fm), g in sorted(groups.items())])
        L.append("")

    # ---- Pareto fronts per model, among the accurate points ----------------------------------
    objs = ["simulated_seconds", "energy_pj_total", "area_mm2_total"]
    L += ["### Pareto fronts (latency, energy, area; all minimised)", "",
          f"Among the points whose logits are accurate (classes equal to the reference's and max relative "
          f"error <= {ACC_TOL:g}; the others are grey crosses in the plot). A design is written "
          "array/lanes/scratchpad KiB/format.", ""]
    lines = []
    area_all = [f(r["area_mm2_total"]) for r in ok]
    fig, axs = plt.subplots(2, 3, figsize=(15, 9), constrained_layout=True)
    sc = None
    for ax, m in zip(axs.flat, MODELS):
        pts = [r for r in ok if r["model"] == m]
        good = [r for r in pts if accurate(r)]
        if not good:
            continue
        front = sorted(pareto(good, objs), key=lambda r: f(r["simulated_seconds"]))
        fastest = min(good, key=lambda r: f(r["simulated_seconds"]))
        smallest = min(good, key=lambda r: f(r["area_mm2_total"]))
        lowest_e = min(good, key=lambda r: f(r["energy_pj_total"]))
        lines.append((m, f"{len(good)} of {len(pts)}", len(front),
                      f"{short(fastest)}: {f(fastest['simulated_seconds']) * 1e3:.2f} ms",
                      f"{short(lowest_e)}: {f(lowest_e['energy_pj_total']) * 1e-9:.2f} mJ",
                      f"{short(smallest)}: {f(smallest['area_mm2_total']):.1f} mm2",
                      ", ".join(short(r) for r in front)))
        bad = [r for r in pts if not accurate(r)]
        ax.scatter([f(r["simulated_seconds"]) * 1e3 for r in bad], [f(r["energy_pj_total"]) * 1e-9 for r in bad],
                   marker="x", c="0.75", s=18, label="not accurate")
        for fm, mk in zip(FORMATS, "os^v"):
            sel = [r for r in good if r[K_FMT] == fm]
            sc = ax.scatter([f(r["simulated_seconds"]) * 1e3 for r in sel],
                            [f(r["energy_pj_total"]) * 1e-9 for r in sel],
                            c=[f(r["area_mm2_total"]) for r in sel], cmap="viridis", marker=mk, s=22,
                            vmin=min(area_all), vmax=max(area_all), label=fm)
        ax.scatter([f(r["simulated_seconds"]) * 1e3 for r in front], [f(r["energy_pj_total"]) * 1e-9 for r in front],
                   s=80, facecolors="none", edgecolors="tab:red", label="Pareto (3-D)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(m)
        ax.set_xlabel("latency (ms, simulated)")
        ax.set_ylabel("energy (mJ)")
        ax.grid(True, alpha=0.3, which="both")
    axs.flat[0].legend(fontsize=7)
    if sc is not None:
        fig.colorbar(sc, ax=axs, label="area (mm2)", shrink=0.6)
    fig.suptitle("LRA study: latency vs energy, colour = area, marker = number format, red = 3-D Pareto front")
    fig.savefig(os.path.join(out, "study_pareto.png"), dpi=90)
    plt.close(fig)
    L += table(["model", "accurate points", "on the front", "fastest", "least energy", "smallest",
                "the front (by latency)"], lines)
    L += ["", "![Pareto fronts](study_pareto.png)", ""]

    # ---- EpochCore vs the baseline ------------------------------------------------------------
    L += ["### EpochCore against the TPU-like baseline (fp32, 4096 KiB scratchpads, 32 lanes)", "",
          "End-to-end speedup (baseline cycles / EpochCore cycles, the same array size, each model's "
          "strongest baseline variant) and energy ratio (baseline / EpochCore):", ""]
    ref = [r for r in ok if r[K_FMT] == "fp32" and r[K_SPAD] == max(spads) and r[K_LANES] == max(lanes)]
    lines, best = [], None
    for m in MODELS:
        cells = []
        for s in sizes:
            r = next((x for x in ref if x["model"] == m and x[K_ROWS] == s), None)
            if r is None or f(r["speedup_end_to_end"]) is None:
                cells.append("")
                continue
            sp, er = f(r["speedup_end_to_end"]), f(r["energy_ratio"])
            cells.append(f"{sp:.2f}x / {er:.2f}x")
            if best is None or sp > best[0]:
                best = (sp, m, s, er)
        lines.append([m] + cells)
    L += table(["model"] + [f"{s}x{s}: speedup / energy" for s in sizes], lines)
    if best:
        L += ["", f"Largest end-to-end speedup in this slice: {best[0]:.2f}x ({best[1]}, {best[2]}x{best[2]}), "
              f"energy ratio {best[3]:.2f}x.", ""]
    fig, axs = plt.subplots(1, 2, figsize=(12, 4.5))
    for m in MODELS:
        pts = sorted((x for x in ref if x["model"] == m), key=lambda x: x[K_ROWS])
        axs[0].plot([x[K_ROWS] for x in pts], [f(x["speedup_end_to_end"]) for x in pts], marker="o", label=m)
        axs[1].plot([x[K_ROWS] for x in pts], [f(x["energy_ratio"]) for x in pts], marker="o", label=m)
    for ax, what in zip(axs, ("end-to-end speedup over the baseline", "energy ratio (baseline / EpochCore)")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes)
        ax.set_xticklabels([f"{s}x{s}" for s in sizes])
        ax.axhline(1.0, color="0.5", lw=0.8)
        ax.set_xlabel("array")
        ax.set_ylabel(what)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "study_speedup.png"), dpi=90)
    plt.close(fig)
    L += ["![Speedup and energy ratio against array size](study_speedup.png)", ""]

    # ---- smallest Path-X design under a latency -----------------------------------------------
    px = [r for r in ok if r["model"] == "pathx"]
    correct = [r for r in px if accurate(r)]
    L += ["### The smallest design that runs Path-X under a latency", "",
          f"Among the {len(px)} Path-X points that ran, {len(correct)} are accurate (classes equal to the "
          f"reference's, max relative error <= {ACC_TOL:g}); the smallest area of those under each latency:", ""]
    lines = []
    for t in PATHX_TARGETS_MS:
        under = [r for r in correct if f(r["simulated_seconds"]) * 1e3 <= t]
        if not under:
            lines.append((f"{t} ms", "none", "", "", ""))
            continue
        r = min(under, key=lambda x: (f(x["area_mm2_total"]), f(x["simulated_seconds"])))
        lines.append((f"{t} ms", design(r), f"{f(r['area_mm2_total']):.1f}",
                      f"{f(r['simulated_seconds']) * 1e3:.2f}", f"{f(r['energy_pj_total']) * 1e-9:.1f}"))
    L += table(["latency target", "smallest design", "area mm2", "latency ms", "energy mJ"], lines)
    L.append("")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for fm, mk in zip(FORMATS, "os^v"):
        sel = [r for r in px if r[K_FMT] == fm]
        good = [r for r in sel if r in correct]
        bad = [r for r in sel if r not in correct]
        ax.scatter([f(r["area_mm2_total"]) for r in good], [f(r["simulated_seconds"]) * 1e3 for r in good],
                   marker=mk, s=24, label=f"{fm}")
        if bad:
            ax.scatter([f(r["area_mm2_total"]) for r in bad], [f(r["simulated_seconds"]) * 1e3 for r in bad],
                       marker="x", s=24, c="0.5", label=f"{fm}: not accurate")
    for t in PATHX_TARGETS_MS:
        ax.axhline(t, color="0.8", lw=0.7, ls="--")
    ax.set_yscale("log")
    ax.set_xlabel("area (mm2)")
    ax.set_ylabel("Path-X latency (ms, simulated)")
    ax.set_title("Path-X: latency against area (dashed: the latency targets)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "study_pathx.png"), dpi=90)
    plt.close(fig)
    L += ["![Path-X latency against area](study_pathx.png)", ""]

    # ---- what each axis does (medians of ratios over the other axes) ---------------------------
    def ratio(metric, key, a, b, rows_=ok):
        """median over matched pairs of metric(key=b) / metric(key=a), per model."""
        out_ = {}
        index = {}
        for r in rows_:
            k = tuple((c, r[c]) for c in ("model", K_ROWS, K_LANES, K_SPAD, K_FMT) if c != key)
            index.setdefault(k, {})[r[key]] = r
        for k, d in index.items():
            if a in d and b in d and f(d[a][metric]) and f(d[b][metric]) is not None:
                out_.setdefault(dict(k)["model"], []).append(f(d[b][metric]) / f(d[a][metric]))
        return {m: statistics.median(v) for m, v in out_.items()}

    L += ["### What each axis does", "",
          "Median over the matched pairs (every other axis equal) of the ratio named, per model:", ""]
    cols = [("cycles", K_LANES, min(lanes), max(lanes), f"cycles {max(lanes)} / {min(lanes)} lanes"),
            ("cycles", K_SPAD, max(spads), min(spads), f"cycles {min(spads)} / {max(spads)} KiB"),
            ("area_mm2_total", K_SPAD, max(spads), min(spads), f"area {min(spads)} / {max(spads)} KiB"),
            ("energy_pj_total", K_FMT, "fp32", "bf16", "energy bf16 / fp32"),
            ("energy_pj_total", K_FMT, "fp32", "int8", "energy int8 / fp32"),
            ("area_mm2_total", K_FMT, "fp32", "int8", "area int8 / fp32"),
            ("cycles", K_ROWS, min(sizes), max(sizes), f"cycles {max(sizes)}x{max(sizes)} / {min(sizes)}x{min(sizes)}")]
    res = [ratio(metric, key, a, b) for metric, key, a, b, _ in cols]
    L += table(["model"] + [c[4] for c in cols],
               [[m] + [fmt(r.get(m), ".3f") for r in res] for m in MODELS])
    L.append("")

    # ---- number formats: accuracy -----------------------------------------------------------------
    L += ["### Number formats: accuracy of the logits", "",
          "Max relative error of the logits against the double-precision reference (median and worst over "
          "the points) and the share of points whose classes equal the reference's:", ""]
    lines = []
    for m in MODELS:
        cells = []
        for fm in FORMATS:
            sel = [r for r in ok if r["model"] == m and r[K_FMT] == fm and f(r["error_max_rel"]) is not None]
            if not sel:
                cells.append("")
                continue
            errs = [f(r["error_max_rel"]) for r in sel]
            agree = sum(1 for r in sel if r["class_agreement"] in ("1", "1.0", "true")) / len(sel)
            cells.append(f"{statistics.median(errs):.1e} / {max(errs):.1e} / {agree:.0%}")
        lines.append([m] + cells)
    L += table(["model"] + [f"{fm}: median / worst / classes" for fm in FORMATS], lines)
    L.append("")
    with open(os.path.join(out, "study.md"), "w") as fh:
        fh.write("\n".join(L) + "\n")
    print("\n".join(L))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
