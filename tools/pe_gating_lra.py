#!/usr/bin/env python3
# PE clock gating on the six LRA models (docs/performance.md, "Hardware option: PE clock gating"):
# energy with energy.pe_clock_gating false and true, and an ungated array computed from the
# counts (every idle PE-cycle of the default model clocked at the pe_gating clocked figure).
# Usage, from the source root: python3 tools/pe_gating_lra.py build/epochcore-vp OUT_DIR
import json, subprocess, sys, os
vp = sys.argv[1]; out = sys.argv[2]
rows = []
for m in ["listops", "text", "retrieval", "image", "pathfinder", "pathx"]:
    rep = {}
    for g in ["false", "true"]:
        path = f"{out}/{m}_{g}.json"
        if not os.path.exists(path):
            subprocess.run([vp, f"scenarios/lra/{m}.yaml", "--set", f"energy.pe_clock_gating={g}", "--quiet",
                            "--report", path], check=True, env=dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1"))
        rep[g] = json.load(open(path))
    off, on = rep["false"], rep["true"]
    ps = on["pe_states"]; assert ps == off["pe_states"]
    tot = ps["total_pe_cycles"]
    eoff, eon = off["energy_pj"], on["energy_pj"]
    b = eon["by_component"]
    clocked = b["pe_clock"] / ps["preload_pe_cycles"]
    ac = off["array_counters"]
    idle = tot - ac["active_pe_cycles"] - ac["bypass_pe_cycles"] - ac.get("mac_ops", 0)
    ungated = eoff["total"] + idle * clocked
    idle_on = b["pe_clock"] + b["pe_wake"] + b["pe_sleep"]
    rows.append((m, off["cycles"], 100*ps["compute_pe_cycles"]/tot, 100*ps["preload_pe_cycles"]/tot,
                 100*ps["sleep_pe_cycles"]/tot, ps["wakes"], eoff["total"]/1e6, eon["total"]/1e6,
                 100*(eon["total"]/eoff["total"]-1), ungated/1e6, 100*(1-eon["total"]/ungated),
                 100*(b["pe_clock"]+b["pe_wake"])/eon["total"], 100*b["pe_sleep"]/eon["total"],
                 100*idle*clocked/ungated))
print("| model | cycles | compute % | preload % | sleep % | wakes | off (uJ) | on (uJ) | on vs off | ungated (uJ) | saving vs ungated | on: pe_clock + pe_wake share | on: pe_sleep share | ungated: idle clock share |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    print("| %s | %d | %.2f | %.2f | %.2f | %d | %.3f | %.3f | %+.3f%% | %.3f | %+.2f%% | %.3f%% | %.3f%% | %.2f%% |" % r)
