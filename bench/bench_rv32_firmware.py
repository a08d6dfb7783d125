#!/usr/bin/env python3
"""The RV32 core's speed on the firmware's own runs (docs/performance.md), beside
bench_iss's compute loop. Each run is its own simulator process; medians of N runs:

  1. epochcore-fw-selftest.elf (the firmware's maths: fw_exp/fw_sin/fw_cos and the ZOH
     records in soft-float, ~1.9 G instructions): MIPS = instructions / wall time.
  2. The firmware's S4D-layer run (the default scenario's layer, fast timing) on both
     CPUs: the RV32 core's instructions over the extra wall time it costs against the
     host-driver model (the accelerator's simulation is the same in both), and the whole
     run's slowdown.

  bench_rv32_firmware.py BUILD_DIR [--runs=N] [SCENARIO]"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run(vp, args, env):
    with tempfile.NamedTemporaryFile(suffix=".json") as rep:
        t0 = time.monotonic()
        subprocess.run([vp] + args + ["--quiet", "--report", rep.name], check=True, env=env)
        wall = time.monotonic() - t0
        return wall, json.load(open(rep.name))


def main():
    args = sys.argv[1:]
    build = args.pop(0)
    runs = 5
    if args and args[0].startswith("--runs="):
        runs = int(args.pop(0).split("=", 1)[1])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    scenario = args[0] if args else os.path.join(root, "scenarios", "default.yaml")
    vp = os.path.join(build, "epochcore-vp")
    selftest = os.path.join(build, "rv32", "epochcore-fw-selftest.elf")
    if not os.path.exists(selftest):
        print("SKIPPED: no RV32 firmware (riscv64-unknown-elf-gcc not found)")
        return
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")

    walls, instr = [], 0
    for _ in range(runs):
        w, r = run(vp, ["--firmware", selftest], env)
        assert r["status"] == "ok" and r["cpu"]["exit_code"] == 0, r.get("error")
        walls.append(w)
        instr = r["cpu"]["instructions"]
    med = statistics.median(walls)
    print(f"selftest: {instr} instructions, median {med:.3f} s, {instr / med / 1e6:.1f} MIPS (median of {runs})")

    layer = [scenario, "--set", "run.timing=fast"]
    wm, wr, instr, cycles = [], [], 0, None
    for _ in range(runs):
        w, r = run(vp, layer + ["--set", "host.cpu=model"], env)
        wm.append(w)
        w, r2 = run(vp, layer + ["--set", "host.cpu=rv32"], env)
        wr.append(w)
        assert r2["cycles"] == r["cycles"], "the CPUs disagree on the accelerator's cycles"
        instr, cycles = r2["cpu"]["instructions"], r2["cycles"]
    m, v = statistics.median(wm), statistics.median(wr)
    extra = max(v - m, 1e-9)
    print(f"S4D layer ({os.path.basename(scenario)}, fast timing, {cycles} accelerator cycles): "
          f"host.cpu model {m:.3f} s, rv32 {v:.3f} s (x{v / m:.2f}); RV32 {instr} instructions "
          f"in {extra:.3f} s extra: {instr / extra / 1e6:.1f} MIPS (medians of {runs})")


if __name__ == "__main__":
    main()
