#!/usr/bin/env python3
"""Print the EpochCore-vs-baseline comparison of several `epochcore-vp --compare --report`
JSON files as one Markdown table (used by `./epochcore compare A.yaml B.yaml ...`)."""
import json
import sys

print("| scenario | H | M | L | B | EpochCore array cycles | job cycles (incl. DMA) | PE util | "
      "baseline (optimised) cycles, method | speedup | speedup vs baseline as described | "
      "energy EpochCore / baseline (uJ) | energy ratio | area ratio (chip / PE) |")
print("| --- " * 14 + "|")
for path in sys.argv[1:]:
    r = json.load(open(path))
    w, c = r["workload"], r["comparison"]
    print(f"| {r['scenario']['name']} | {w['channels']} | {w['modes']} | {w['length']} | {w['batch']} "
          f"| {c['epochcore_compute_cycles']} | {c['epochcore_job_cycles']} | {r['pe_utilization']:.3f} "
          f"| {c['baseline_cycles']} {c['baseline_method']} | {c['speedup_compute']:.1f}x "
          f"| {c['speedup_vs_as_described']:.0f}x "
          f"| {c['epochcore_energy_pj'] * 1e-6:.4g} / {c['baseline_energy_pj'] * 1e-6:.4g} "
          f"| {c['energy_ratio']:.1f}x | {c['area_ratio']:.2f}x / {c['pe_area_ratio']:.2f}x |")
