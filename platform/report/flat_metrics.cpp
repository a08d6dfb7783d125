#include "epochcore/platform/report/flat_metrics.h"

#include <cstdio>

namespace epochcore {

namespace {

using nlohmann::json;

// The report's stall causes (the "stalls" object, report.cpp) and the energy and area
// components (energy_pj.by_component, area_mm2.by_component; maths/energy): the union
// over every workload kind, listed explicitly so the column set never depends on the run.
const char* const kStallCauses[] = {"input_feed", "output_feed", "dma_wait", "compute_dependency"};
const char* const kEnergyComponents[] = {"pe_arithmetic", "pe_registers", "operand_hops", "pe_idle",
                                         "spad_input",    "spad_param",   "spad_output",  "dma",
                                         "dram",          "vector_unit",  "leakage",      "pe_clock",
                                         "pe_wake",       "pe_sleep"};
const char* const kAreaComponents[] = {"pe_arithmetic", "pe_registers", "pe_segments", "spad_input",
                                       "spad_param",    "spad_output",  "dma",         "control",
                                       "vector_unit",   "pe_clock_gating"};

// --compare's figures (report "comparison", compare.cpp): empty without --compare.
const char* const kComparison[] = {"baseline_cycles", "baseline_energy_pj", "speedup_end_to_end", "energy_ratio",
                                   "area_ratio"};

// The value at a path of object keys, or nullptr.
const json* at(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object()) return nullptr;
    auto it = p->find(k);
    if (it == p->end()) return nullptr;
    p = &*it;
  }
  return p;
}

std::string text(const json* v) {
  if (!v || v->is_null()) return "";
  if (v->is_string()) return v->get<std::string>();
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_number_unsigned()) return std::to_string(v->get<uint64_t>());
  if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
  if (v->is_number_float()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v->get<double>());
    return buf;
  }
  return v->dump();
}

}  // namespace

const std::vector<std::string>& flat_metric_columns() {
  static const std::vector<std::string> cols = [] {
    std::vector<std::string> c = {"scenario", "status", "error", "workload", "cycles", "simulated_seconds",
                                  "pe_utilization", "pe_utilization_overall"};
    for (const char* s : kStallCauses) c.push_back(std::string("stall_") + s + "_cycles");
    c.push_back("energy_pj_total");
    for (const char* s : kEnergyComponents) c.push_back(std::string("energy_pj_") + s);
    c.push_back("area_mm2_total");
    for (const char* s : kAreaComponents) c.push_back(std::string("area_mm2_") + s);
    for (const char* s : {"error_max_abs", "error_max_rel", "class_agreement", "cpu_instructions"}) c.push_back(s);
    for (const char* s : kComparison) c.push_back(s);
    c.push_back("wall_seconds");
    return c;
  }();
  return cols;
}

std::vector<std::pair<std::string, std::string>> flat_metrics(const json& r) {
  std::vector<std::pair<std::string, std::string>> row;
  auto add = [&](const std::string& k, const json* v) { row.emplace_back(k, text(v)); };
  add("scenario", at(r, {"scenario", "name"}));
  add("status", at(r, {"status"}));
  add("error", at(r, {"error"}));
  add("workload", at(r, {"scenario", "effective", "workload", "kind"}));
  add("cycles", at(r, {"cycles"}));
  add("simulated_seconds", at(r, {"simulated_seconds"}));
  add("pe_utilization", at(r, {"pe_utilization"}));
  add("pe_utilization_overall", at(r, {"pe_utilization_overall"}));
  for (const char* s : kStallCauses) {
    const std::string key = std::string(s) + "_cycles";
    add("stall_" + key, at(r, {"stalls", key.c_str()}));
  }
  add("energy_pj_total", at(r, {"energy_pj", "total"}));
  for (const char* s : kEnergyComponents) add(std::string("energy_pj_") + s, at(r, {"energy_pj", "by_component", s}));
  add("area_mm2_total", at(r, {"area_mm2", "total"}));
  for (const char* s : kAreaComponents) add(std::string("area_mm2_") + s, at(r, {"area_mm2", "by_component", s}));
  // A layer or GEMM run has error_vs_reference; a whole model has accuracy (with class_agreement).
  const json* acc = at(r, {"error_vs_reference"});
  if (!acc || acc->is_null()) acc = at(r, {"accuracy"});
  const bool has_acc = acc && acc->is_object();
  add("error_max_abs", has_acc ? at(*acc, {"max_abs"}) : nullptr);
  add("error_max_rel", has_acc ? at(*acc, {"max_rel"}) : nullptr);
  add("class_agreement", has_acc ? at(*acc, {"class_agreement"}) : nullptr);
  add("cpu_instructions", at(r, {"cpu", "instructions"}));
  for (const char* s : kComparison) add(s, at(r, {"comparison", s}));
  add("wall_seconds", at(r, {"wall_seconds"}));
  return row;
}

std::string flat_metrics_csv(const std::vector<std::pair<std::string, std::string>>& row) {
  auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) {
      if (ch == '"') q += '"';
      q += ch;
    }
    return q + "\"";
  };
  std::string header, values;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) header += ',', values += ',';
    header += field(row[i].first);
    values += field(row[i].second);
  }
  return header + "\n" + values + "\n";
}

}  // namespace epochcore
