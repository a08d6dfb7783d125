"""results.csv, results.jsonl, the PNG plots (matplotlib, Agg) and summary.md."""
import csv
import itertools
import json
import os

from .simulate import parse_csv_row

LATENCY = ("simulated_seconds", "cycles")
ENERGY = "energy_pj_total"
AREA = "area_mm2_total"


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def rows_of(points, results, axis_keys):
    """One dict per point: the swept keys, the metric columns, exit_status, error."""
    rows, metric_cols = [], []
    for i, p in enumerate(points):
        res = results[i]
        m = parse_csv_row(res.get("csv", "")) if res["exit_status"] == 0 else {}
        for c in m:
            if c not in metric_cols:
                metric_cols.append(c)
        row = {k: p.get(k, "") for k in axis_keys}
        row.update(m)
        row["exit_status"] = res["exit_status"]
        row["error"] = res.get("error", "")
        row["_cached"] = res.get("cached", False)
        rows.append(row)
    return rows, metric_cols


def write_tables(out, points, results, rows, axis_keys, metric_cols):
    # The point's own exit status and error close the row (the simulator's row has an
    # `error` column too: the sweep's, from the process, is the one kept).
    cols = (list(axis_keys) + [c for c in metric_cols if c not in axis_keys and c not in ("exit_status", "error")]
            + ["exit_status", "error"])
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    with open(os.path.join(out, "results.jsonl"), "w") as f:
        for i, p in enumerate(points):
            res = results[i]
            try:
                report = json.loads(res["report"]) if res.get("report") else None
            except ValueError:
                report = None
            f.write(json.dumps({"point": p, "exit_status": res["exit_status"],
                                "error": res.get("error", ""), "report": report}) + "\n")
    return cols


def _x(values):
    """Numeric x positions when every value is numeric, else category indices."""
    nums = [num(v) for v in values]
    if all(n is not None and not isinstance(v, bool) for n, v in zip(nums, values)):
        return nums, None
    cats = []
    for v in values:
        if str(v) not in cats:
            cats.append(str(v))
    return [cats.index(str(v)) for v in values], cats


def plot_axes(out, rows, axis_keys, metric):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ok = [r for r in rows if r["exit_status"] == 0 and num(r.get(metric)) is not None]
    files = []
    # axes of one value (e.g. a zip group fixing the layer size) get no plot and no legend
    varied = [k for k in axis_keys if len({str(r[k]) for r in ok}) > 1]
    for ax_key in varied:
        others = [k for k in varied if k != ax_key]
        groups = {}
        for r in ok:
            groups.setdefault(tuple(str(r[k]) for k in others), []).append(r)
        fig, ax = plt.subplots(figsize=(7, 4.5))
        _, cats = _x([label(ax_key, r[ax_key]) for r in ok] or [0])
        if len(groups) <= 12:
            for g, rs in sorted(groups.items()):
                xs, _ = _x([r[ax_key] for r in rs])
                if cats:
                    xs = [cats.index(label(ax_key, r[ax_key])) for r in rs]
                pts = sorted(zip(xs, [num(r[metric]) for r in rs]))
                name = ", ".join(f"{k.split('.')[-1]}={label(k, v)}" for k, v in zip(others, g)) or metric
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=name)
            if len(groups) > 1:
                ax.legend(fontsize=7, loc="best")
        else:
            xs = [cats.index(label(ax_key, r[ax_key])) for r in ok] if cats else [num(r[ax_key]) for r in ok]
            ax.scatter(xs, [num(r[metric]) for r in ok], s=12, alpha=0.6)
        ys = [num(r[metric]) for r in ok]
        if min(ys) > 0 and max(ys) / min(ys) > 30:  # decades apart: log scale
            ax.set_yscale("log")
        if cats:
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels(cats)
        ax.set_xlabel(ax_key)
        ax.set_ylabel(metric)
        ax.set_title(f"{metric} against {ax_key}")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        name = f"{metric}_vs_{ax_key}.png".replace("/", "_")
        fig.savefig(os.path.join(out, name), dpi=100)
        plt.close(fig)
        files.append(name)
    return files


def pareto_front(rows, objs):
    """Indices (into rows) of the points no other point dominates (all objectives minimised)."""
    vals = [[num(r.get(o)) for o in objs] for r in rows]
    front = []
    for i, a in enumerate(vals):
        dominated = any(all(b[k] <= a[k] for k in range(len(objs))) and
                        any(b[k] < a[k] for k in range(len(objs)))
                        for j, b in enumerate(vals) if j != i)
        if not dominated:
            front.append(i)
    return front


def label(key, value):
    """A value as plots and the summary show it: a base scenario by its file stem."""
    if key == "base":
        return os.path.splitext(os.path.basename(str(value)))[0]
    return str(value)


def plot_pareto(out, rows, name="pareto.png", title=""):
    """The latency / energy / area Pareto front of `rows` (indices into the sweep's rows):
    three 2-D projections in one PNG. Returns (file name or None, objectives,
    [(point number, row)] of the front)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ok = [(i, r) for i, r in rows if r["exit_status"] == 0]
    if not ok:
        return None, [], []
    lat = next((m for m in LATENCY if all(num(r.get(m)) is not None for _, r in ok)), None)
    objs = [o for o in (lat, ENERGY, AREA) if o and all(num(r.get(o)) is not None for _, r in ok)]
    if len(objs) < 2:
        return None, objs, []
    front = pareto_front([r for _, r in ok], objs)
    front_rows = [ok[k] for k in front]
    pairs = list(itertools.combinations(objs, 2))
    fig, axs = plt.subplots(1, len(pairs), figsize=(5.2 * len(pairs), 4.5), squeeze=False)
    for ax, (a, b) in zip(axs[0], pairs):
        ax.scatter([num(r[a]) for _, r in ok], [num(r[b]) for _, r in ok], s=14, c="0.7",
                   label="points")
        ax.scatter([num(r[a]) for _, r in front_rows], [num(r[b]) for _, r in front_rows],
                   s=30, c="tab:red", label="Pareto (3-D non-dominated)")
        for i, r in front_rows:
            ax.annotate(f"#{i}", (num(r[a]), num(r[b])), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        for setter, key in ((ax.set_xscale, a), (ax.set_yscale, b)):
            vals = [num(r[key]) for _, r in ok]
            if min(vals) > 0 and max(vals) / min(vals) > 30:  # decades apart: log scale
                setter("log")
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle((title + ": " if title else "") + "Pareto front: " + " / ".join(objs) + " (lower is better)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, name), dpi=100)
    plt.close(fig)
    return name, objs, front_rows


def plot_paretos(out, rows, several_bases):
    """One Pareto front per base scenario when there are several (different workloads are
    not comparable), else one. Returns [(title, png, objectives, front rows)]."""
    numbered = list(enumerate(rows))
    if not several_bases:
        return [("", *plot_pareto(out, numbered))]
    fronts, groups = [], {}
    for i, r in numbered:
        groups.setdefault(str(r["base"]), []).append((i, r))
    for base, members in groups.items():
        stem = label("base", base)
        fronts.append((stem, *plot_pareto(out, members, f"pareto_{stem}.png", stem)))
    return fronts


def write_summary(out, sweep, rows, axis_keys, axis_pngs, fronts, n_dropped, n_ran, n_cached):
    failed = [(i, r) for i, r in enumerate(rows) if r["exit_status"] != 0]
    L = ["# Sweep summary", "",
         f"Sweep file: `{sweep.path}`  ", f"Base: {', '.join(f'`{b}`' for b in sweep.bases)}  ",
         f"Points: {len(rows)} ({n_ran} run, {n_cached} cached, {len(failed)} failed); "
         f"{n_dropped} dropped by the constraints before running.", ""]
    metrics = [m for m in sweep.metrics if any(m in r for r in rows)]
    L += ["## Points", "", "| # | " + " | ".join(axis_keys + metrics) + " | exit |",
          "|" + "---|" * (len(axis_keys) + len(metrics) + 2)]
    for i, r in enumerate(rows):
        L.append(f"| {i} | " + " | ".join(label(k, r.get(k, "")) for k in axis_keys + metrics)
                 + f" | {r['exit_status']} |")
    L.append("")
    for title, pareto_png, objs, front_rows in fronts:
        if not pareto_png:
            continue
        L += [f"## Pareto front{': ' + title if title else ''}", "",
              f"Objectives (all minimised): {', '.join(objs)}. "
              "Red: the points no other point beats on every objective; labels are point numbers.",
              "", f"![Pareto front]({pareto_png})", "",
              "| # | " + " | ".join(axis_keys + objs) + " |", "|" + "---|" * (len(axis_keys) + len(objs) + 1)]
        for i, r in front_rows:
            L.append(f"| {i} | " + " | ".join(label(k, r.get(k, "")) for k in axis_keys + objs) + " |")
        L.append("")
    if axis_pngs:
        L += [f"## {sweep.plot_metric} against each axis", ""]
        L += [f"![{p}]({p})" for p in axis_pngs] + [""]
    if failed:
        L += ["## Failed points", "", "| # | exit | error |", "|---|---|---|"]
        L += [f"| {i} | {r['exit_status']} | {str(r['error']).replace('|', '/')} |" for i, r in failed]
        L.append("")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(L))
