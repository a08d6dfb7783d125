#!/usr/bin/env python3
"""Print the EpochCore-vs-baseline comparison of several `epochcore-vp --compare --report`
JSON files as Markdown tables (used by `./epochcore compare A.yaml B.yaml ...`): one table
for single layers and GEMMs, one for whole models (workload.kind s4_model)."""
import json
import sys

reports = [json.load(open(p)) for p in sys.argv[1:]]
layers = [r for r in reports if r["workload"]["kind"] != "s4_model"]
models = [r for r in reports if r["workload"]["kind"] == "s4_model"]

if layers:
    print("| scenario | H | M | L | B | EpochCore array cycles | job cycles (incl. DMA) | PE util | "
          "baseline (optimised) cycles, method | speedup | speedup vs baseline as described | "
          "energy EpochCore / baseline (uJ) | energy ratio | area ratio (chip / PE) |")
    print("| --- " * 14 + "|")
    for r in layers:
        w, c = r["workload"], r["comparison"]
        print(f"| {r['scenario']['name']} | {w['channels']} | {w['modes']} | {w['length']} | {w['batch']} "
              f"| {c['epochcore_compute_cycles']} | {c['epochcore_job_cycles']} | {r['pe_utilization']:.3f} "
              f"| {c['baseline_cycles']} {c.get('baseline_method', '')} | {c['speedup_compute']:.1f}x "
              f"| {c.get('speedup_vs_as_described', 0):.0f}x "
              f"| {c['epochcore_energy_pj'] * 1e-6:.4g} / {c['baseline_energy_pj'] * 1e-6:.4g} "
              f"| {c['energy_ratio']:.1f}x | {c['area_ratio']:.2f}x / {c['pe_area_ratio']:.2f}x |")

if models:
    if layers:
        print()
    print("| model | H | M | L | B | precision | EpochCore job cycles (incl. DMA) | array + vector busy | "
          "PE util | baseline (optimised) cycles | speedup end to end | speedup compute | "
          "speedup vs baseline as described | energy EpochCore / baseline (uJ) | energy ratio | "
          "area ratio (chip / PE) | logits max_rel |")
    print("| --- " * 17 + "|")
    for r in models:
        m, w, c = r["workload"]["model"], r["workload"], r["comparison"]
        acc = r.get("accuracy") or {}
        err = f"{acc['max_rel']:.2g}" if "max_rel" in acc else "-"
        print(f"| {m['task']} | {m['H']} | {m['M']} | {m['L']} | {w['batch']} | {w['precision']} "
              f"| {c['epochcore_job_cycles']} | {c['epochcore_compute_cycles']} | {r['pe_utilization_overall']:.3f} "
              f"| {c['baseline_cycles']} | {c['speedup_end_to_end']:.2f}x | {c['speedup_compute']:.2f}x "
              f"| {c['speedup_vs_as_described']:.0f}x "
              f"| {c['epochcore_energy_pj'] * 1e-6:.4g} / {c['baseline_energy_pj'] * 1e-6:.4g} "
              f"| {c['energy_ratio']:.1f}x | {c['area_ratio']:.2f}x / {c['pe_area_ratio']:.2f}x | {err} |")
