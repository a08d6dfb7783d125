#include "epochcore/platform/report/compare.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "epochcore/maths/baseline/ssm_baseline_timing.h"
#include "epochcore/maths/baseline/ws_timing.h"
#include "epochcore/contract/number_format.h"
#include "epochcore/platform/io/data_dir.h"
#include "epochcore/platform/io/tech_table_file.h"
#include "epochcore/platform/report/model_report.h"

namespace epochcore {

using nlohmann::json;

energy::TechTable load_scenario_tech(const Scenario& s) {
  const std::string& v = s.energy.tech;
  try {
    std::string path = v;
    // A bare name is a table shipped in the data directory (platform/io/data_dir.h).
    if (v.find('/') == std::string::npos && v.find(".yaml") == std::string::npos)
      path = data_dir() + "/tech/" + v + ".yaml";
    return energy::load_tech_table(path);
  } catch (const std::exception& e) {
    throw ScenarioError("energy.tech: '" + v + "': " + e.what());
  }
}

energy::ActionCounts baseline_action_counts(const Scenario& s, uint64_t mac_ops, uint64_t weight_loads,
                                            uint64_t vector_ops, uint64_t vector_adds,
                                            const baseline::SramTraffic& sram, uint64_t dram_bytes,
                                            uint64_t cycles) {
  energy::ActionCounts c = energy::ws_mac_pe_counts(mac_ops);
  c += energy::ws_weight_load_counts(weight_loads, s.array.rows);
  c.vector_ops = vector_ops;
  c.vector_adds = vector_adds;
  c.spad_read_words[0] = sram.input_reads;
  c.spad_write_words[0] = sram.input_writes;
  c.spad_read_words[1] = sram.weight_reads;
  c.spad_write_words[1] = sram.weight_writes;
  c.spad_read_words[2] = sram.output_reads;
  c.spad_write_words[2] = sram.output_writes;
  c.dram_bytes = dram_bytes;
  c.dma_bytes = dram_bytes;
  c.cycles = cycles;
  const uint64_t pe_cycles = uint64_t(s.array.rows) * s.array.cols * cycles;
  c.idle_pe_cycles = pe_cycles > mac_ops ? pe_cycles - mac_ops : 0;
  return c;
}

namespace {

energy::Design design_of(const Scenario& s, energy::Design::PeKind kind) {
  energy::Design d;
  d.pe = kind;
  d.real_only = kind == energy::Design::LIMA && s.array.real_only;
  d.segments = kind == energy::Design::LIMA && s.array.segments;
  d.segment_direction = kind == energy::Design::LIMA && s.array.segment_direction;
  d.selective = kind == energy::Design::LIMA && s.array.selective;
  d.liquid_pe = kind == energy::Design::LIMA && s.array.liquid_pe;
  d.rows = s.array.rows;
  d.cols = s.array.cols;
  const SpadConfig* sp[3] = {&s.spad_input, &s.spad_param, &s.spad_output};
  for (int i = 0; i < 3; ++i) {
    d.spad_kib[i] = sp[i]->size_kib;
    d.spad_banks[i] = sp[i]->banks;
  }
  d.clock_mhz = s.array.clock_mhz;
  // The datapath's number format sets the arithmetic and word widths (docs/precisions.md).
  d.number_format = s.precision.format.name();
  d.word_bits = numfmt::format_bits(s.precision.format);
  d.vector_lanes = s.vector.lanes;
  // The PE power states are an EpochCore option; the baseline keeps the table's idle figure.
  d.pe_clock_gating = kind == energy::Design::LIMA && s.energy.pe_clock_gating;
  d.scoreboard = kind == energy::Design::LIMA && s.array.compute_queues == 2;
  return d;
}

json energy_json(const energy::EnergyBreakdown& e) {
  json by = json::object();
  for (const auto& [k, v] : e.pj) by[k] = v;
  return {{"total", e.total_pj}, {"by_component", by}};
}

json area_json(const energy::AreaBreakdown& a) {
  json by = json::object();
  for (const auto& [k, v] : a.mm2) by[k] = v;
  return {{"total", a.total_mm2}, {"by_component", by}, {"pe_um2", a.pe.total_um2},
          {"lima_mac_pe_area_ratio", a.lima_mac_pe_area_ratio}};
}

uint64_t u(const json& j) { return j.get<uint64_t>(); }

}  // namespace

energy::PeStateCounts epochcore_pe_states(const Scenario& s, const json& r) {
  const json& ac = r["array_counters"];
  const uint64_t compute = u(ac["active_pe_cycles"]) + (ac.contains("mac_ops") ? u(ac["mac_ops"]) : 0);
  return energy::pe_state_counts(s.array.rows, s.array.cols, u(r["cycles"]), compute, u(ac["awake_pe_cycles"]),
                                 u(ac["pe_wakes"]));
}

json pe_states_json(const energy::PeStateCounts& p) {
  return {{"compute_pe_cycles", p.compute}, {"preload_pe_cycles", p.preload}, {"sleep_pe_cycles", p.sleep},
          {"total_pe_cycles", p.total}, {"wakes", p.wakes}};
}

namespace {

energy::ActionCounts epochcore_counts(const Scenario& s, const json& r) {
  const json& ac = r["array_counters"];
  const bool real = s.array.real_only;
  // Selective ops (RUN_SCAN) are part of active_pe_cycles; they are costed as such.
  const uint64_t scan = ac.contains("scan_pe_cycles") ? u(ac["scan_pe_cycles"]) : 0;
  energy::ActionCounts c = energy::prodf_pe_counts(u(ac["active_pe_cycles"]) - scan, real, u(ac["bypass_pe_cycles"]));
  if (scan) c += energy::prodf_scan_pe_counts(scan);
  c += energy::prodf_coeff_load_counts(u(ac["loaded_rows"]), s.array.cols, real);
  if (ac.contains("reversed_segment_steps")) c.reversed_address_steps = 2 * u(ac["reversed_segment_steps"]);
  if (r.contains("command_processor") && r["command_processor"].contains("scoreboard_checks"))
    c.scoreboard_checks = u(r["command_processor"]["scoreboard_checks"]);
  // RUN_GEMM folds (MAC mode): costed exactly as the baseline's MAC PEs and weight preload.
  uint64_t mac_ops = 0;
  if (ac.contains("mac_ops")) {
    mac_ops = u(ac["mac_ops"]);
    c += energy::ws_mac_pe_counts(mac_ops);
    c += energy::ws_weight_load_counts(u(ac["weight_loads"]), s.array.rows);
  }
  const char* names[3] = {"input", "param", "output"};
  for (int i = 0; i < 3; ++i) {
    const json& sp = r["scratchpads"][names[i]];
    c.spad_read_words[i] = u(sp["array_read_words"]) + u(sp["dma_read_bytes"]) / 4;
    c.spad_write_words[i] = u(sp["array_write_words"]) + u(sp["dma_write_bytes"]) / 4;
  }
  // Vector unit (RUN_VEC): a special function (erf, exp, divide, square root) is costed as
  // four multiply-adds (an assumption: a short polynomial or iteration; docs/energy-area.md).
  if (r.contains("vector_unit")) {
    const json& vo = r["vector_unit"]["ops"];
    c.vector_ops += u(vo["mul"]) + 4 * u(vo["special"]);
    c.vector_adds += u(vo["add"]) + u(vo["move"]);
  }
  c.dma_bytes = u(r["dma"]["bytes_to_spad"]) + u(r["dma"]["bytes_from_spad"]);
  c.dram_bytes = u(r["memory"]["bytes_read"]) + u(r["memory"]["bytes_written"]);
  c.cycles = u(r["cycles"]);
  const uint64_t pe_cycles = uint64_t(s.array.rows) * s.array.cols * c.cycles;
  const uint64_t busy = u(ac["active_pe_cycles"]) + u(ac["bypass_pe_cycles"]) + mac_ops;
  c.idle_pe_cycles = pe_cycles > busy ? pe_cycles - busy : 0;
  if (s.energy.pe_clock_gating) {
    const energy::PeStateCounts p = epochcore_pe_states(s, r);
    c.preload_pe_cycles = p.preload;
    c.sleep_pe_cycles = p.sleep;
    c.pe_wakes = p.wakes;
  }
  return c;
}

energy::ActionCounts baseline_counts(const Scenario& s, const baseline::BaselineSsmCost& b) {
  // A complex multiply-add is 4 real ones.
  return baseline_action_counts(s, b.mac_ops, b.weight_loads, 4 * b.vector_complex_ops, b.vector_real_ops,
                                b.sram, b.dram_read_bytes + b.dram_write_bytes, b.cycles);
}

json cost_json(const baseline::BaselineSsmCost& b) {
  return {{"method", baseline::method_name(b.method)}, {"cycles", b.cycles}, {"array_cycles", b.array_cycles},
          {"vector_cycles", b.vector_cycles}, {"folds", b.folds}, {"mac_ops", b.mac_ops},
          {"useful_macs", b.useful_macs}, {"weight_loads", b.weight_loads},
          {"vector_complex_ops", b.vector_complex_ops}, {"vector_real_ops", b.vector_real_ops},
          {"utilization", b.utilization}, {"useful_utilization", b.useful_utilization},
          {"dram_bytes", b.dram_read_bytes + b.dram_write_bytes}};
}

}  // namespace

// workload.kind gemm: the baseline runs the same GEMM weight-stationary (ws_gemm), with
// the compulsory traffic (A, B and C once through DRAM, the DMA and the buffers).
void add_gemm_baseline_comparison(const Scenario& s, const energy::TechTable& t, json& r) {
  const uint64_t M = s.workload.gemm_m, N = s.workload.gemm_n, K = s.workload.gemm_k;
  const baseline::GemmTiming g = baseline::ws_gemm(M, N, K, s.array.rows, s.array.cols);
  energy::ActionCounts c = energy::ws_mac_pe_counts(g.mac_ops);
  c += energy::ws_weight_load_counts(g.weight_loads, s.array.rows);
  c.spad_write_words[energy::kSpadInput] = M * K;  // DMA fill
  c.spad_read_words[energy::kSpadInput] = g.input_reads;
  c.spad_write_words[energy::kSpadParam] = K * N;  // DMA fill
  c.spad_read_words[energy::kSpadParam] = g.weight_loads;
  c.spad_write_words[energy::kSpadOutput] = g.output_writes;
  c.spad_read_words[energy::kSpadOutput] = g.psum_reads + M * N;  // + DMA drain
  c.dram_bytes = (M * K + K * N + M * N) * 4;
  c.dma_bytes = c.dram_bytes;
  c.cycles = g.cycles;
  const uint64_t pe_cycles = uint64_t(s.array.rows) * s.array.cols * g.cycles;
  c.idle_pe_cycles = pe_cycles > g.mac_ops ? pe_cycles - g.mac_ops : 0;
  const energy::Design md = design_of(s, energy::Design::MAC);
  const energy::AreaBreakdown marea = energy::area(t, md);
  const energy::EnergyBreakdown e = energy::energy(t, md, c);
  r["baseline"] = {{"array", {{"rows", s.array.rows}, {"cols", s.array.cols}, {"pe", "MAC, weight-stationary"}}},
                   {"gemm", {{"folds", g.folds}, {"cycles", g.cycles}, {"reported_cycles", g.reported_cycles},
                             {"mac_ops", g.mac_ops}, {"weight_loads", g.weight_loads},
                             {"input_reads", g.input_reads}, {"output_writes", g.output_writes},
                             {"psum_reads", g.psum_reads}, {"utilization", g.utilization}}},
                   {"energy_pj", energy_json(e)},
                   {"area_mm2", area_json(marea)}};
  const uint64_t ec_compute = u(r["array_counters"]["busy_cycles"]);
  const uint64_t ec_job = u(r["cycles"]);
  const double ec_energy = r["energy_pj"]["total"].get<double>();
  r["comparison"] = {{"workload", "gemm"},
                     {"note", "both arrays run the GEMM weight-stationary with the same per-fold timing, "
                              "so the speedup is ~1x by construction; energy and area differ"},
                     {"baseline_cycles", g.cycles},
                     {"epochcore_compute_cycles", ec_compute},
                     {"epochcore_job_cycles", ec_job},
                     {"speedup_compute", double(g.cycles) / double(ec_compute)},
                     {"speedup_end_to_end", double(g.cycles) / double(ec_job)},
                     {"baseline_energy_pj", e.total_pj},
                     {"epochcore_energy_pj", ec_energy},
                     {"energy_ratio", e.total_pj / ec_energy},
                     {"area_ratio", r["area_mm2"]["total"].get<double>() / marea.total_mm2},
                     {"pe_area_ratio", r["area_mm2"]["pe_um2"].get<double>() / marea.pe.total_um2}};
}

energy::EnergyBreakdown epochcore_energy(const Scenario& s, const energy::TechTable& t, const json& counters) {
  return energy::energy(t, design_of(s, energy::Design::LIMA), epochcore_counts(s, counters));
}

json energy_to_json(const energy::EnergyBreakdown& e) { return energy_json(e); }
json area_to_json(const energy::AreaBreakdown& a) { return area_json(a); }
energy::Design scenario_design(const Scenario& s, bool mac_baseline) {
  return design_of(s, mac_baseline ? energy::Design::MAC : energy::Design::LIMA);
}

void add_energy_area(const Scenario& s, const energy::TechTable& t, json& r) {
  const energy::Design d = design_of(s, energy::Design::LIMA);
  r["technology"] = {{"name", t.name}, {"file", t.path}, {"node_nm", t.node_nm}};
  r["energy_pj"] = energy_json(energy::energy(t, d, epochcore_counts(s, r)));
  r["area_mm2"] = area_json(energy::area(t, d));
}

std::array<BaselineVariant, 2> baseline_variants(const Scenario& s) {
  baseline::BaselineConfig described;
  described.rows = s.array.rows;
  described.cols = s.array.cols;
  described.vector_lanes = std::max(s.array.rows, s.array.cols);
  baseline::BaselineConfig optimised = described;
  optimised.toeplitz_tile_reuse = true;
  optimised.recurrence_time_block = 64;
  optimised.overlap_weight_load = true;
  return {BaselineVariant{"as_described", described}, BaselineVariant{"optimised", optimised}};
}

void add_layer_baseline_comparison(const Scenario& s, const energy::TechTable& t, const baseline::SsmShape& shape,
                                   json& r) {
  const energy::Design md = design_of(s, energy::Design::MAC);
  const energy::AreaBreakdown marea = energy::area(t, md);
  json variants = json::object();
  const baseline::BaselineSsmCost* strongest = nullptr;
  const std::array<BaselineVariant, 2> variant = baseline_variants(s);
  baseline::BaselineSsmResult results[2] = {baseline::baseline_s4d_layer(variant[0].config, shape),
                                            baseline::baseline_s4d_layer(variant[1].config, shape)};
  double strongest_energy = 0;
  std::string strongest_name;
  for (int v = 0; v < 2; ++v) {
    const baseline::BaselineSsmCost& best = results[v].best_cost();
    const energy::EnergyBreakdown e = energy::energy(t, md, baseline_counts(s, best));
    variants[variant[v].name] = {{"convolution", cost_json(results[v].convolution)},
                          {"recurrence", cost_json(results[v].recurrence)},
                          {"best", baseline::method_name(results[v].best)},
                          {"cycles", best.cycles},
                          {"energy_pj", energy_json(e)}};
    if (!strongest || best.cycles < strongest->cycles) {
      strongest = &best;
      strongest_energy = e.total_pj;
      strongest_name = variant[v].name;
    }
  }
  r["baseline"] = {{"array", {{"rows", s.array.rows}, {"cols", s.array.cols}, {"pe", "MAC, weight-stationary"}}},
                   {"variants", variants}, {"area_mm2", area_json(marea)}};

  const uint64_t ec_compute = u(r["array_counters"]["busy_cycles"]);
  const uint64_t ec_job = u(r["cycles"]);
  const double ec_energy = r["energy_pj"]["total"].get<double>();
  json cmp = {{"baseline_variant", strongest_name},
              {"baseline_method", baseline::method_name(strongest->method)},
              {"baseline_cycles", strongest->cycles},
              {"epochcore_compute_cycles", ec_compute},
              {"epochcore_job_cycles", ec_job},
              {"speedup_compute", double(strongest->cycles) / double(ec_compute)},
              {"speedup_end_to_end", double(strongest->cycles) / double(ec_job)},
              {"speedup_vs_as_described", double(results[0].best_cost().cycles) / double(ec_compute)},
              {"baseline_energy_pj", strongest_energy},
              {"epochcore_energy_pj", ec_energy},
              {"energy_ratio", strongest_energy / ec_energy},
              {"area_ratio", r["area_mm2"]["total"].get<double>() / marea.total_mm2},
              {"pe_area_ratio", r["area_mm2"]["pe_um2"].get<double>() / marea.pe.total_um2}};
  r["comparison"] = cmp;
}

std::string format_energy_area(const Scenario& s, const json& r) {
  std::ostringstream os;
  char line[256];
  if (s.workload.kind == WorkloadKind::Gemm) {
    const json& ac = r["array_counters"];
    std::snprintf(line, sizeof line,
                  "  gemm       M=%u N=%u K=%u: %llu RUN_GEMM folds, %llu array cycles, %llu MACs, "
                  "MAC utilisation %.4f\n",
                  s.workload.gemm_m, s.workload.gemm_n, s.workload.gemm_k,
                  (unsigned long long)ac["gemm_folds"].get<uint64_t>(),
                  (unsigned long long)ac["gemm_cycles"].get<uint64_t>(),
                  (unsigned long long)ac["mac_ops"].get<uint64_t>(), r["pe_utilization"].get<double>());
    os << line;
  }
  std::snprintf(line, sizeof line, "  energy     %.4g uJ (%s):", r["energy_pj"]["total"].get<double>() * 1e-6,
                r["technology"]["name"].get<std::string>().c_str());
  os << line;
  for (const auto& [k, v] : r["energy_pj"]["by_component"].items()) {
    std::snprintf(line, sizeof line, " %s %.3g", k.c_str(), v.get<double>() * 1e-6);
    os << line;
  }
  std::snprintf(line, sizeof line, "\n  area       %.3f mm2 (PE %.0f um2):", r["area_mm2"]["total"].get<double>(),
                r["area_mm2"]["pe_um2"].get<double>());
  os << line;
  for (const auto& [k, v] : r["area_mm2"]["by_component"].items()) {
    std::snprintf(line, sizeof line, " %s %.3g", k.c_str(), v.get<double>());
    os << line;
  }
  os << "\n";
  return os.str();
}

// The area ratio line, the same for every workload.
static std::string area_line(const json& r) {
  const json& c = r["comparison"];
  char line[256];
  std::snprintf(line, sizeof line, "  area       %.2fx (chip: EpochCore %.3f mm2, baseline %.3f mm2; PE %.2fx)\n",
                c["area_ratio"].get<double>(), r["area_mm2"]["total"].get<double>(),
                r["baseline"]["area_mm2"]["total"].get<double>(), c["pe_area_ratio"].get<double>());
  return line;
}

std::string format_comparison(const Scenario& s, const json& r) {
  if (s.workload.kind == WorkloadKind::S4Model) return format_model_comparison(s, r);
  const json& c = r["comparison"];
  std::ostringstream os;
  char line[512];
  if (s.workload.kind == WorkloadKind::Gemm) {
    const json& g = r["baseline"]["gemm"];
    os << "EpochCore vs TPU-like baseline on the GEMM (same " << s.array.rows << "x" << s.array.cols
       << " array, same technology table; both weight-stationary, same per-fold timing)\n";
    std::snprintf(line, sizeof line,
                  "  speedup    %.3fx, ~1x by construction (baseline %llu cycles = SCALE-Sim's %llu + 1, %llu folds; "
                  "EpochCore array %llu cycles); %.3fx end to end (EpochCore job incl. DMA: %llu cycles)\n",
                  c["speedup_compute"].get<double>(), (unsigned long long)g["cycles"].get<uint64_t>(),
                  (unsigned long long)g["reported_cycles"].get<uint64_t>(),
                  (unsigned long long)g["folds"].get<uint64_t>(),
                  (unsigned long long)c["epochcore_compute_cycles"].get<uint64_t>(),
                  c["speedup_end_to_end"].get<double>(), (unsigned long long)c["epochcore_job_cycles"].get<uint64_t>());
    os << line;
    std::snprintf(line, sizeof line, "  energy     %.3fx (baseline %.4g uJ, EpochCore %.4g uJ)\n",
                  c["energy_ratio"].get<double>(), c["baseline_energy_pj"].get<double>() * 1e-6,
                  c["epochcore_energy_pj"].get<double>() * 1e-6);
    os << line;
    os << area_line(r);
    return os.str();
  }
  const json& b = r["baseline"]["variants"];
  os << "EpochCore vs TPU-like baseline (same " << s.array.rows << "x" << s.array.cols
     << " array, same technology table)\n";
  for (const char* v : {"as_described", "optimised"}) {
    std::snprintf(line, sizeof line, "  baseline %-12s convolution %llu cycles, recurrence %llu cycles -> %s\n", v,
                  (unsigned long long)b[v]["convolution"]["cycles"].get<uint64_t>(),
                  (unsigned long long)b[v]["recurrence"]["cycles"].get<uint64_t>(),
                  b[v]["best"].get<std::string>().c_str());
    os << line;
  }
  std::snprintf(line, sizeof line,
                "  speedup    %.1fx (baseline %s %s, %llu cycles, vs EpochCore array %llu cycles); "
                "%.1fx vs the baseline as described; %.1fx end to end (EpochCore job incl. DMA: %llu cycles)\n",
                c["speedup_compute"].get<double>(), c["baseline_variant"].get<std::string>().c_str(),
                c["baseline_method"].get<std::string>().c_str(),
                (unsigned long long)c["baseline_cycles"].get<uint64_t>(),
                (unsigned long long)c["epochcore_compute_cycles"].get<uint64_t>(),
                c["speedup_vs_as_described"].get<double>(), c["speedup_end_to_end"].get<double>(),
                (unsigned long long)c["epochcore_job_cycles"].get<uint64_t>());
  os << line;
  std::snprintf(line, sizeof line, "  energy     %.1fx less (baseline %.4g uJ, EpochCore %.4g uJ)\n",
                c["energy_ratio"].get<double>(), c["baseline_energy_pj"].get<double>() * 1e-6,
                c["epochcore_energy_pj"].get<double>() * 1e-6);
  os << line;
  os << area_line(r);
  return os.str();
}

}  // namespace epochcore
