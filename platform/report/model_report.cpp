#include "epochcore/platform/report/model_report.h"

#include <cstdio>
#include <algorithm>
#include <array>
#include <map>
#include <vector>
#include <sstream>

#include "epochcore/maths/baseline/model_baseline_timing.h"
#include "epochcore/maths/energy/energy_model.h"
#include "epochcore/platform/report/compare.h"
#include "epochcore/platform/report/report.h"

namespace epochcore {

using nlohmann::json;

namespace {

uint64_t u64_at(const json& j, const char* a, const char* b) {
  if (!j.contains(a) || !j[a].contains(b)) return 0;
  return j[a][b].get<uint64_t>();
}

}  // namespace

json stage_record(const Scenario& s, const energy::TechTable& t, const std::string& name, int32_t layer,
                  uint32_t commands, const json& counters) {
  const uint64_t cycles = counters["cycles"].get<uint64_t>();
  const uint64_t pes = uint64_t(s.array.rows) * s.array.cols;
  const uint64_t lima = u64_at(counters, "array_counters", "active_pe_cycles");
  const uint64_t mac = u64_at(counters, "array_counters", "mac_ops");
  json r = {{"name", name},
            {"layer", layer},
            {"commands", commands},
            {"cycles", cycles},
            {"pes", pes},
            {"array_busy_cycles", u64_at(counters, "array_counters", "busy_cycles")},
            {"vector_busy_cycles", u64_at(counters, "vector_unit", "busy_cycles")},
            {"lima_ops", lima},
            {"mac_ops", mac},
            {"vector_elements", u64_at(counters, "vector_unit", "elements")},
            {"pe_utilization", cycles ? double(lima + mac) / (double(pes) * double(cycles)) : 0.0},
            {"dma_bytes", u64_at(counters, "dma", "bytes_to_spad") + u64_at(counters, "dma", "bytes_from_spad")},
            {"dram_bytes", u64_at(counters, "memory", "bytes_read") + u64_at(counters, "memory", "bytes_written")},
            {"dma_wait_cycles", u64_at(counters, "stalls", "dma_wait_cycles")},
            {"dma_busy_cycles", u64_at(counters, "dma", "busy_cycles")}};
  r["energy_pj"] = energy_to_json(epochcore_energy(s, t, counters));
  return r;
}

json per_layer_summary(const json& stages) {
  struct Group {
    uint64_t cycles = 0, ops = 0, pes = 0;
    double energy = 0;
    size_t order = 0;
  };
  std::map<std::string, Group> groups;
  uint64_t total = 0;
  for (const json& st : stages) {
    const int32_t layer = st["layer"].get<int32_t>();
    const std::string key = layer < 0 ? st["name"].get<std::string>() : "layers." + std::to_string(layer);
    Group& g = groups[key];
    if (g.cycles == 0 && g.ops == 0 && g.energy == 0) g.order = groups.size();
    g.cycles += st["cycles"].get<uint64_t>();
    g.ops += st["lima_ops"].get<uint64_t>() + st["mac_ops"].get<uint64_t>();
    g.pes = st["pes"].get<uint64_t>();
    g.energy += st["energy_pj"]["total"].get<double>();
    total += st["cycles"].get<uint64_t>();
  }
  std::vector<std::pair<size_t, std::string>> order;
  for (const auto& [k, g] : groups) order.push_back({g.order, k});
  std::sort(order.begin(), order.end());
  json out = json::array();
  for (const auto& [o, k] : order) {
    const Group& g = groups[k];
    out.push_back({{"name", k},
                   {"cycles", g.cycles},
                   {"share", total ? double(g.cycles) / double(total) : 0.0},
                   {"pe_utilization", g.cycles ? double(g.ops) / (double(g.pes) * double(g.cycles)) : 0.0},
                   {"energy_pj", g.energy}});
  }
  return out;
}

std::string format_model_report(const Scenario& s, const json& r) {
  std::ostringstream os;
  const json& wl = r["workload"];
  const json& m = wl["model"];
  char line[512];
  os << "EpochCore VP: " << s.name << "\n";
  std::snprintf(line, sizeof line,
                "  model      %s: %s (d_input %u), H=%u M=%u L=%u, %u %sblocks, %s norm, %s, %u classes%s\n",
                m["task"].get<std::string>().c_str(), m["input"].get<std::string>().c_str(),
                m["d_input"].get<unsigned>(), m["H"].get<unsigned>(), m["M"].get<unsigned>(), m["L"].get<unsigned>(),
                m["n_layers"].get<unsigned>(), m["bidirectional"].get<bool>() ? "bidirectional " : "",
                m["norm"].get<std::string>().c_str(), m["prenorm"].get<bool>() ? "prenorm" : "postnorm",
                m["classes"].get<unsigned>(), m["retrieval"].get<bool>() ? ", retrieval head" : "");
  os << line;
  os << "  inputs     " << wl["batch"] << " (" << wl["inputs"].get<std::string>() << "); weights "
     << wl["weights"].get<std::string>() << "; precision " << s.precision.format.name() << "\n";
  os << array_line(s) << cpu_line(r);
  if (r["status"] != "ok") {
    os << "  status     ERROR: " << r["error"].get<std::string>() << "\n";
    return os.str();
  }
  if (r.contains("plan")) {
    const json& pl = r["plan"];
    bool mamba = false;  // layers.i.mamba stages: one sequence resident per block stage
    if (r.contains("stages"))
      for (const json& st : r["stages"]) {
        const std::string n = st.value("name", "");
        mamba = mamba || (n.size() > 6 && n.compare(n.size() - 6, 6, ".mamba") == 0);
      }
    if (mamba) {
      os << "  plan       Mamba blocks: one sequence's activations resident per layers.i.mamba stage, x through "
            "system memory between blocks; "
         << pl["commands"] << " commands\n";
    } else {
      os << "  plan       SSM activations " << pl["activations"].get<std::string>()
         << (pl["activations"] == "resident" ? " (z and s stay in the scratchpads between stages)"
             : pl["activations"] == "partial"
                 ? " (" + pl["residency_reason"].get<std::string>() + "; the other rows through system memory)"
                 : " through system memory: " + pl["streaming_reason"].get<std::string>())
         << "; " << pl["commands"] << " commands\n";
    }
  }
  std::snprintf(line, sizeof line, "  cycles     %llu (%.3f ms simulated)\n",
                (unsigned long long)r["cycles"].get<uint64_t>(), r["simulated_seconds"].get<double>() * 1e3);
  os << line;
  os << "  stage            cycles    share  PE util  energy (uJ)\n";
  for (const json& g : r["layers"]) {
    std::snprintf(line, sizeof line, "  %-12s %12llu  %6.1f%%  %7.3f  %11.3f\n", g["name"].get<std::string>().c_str(),
                  (unsigned long long)g["cycles"].get<uint64_t>(), 100.0 * g["share"].get<double>(),
                  g["pe_utilization"].get<double>(), g["energy_pj"].get<double>() * 1e-6);
    os << line;
  }
  if (r.contains("accuracy") && !r["accuracy"].is_null()) {
    const json& a = r["accuracy"];
    std::snprintf(line, sizeof line,
                  "  accuracy   logits vs double reference: max_rel %.3g (max_abs %.3g); class agreement %u/%u\n",
                  a["max_rel"].get<double>(), a["max_abs"].get<double>(), a["classes_agreeing"].get<unsigned>(),
                  a["inputs"].get<unsigned>());
    os << line;
  }
  return os.str();
}

}  // namespace epochcore

namespace epochcore {

namespace {

energy::ActionCounts baseline_model_counts(const Scenario& s, const baseline::BaselineModelStage& b) {
  // The same costing of the post-processing ops as EpochCore's (compare.cpp); the SSM's
  // complex multiply-adds are four real ones.
  return baseline_action_counts(s, b.mac_ops, b.weight_loads,
                                b.vector_ops.mul + 4 * b.vector_ops.special + 4 * b.ssm_vector_complex_ops,
                                b.vector_ops.add + b.vector_ops.move + b.ssm_vector_real_ops, b.sram,
                                b.dram_read_bytes + b.dram_write_bytes, b.cycles);
}

}  // namespace

void add_model_baseline_comparison(const Scenario& s, const energy::TechTable& t, const S4ModelDesc& d, uint32_t B,
                                   json& r) {
  // The two mapping variants of the layer comparison (compare.cpp).
  const std::array<BaselineVariant, 2> variant = baseline_variants(s);
  vec::VecCostParams vp;
  vp.lanes = s.vector.lanes;  // the same post-processing unit as EpochCore's

  const energy::Design md = scenario_design(s, true);
  const energy::AreaBreakdown marea = energy::area(t, md);
  json variants = json::object();
  baseline::BaselineModelCost costs[2] = {baseline::baseline_s4_model(variant[0].config, vp, d, B),
                                          baseline::baseline_s4_model(variant[1].config, vp, d, B)};
  int strongest = 0;
  double energies[2] = {0, 0};
  for (int v = 0; v < 2; ++v) {
    json blocks = json::array();
    for (const baseline::BaselineModelStage& st : costs[v].stages)
      blocks.push_back({{"name", st.name}, {"layer", st.layer}, {"cycles", st.cycles},
                        {"array_cycles", st.array_cycles}, {"vector_cycles", st.vector_cycles},
                        {"mac_ops", st.mac_ops}, {"useful_macs", st.useful_macs}, {"ssm_method", st.ssm_method},
                        {"energy_pj", energy::energy(t, md, baseline_model_counts(s, st)).total_pj}});
    const baseline::BaselineModelStage& tot = costs[v].total;
    const energy::EnergyBreakdown e = energy::energy(t, md, baseline_model_counts(s, tot));
    energies[v] = e.total_pj;
    variants[variant[v].name] = {{"cycles", tot.cycles}, {"array_cycles", tot.array_cycles},
                          {"vector_cycles", tot.vector_cycles}, {"mac_ops", tot.mac_ops},
                          {"useful_macs", tot.useful_macs}, {"utilization", tot.utilization},
                          {"energy_pj", energy_to_json(e)}, {"stages", blocks}};
    if (tot.cycles < costs[strongest].total.cycles) strongest = v;
  }
  r["baseline"] = {{"array", {{"rows", s.array.rows}, {"cols", s.array.cols}, {"pe", "MAC, weight-stationary"}}},
                   {"variants", variants}, {"area_mm2", area_to_json(marea)}};

  // Per layer: EpochCore's stage groups against the strongest variant's.
  const baseline::BaselineModelCost& best = costs[strongest];
  std::map<std::string, uint64_t> base_cycles;
  for (const baseline::BaselineModelStage& st : best.stages)
    base_cycles[st.layer < 0 ? st.name : "layers." + std::to_string(st.layer)] += st.cycles;
  json per_layer = json::array();
  for (const json& g : r["layers"]) {
    const std::string name = g["name"].get<std::string>();
    const uint64_t ec = g["cycles"].get<uint64_t>();
    const uint64_t bc = base_cycles.count(name) ? base_cycles[name] : 0;
    per_layer.push_back({{"name", name}, {"epochcore_cycles", ec}, {"baseline_cycles", bc},
                         {"speedup", ec ? double(bc) / double(ec) : 0.0}});
  }
  const uint64_t ec_job = r["cycles"].get<uint64_t>();
  const uint64_t ec_compute = r["units"]["array"]["busy_cycles"].get<uint64_t>() +
                              (r.contains("vector_unit") ? r["vector_unit"]["busy_cycles"].get<uint64_t>() : 0);
  const double ec_energy = r["energy_pj"]["total"].get<double>();
  r["comparison"] = {{"workload", "s4_model"},
                     {"baseline_variant", variant[strongest].name},
                     {"baseline_cycles", best.total.cycles},
                     {"baseline_cycles_as_described", costs[0].total.cycles},
                     {"epochcore_job_cycles", ec_job},
                     {"epochcore_compute_cycles", ec_compute},
                     {"speedup_end_to_end", double(best.total.cycles) / double(ec_job)},
                     {"speedup_compute", double(best.total.cycles) / double(ec_compute)},
                     {"speedup_vs_as_described", double(costs[0].total.cycles) / double(ec_job)},
                     {"baseline_energy_pj", energies[strongest]},
                     {"epochcore_energy_pj", ec_energy},
                     {"energy_ratio", energies[strongest] / ec_energy},
                     {"area_ratio", r["area_mm2"]["total"].get<double>() / marea.total_mm2},
                     {"pe_area_ratio", r["area_mm2"]["pe_um2"].get<double>() / marea.pe.total_um2},
                     {"per_layer", per_layer}};
}

std::string format_model_comparison(const Scenario& s, const json& r) {
  const json& c = r["comparison"];
  std::ostringstream os;
  char line[512];
  os << "EpochCore vs TPU-like baseline, whole model (same " << s.array.rows << "x" << s.array.cols
     << " array and vector unit, same technology table)\n";
  std::snprintf(line, sizeof line,
                "  speedup    %.2fx end to end (baseline %s %llu cycles, no memory stalls modelled, vs EpochCore "
                "%llu cycles incl. DMA); %.2fx compute only (EpochCore array + vector busy %llu cycles); "
                "%.1fx vs the baseline as described\n",
                c["speedup_end_to_end"].get<double>(), c["baseline_variant"].get<std::string>().c_str(),
                (unsigned long long)c["baseline_cycles"].get<uint64_t>(),
                (unsigned long long)c["epochcore_job_cycles"].get<uint64_t>(), c["speedup_compute"].get<double>(),
                (unsigned long long)c["epochcore_compute_cycles"].get<uint64_t>(),
                c["speedup_vs_as_described"].get<double>());
  os << line;
  for (const json& l : c["per_layer"]) {
    std::snprintf(line, sizeof line, "    %-12s baseline %12llu  EpochCore %12llu  %7.1fx\n",
                  l["name"].get<std::string>().c_str(), (unsigned long long)l["baseline_cycles"].get<uint64_t>(),
                  (unsigned long long)l["epochcore_cycles"].get<uint64_t>(), l["speedup"].get<double>());
    os << line;
  }
  std::snprintf(line, sizeof line, "  energy     %.1fx less (baseline %.4g uJ, EpochCore %.4g uJ)\n",
                c["energy_ratio"].get<double>(), c["baseline_energy_pj"].get<double>() * 1e-6,
                c["epochcore_energy_pj"].get<double>() * 1e-6);
  os << line;
  std::snprintf(line, sizeof line, "  area       %.2fx (chip), %.2fx per PE\n", c["area_ratio"].get<double>(),
                c["pe_area_ratio"].get<double>());
  os << line;
  return os.str();
}

}  // namespace epochcore
