#include "epochcore/platform/report/report.h"

#include "epochcore/platform/report/model_report.h"

#include <cstdio>
#include <sstream>

#include "epochcore/contract/commands.h"
#include "epochcore/platform/soc/soc.h"

namespace epochcore {

using nlohmann::json;

namespace {

json spad_json(const Scratchpad& s) {
  const Scratchpad::SpadStats& st = s.stats();
  return {{"size_bytes", s.size_bytes()}, {"banks", s.banks()}, {"ports", s.ports()},
          {"dma_write_bytes", st.dma_write_bytes}, {"dma_read_bytes", st.dma_read_bytes},
          {"array_read_words", st.array_read_words}, {"array_write_words", st.array_write_words}};
}

const char* unit_name(Activity::Unit u) {
  switch (u) {
    case Activity::COMMAND_PROCESSOR: return "command_processor";
    case Activity::DMA: return "dma";
    case Activity::ARRAY: return "array";
    case Activity::VECTOR: return "vector";
  }
  return "?";
}

}  // namespace

json hardware_report(const Soc& soc_in, const Scenario& s, uint64_t job_cycles, bool per_command) {
  Soc& soc = const_cast<Soc&>(soc_in);
  const EpochCoreAccel& acc = soc.accel();
  const ArrayStats& as = acc.array().stats();
  const DmaStats& ds = acc.dma().stats();
  const CommandProcessorStats& cs = acc.command_processor().stats();
  const double pes = double(s.array.rows) * s.array.cols;
  const uint64_t period_ps = soc.clock_period().value();
  json r;
  r["timing"] = s.run.timing.name();
  r["array"] = {{"rows", s.array.rows}, {"cols", s.array.cols}, {"segments", s.array.segments},
                {"real_only", s.array.real_only}, {"clock_mhz", s.array.clock_mhz}};
  // Useful PE operations: LIMA ops (ProDF passes) and MACs (RUN_GEMM folds).
  const double pe_ops = double(as.active_pe_cycles) + double(as.mac_ops);
  r["pe_utilization"] = as.busy_cycles() ? pe_ops / (pes * double(as.busy_cycles())) : 0.0;
  r["pe_utilization_overall"] = job_cycles ? pe_ops / (pes * double(job_cycles)) : 0.0;
  r["array_counters"] = {{"loads", as.loads}, {"passes", as.passes}, {"load_cycles", as.load_cycles},
                         {"pass_cycles", as.pass_cycles}, {"pass_beats", as.pass_beats},
                         {"stall_input_cycles", as.stall_input_cycles},
                         {"stall_output_cycles", as.stall_output_cycles},
                         {"active_pe_cycles", as.active_pe_cycles}, {"bypass_pe_cycles", as.bypass_pe_cycles},
                         {"reversed_segment_steps", as.reversed_segment_steps},
                         {"loaded_rows", as.loaded_rows}, {"busy_cycles", as.busy_cycles()},
                         {"gemm_folds", as.gemm_folds}, {"gemm_cycles", as.gemm_cycles},
                         {"mac_ops", as.mac_ops}, {"weight_loads", as.weight_loads},
                         {"awake_pe_cycles", as.awake_pe_cycles}, {"pe_wakes", as.pe_wakes}};
  r["operations"] = {{"lima_ops", as.active_pe_cycles - as.scan_pe_cycles}, {"mac_ops", as.mac_ops}};
  // Selective-scan counters only for accelerators built with the option (others' reports
  // are unchanged).
  if (s.array.selective) {
    json& ac = r["array_counters"];
    ac["scan_passes"] = as.scan_passes;
    ac["scan_cycles"] = as.scan_cycles;
    ac["scan_pe_cycles"] = as.scan_pe_cycles;
    ac["coeff_words"] = as.coeff_words;
    ac["stall_coeff_cycles"] = as.stall_coeff_cycles;
    r["operations"]["scan_ops"] = as.scan_pe_cycles;
  }
  r["dma"] = {{"transfers", ds.transfers}, {"bursts", ds.bursts}, {"bytes_to_spad", ds.bytes_to_spad},
              {"bytes_from_spad", ds.bytes_from_spad}, {"busy_cycles", ds.busy_cycles}};
  r["memory"] = {{"bytes_read", soc.memory().bytes_read()}, {"bytes_written", soc.memory().bytes_written()},
                 {"transactions", soc.memory().transactions()}};
  r["scratchpads"] = {{"input", spad_json(acc.spad(cmd::SpadId::INPUT))},
                      {"param", spad_json(acc.spad(cmd::SpadId::PARAM))},
                      {"output", spad_json(acc.spad(cmd::SpadId::OUTPUT))}};
  json by_op = json::object();
  for (uint8_t op = 0; op < cmd::kNumOpcodes; ++op)
    if (cs.by_opcode[op]) by_op[cmd::opcode_name(op)] = cs.by_opcode[op];
  r["command_processor"] = {{"commands", cs.commands}, {"by_opcode", by_op}, {"fetch_bytes", cs.fetch_bytes},
                            {"wait_cycles", cs.wait_cycles}};
  if (acc.params().compute_queues == 2) {  // two compute queues: the scoreboard's counters
    r["command_processor"]["scoreboard_checks"] = cs.scoreboard_checks;
    r["command_processor"]["hazard_wait_cycles"] = cs.hazard_wait_cycles;
  }
  // Why the array was not computing: its own feed stalls, and the waits of the stream.
  r["stalls"] = {{"input_feed_cycles", as.stall_input_cycles},
                 {"output_feed_cycles", as.stall_output_cycles},
                 {"dma_wait_cycles", cs.wait_dma_cycles},
                 {"compute_dependency_cycles", cs.wait_array_cycles}};
  if (s.array.selective) r["stalls"]["coeff_feed_cycles"] = as.stall_coeff_cycles;
  r["units"] = {
      {"array", {{"busy_cycles", as.busy_cycles()},
                 {"idle_cycles", job_cycles > as.busy_cycles() ? job_cycles - as.busy_cycles() : 0},
                 {"stall_cycles", as.stall_input_cycles + as.stall_output_cycles}}},
      {"dma", {{"busy_cycles", ds.busy_cycles},
               {"idle_cycles", job_cycles > ds.busy_cycles ? job_cycles - ds.busy_cycles : 0}}}};
  // The vector unit (RUN_VEC): its words are also in the scratchpads' array_* counters.
  const VectorStats& vs = acc.vector_unit().stats();
  json vec_by_op = json::object();
  for (uint8_t op = 0; op < cmd::kNumVecOps; ++op)
    if (vs.by_op[op]) vec_by_op[cmd::vec_op_name(op)] = vs.by_op[op];
  r["vector_unit"] = {{"lanes", acc.vector_unit().costs().lanes},
                      {"operations", vs.ops},
                      {"by_op", vec_by_op},
                      {"elements", vs.elements},
                      {"busy_cycles", vs.busy_cycles},
                      {"ops", {{"mul", vs.op_counts.mul}, {"add", vs.op_counts.add},
                               {"special", vs.op_counts.special}, {"move", vs.op_counts.move}}}};
  r["units"]["vector"] = {{"busy_cycles", vs.busy_cycles},
                          {"idle_cycles", job_cycles > vs.busy_cycles ? job_cycles - vs.busy_cycles : 0}};
  if (!per_command) return r;
  json cmds = json::array();
  for (const Activity& a : acc.activity().entries) {
    json c = {{"index", a.cmd_index}, {"opcode", cmd::opcode_name(a.opcode)}, {"unit", unit_name(a.unit)},
              {"start_cycle", a.start_ps / period_ps}, {"end_cycle", a.end_ps / period_ps},
              {"cycles", (a.end_ps - a.start_ps) / period_ps}};
    if (a.unit == Activity::DMA) c["bytes"] = a.bytes;
    if (a.unit == Activity::ARRAY) {
      c["stall_input_cycles"] = a.stall_input;
      c["stall_output_cycles"] = a.stall_output;
      c["active_pe_cycles"] = a.active_pe_cycles;
    }
    if (a.unit == Activity::COMMAND_PROCESSOR) {
      c["wait_array_cycles"] = a.wait_array_ps / period_ps;
      c["wait_dma_cycles"] = a.wait_dma_ps / period_ps;
    }
    cmds.push_back(std::move(c));
  }
  r["commands"] = std::move(cmds);
  return r;
}

std::string array_line(const Scenario& s) {
  std::ostringstream os;
  os << "  array      " << s.array.rows << "x" << s.array.cols << " LIMA-PEs, segments "
     << (s.array.segments ? "on" : "off") << ", " << json(s.array.clock_mhz) << " MHz, " << s.run.timing.name()
     << " timing\n";
  return os.str();
}

std::string cpu_line(const json& r) {
  if (!r.contains("cpu") || r["cpu"]["kind"] != "rv32") return "";
  const json& c = r["cpu"];
  char line[512];
  std::snprintf(line, sizeof line, "  cpu        RV32IMAC %.0f MHz: %llu instructions, %llu cycles, %.3g us asleep in wfi (%s)\n",
                c["clock_mhz"].get<double>(), (unsigned long long)c["instructions"].get<uint64_t>(), (unsigned long long)c["cycles"].get<uint64_t>(),
                c["wfi_seconds"].get<double>() * 1e6, c["firmware"].get<std::string>().c_str());
  return line;
}

std::string format_report(const Scenario& s, const json& r) {
  if (s.workload.kind == WorkloadKind::S4Model) return format_model_report(s, r);
  std::ostringstream os;
  const json& wl = r["workload"];
  os << "EpochCore VP: " << s.name << "\n";
  const bool gemm = s.workload.kind == WorkloadKind::Gemm;
  if (gemm)
    os << "  workload   GEMM M=" << s.workload.gemm_m << " N=" << s.workload.gemm_n << " K=" << s.workload.gemm_k
       << "  (" << wl["params"].get<std::string>() << ")\n";
  else
    os << "  workload   " << (wl["bidirectional"].get<bool>() ? "bidirectional " : "") << "S4D layer B="
       << wl["batch"] << " H=" << wl["channels"] << " M=" << wl["modes"] << " L=" << wl["length"]
       << "  (params: " << wl["params"].get<std::string>() << ")\n";
  os << array_line(s) << cpu_line(r);
  if (r["status"] != "ok") {
    os << "  status     ERROR: " << r["error"].get<std::string>() << "\n";
    return os.str();
  }
  const json& pl = r["plan"];
  const json& ac = r["array_counters"];
  const json& st = r["stalls"];
  if (gemm)
    os << "  plan       " << pl["folds"] << " weight-stationary fold(s): " << pl["k_blocks"] << " K block(s) x "
       << pl["n_blocks"] << " N block(s) x " << pl["m_chunks"] << " M chunk(s); " << pl["commands"] << " commands\n";
  else
    os << "  plan       " << pl["passes"] << " mode pass(es) x " << pl["folds_per_pass"] << " fold(s) x "
       << pl["chunks"] << " time chunk(s); " << pl["segments_per_fold"] << " segments of " << pl["seg_len"]
       << " PEs; " << pl["commands"] << " commands\n";
  char line[256];
  auto u64 = [](const json& j) { return (unsigned long long)j.get<uint64_t>(); };
  std::snprintf(line, sizeof line, "  cycles     %llu (%.3f us simulated)\n", u64(r["cycles"]),
                r["simulated_seconds"].get<double>() * 1e6);
  os << line;
  if (gemm)
    std::snprintf(line, sizeof line, "  array      %llu busy cycles in GEMM folds\n", u64(ac["busy_cycles"]));
  else
    std::snprintf(line, sizeof line, "  array      %llu busy cycles: %llu coefficient load, %llu pass (%llu beats)\n",
                  u64(ac["busy_cycles"]), u64(ac["load_cycles"]), u64(ac["pass_cycles"]), u64(ac["pass_beats"]));
  os << line;
  std::snprintf(line, sizeof line,
                "  stalls     input feed %llu, output feed %llu, waiting for DMA %llu, compute dependency %llu\n",
                u64(st["input_feed_cycles"]), u64(st["output_feed_cycles"]), u64(st["dma_wait_cycles"]),
                u64(st["compute_dependency_cycles"]));
  os << line;
  std::snprintf(line, sizeof line, "  PE util    %.4f while the array is busy, %.4f over the whole job\n",
                r["pe_utilization"].get<double>(), r["pe_utilization_overall"].get<double>());
  os << line;
  const json& d = r["dma"];
  std::snprintf(line, sizeof line, "  DMA        %llu transfers, %llu bytes in, %llu bytes out, %llu busy cycles\n",
                u64(d["transfers"]), u64(d["bytes_to_spad"]), u64(d["bytes_from_spad"]), u64(d["busy_cycles"]));
  os << line;
  const json& e = r["error_vs_reference"];
  if (e.is_null()) {
    os << "  error      not checked: " << r.value("firmware_result", std::string("no result")) << "\n";
  } else {
    std::snprintf(line, sizeof line, "  error      max_abs %.3e, max_rel %.3e (vs double-precision reference)\n",
                  e["max_abs"].get<double>(), e["max_rel"].get<double>());
    os << line;
  }
  std::snprintf(line, sizeof line, "  wall       %.3f s\n", r["wall_seconds"].get<double>());
  os << line;
  return os.str();
}

}  // namespace epochcore
