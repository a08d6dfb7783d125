// The generic run: elaborate the SoC, run the workload's job with the firmware on the chosen
// CPU (host-driver model or RV32 core), collect the report. The workload kinds are in s4d_layer.cpp, gemm.cpp and s4_model.cpp.
#include "epochcore/platform/workloads/workload.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include <unistd.h>

#include "epochcore/platform/report/compare.h"
#include "epochcore/platform/report/program.h"
#include "epochcore/platform/report/report.h"
#include "epochcore/firmware/runner/job_runner.h"
#include "epochcore/platform/debug/gdb_server.h"
#include "epochcore/platform/io/data_dir.h"
#include "epochcore/platform/soc/loader_hal.h"
#include "epochcore/platform/soc/soc.h"
#include "epochcore/platform/trace/trace_export.h"
#include "epochcore/platform/workloads/progress.h"
#include "epochcore/platform/workloads/workload_kinds.h"

namespace epochcore {

using nlohmann::json;

std::unique_ptr<Workload> make_workload(const Scenario& s, const RunOptions& o) {
  switch (s.workload.kind) {
    case WorkloadKind::S4dLayer: return make_s4d_layer_workload(s, o);
    case WorkloadKind::Gemm: return make_gemm_workload(s, o);
    case WorkloadKind::S4Model: return make_s4_model_workload(s, o);
  }
  throw std::logic_error("make_workload: unhandled workload.kind");
}

namespace {

// The firmware ELF of a host.cpu rv32 run: host.firmware as given, else relative to the
// scenario's directory; "" is the project's own firmware, built beside the simulator
// (<exe dir>/rv32/) or installed (<data dir>/firmware/).
std::string resolve_firmware(const Scenario& s, const std::string& scenario_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!s.host.firmware.empty()) {
    const fs::path given(s.host.firmware);
    if (fs::is_regular_file(given, ec)) return given.string();
    const fs::path beside = fs::path(scenario_path).parent_path() / given;
    if (!scenario_path.empty() && given.is_relative() && fs::is_regular_file(beside, ec)) return beside.string();
    throw InputError("host.firmware: '" + s.host.firmware + "' is not a file (an RV32 ELF; relative paths are "
                     "taken from the current directory, then the scenario's)");
  }
  std::vector<fs::path> looked;
  const std::string exe = executable_path();
  if (!exe.empty()) looked.push_back(fs::path(exe).parent_path() / "rv32" / "epochcore-fw.elf");
  try {
    looked.push_back(fs::path(data_dir()) / "firmware" / "epochcore-fw.elf");
  } catch (const DataDirError&) {
  }
  for (const fs::path& p : looked)
    if (fs::is_regular_file(p, ec)) return p.string();
  std::string where;
  for (const fs::path& p : looked) where += (where.empty() ? "" : ", ") + p.string();
  throw InputError("host.firmware: \"\" asks for the project's firmware epochcore-fw.elf, which is not there (" +
                   where + "): it is built with Debian's gcc-riscv64-unknown-elf (./epochcore deps test, then "
                   "rebuild), or name an ELF with --firmware");
}

// The trace's stage names: a whole model's stages, in execution order.
std::vector<std::string> stage_names(const Workload& w) {
  std::vector<std::string> names;
  for (const ProgressStage& st : w.progress_stages()) names.push_back(st.name);
  return names;
}

// Runs the simulation to the end with the waveform probe and the trace the options ask
// for; returns the simulated seconds.
double simulate(Soc& soc, const Scenario& s, const RunOptions& o, const Workload& w) {
  std::unique_ptr<VcdProbe> vcd;
  if (!o.vcd_path.empty()) {
    if (s.run.timing != Timing::Cycle)
      throw InputError("--vcd " + o.vcd_path + ": waveforms need run.timing: cycle (got '" + s.run.timing.name() +
                       "')");
    vcd.reset(new VcdProbe("vcd_probe", o.vcd_path, soc.accel(), soc.irq_signal()));
    if (!vcd->ok()) throw InputError(vcd->error());
    soc.accel().set_array_probe(vcd.get());
  }
  // The progress line: --progress forces it (from the start), a terminal on stderr shows
  // it after 2 s of wall time; --quiet silences it.
  std::unique_ptr<ProgressMeter> progress;
  if (!o.quiet && (o.progress == 1 || (o.progress < 0 && isatty(STDERR_FILENO))))
    progress.reset(new ProgressMeter(
        "progress", soc.accel().command_processor(), [&w] { return w.progress_stages(); },
        o.progress == 1 ? 0.0 : 2.0));
  sc_core::sc_start();
  if (progress) progress->finish();
  const double sim_seconds = sc_core::sc_time_stamp().to_seconds();
  std::string trace_error;
  if (vcd && !vcd->close(&trace_error)) throw InputError(trace_error);
  if (!o.trace_path.empty() && !write_chrome_trace(o.trace_path, soc.accel(), soc.clock_period(), &trace_error, stage_names(w)))
    throw InputError(trace_error);
  return sim_seconds;
}

}  // namespace

RunResult run_workload(const Scenario& s, const RunOptions& o, Workload& w) {
  const auto wall0 = std::chrono::steady_clock::now();
  {
    // System memory is reserved lazily (calloc), but the host must grant the whole address
    // range: a memory.size_mib beyond what this host allows is bad input (exit 2), not a
    // failure of the model (which would report it as an internal error).
    const uint64_t bytes = uint64_t(s.memory.size_mib) << 20;
    void* probe = std::calloc(size_t(bytes), 1);
    if (probe == nullptr)
      throw InputError("memory.size_mib: this host cannot reserve " + std::to_string(s.memory.size_mib) +
                       " MiB (" + std::to_string(bytes) +
                       " bytes) of address space for the simulated system memory; use a smaller value");
    std::free(probe);
  }
  if (s.host.cpu == CpuKind::Model && o.gdb_port >= 0)
    throw InputError("--gdb: needs host.cpu rv32 (the host-driver model runs the firmware compiled into the "
                     "simulator; GDB debugs the RV32 core)");
  if (s.host.cpu == CpuKind::Rv32 && o.bad_command >= 0)
    throw InputError("--inject-bad-command: needs host.cpu model (it corrupts the stream at the host-driver "
                     "model's doorbell)");
  const std::string firmware = s.host.cpu == CpuKind::Rv32 ? resolve_firmware(s, o.scenario_path) : "";
  Soc soc("soc", s);
  w.attach(soc);
  std::unique_ptr<GdbServer> gdb;
  if (soc.has_rv32()) {
    soc.rv32().firmware_path = firmware;
    soc.rv32().echo_console = !o.quiet;
    if (o.gdb_port >= 0) {
      try {
        gdb.reset(new GdbServer(uint16_t(o.gdb_port)));
      } catch (const std::exception& e) {
        throw InputError(std::string("--gdb ") + std::to_string(o.gdb_port) + ": " + e.what());
      }
      soc.rv32().set_debugger(gdb.get());
    }
  }

  // The host side of every run, once the bus bindings are complete: the loader writes the
  // tensors, the driver probes the accelerator through the back door, the workload writes
  // its job block (s4_model: the model compiler's image first). Then the firmware runs the
  // job on the chosen CPU and leaves its result block.
  LoaderHal loader(soc);
  ProgramOutcome outcome;
  ec_fw_job job{};
  ec_fw_result fw_result{};
  auto prepare_job = [&]() -> bool {
    if (!w.load(soc)) {
      outcome.error = "loader: debug write into system memory failed";
      return false;
    }
    fw::Driver probe(loader);
    fw::AccelInfo info{};
    const fw::DriverStatus st = probe.probe(&info);
    if (st != fw::DriverStatus::OK) {
      outcome.error = std::string("driver probe failed: ") + fw::driver_status_name(st);
      return false;
    }
    outcome = w.make_job(soc, loader, info, &job);
    return outcome.error.empty();
  };
  bool ran = false;  // the firmware ran the job and left a result block
  if (s.host.cpu == CpuKind::Model) {
    soc.host().program = [&](fw::Hal& hal) {
      if (!prepare_job()) return;
      fw::run_job(hal, job, &fw_result);
      ran = true;
    };
    soc.host().on_exit = [] { sc_core::sc_stop(); };
  } else {
    soc.rv32().boot = [&]() -> bool {
      if (!prepare_job()) return false;
      if (soc.rv32().write_job(job, &outcome.error)) return true;
      outcome.bad_input = soc.rv32().bad_firmware;
      return false;
    };
  }
  if (s.run.check_protocol)  // report and count each violation instead of stopping at the first
    sc_core::sc_report_handler::set_actions("/epochcore/tlm_protocol",
                                            sc_core::SC_DISPLAY | sc_core::SC_LOG);
  const double sim_seconds = simulate(soc, s, o, w);
  if (outcome.bad_input) throw InputError(outcome.error);
  if (s.host.cpu == CpuKind::Rv32 && outcome.error.empty()) ran = soc.rv32().read_result(&fw_result, &outcome.error);
  if (ran) {
    w.take_result(soc, fw_result);
    if (!fw_result.ok && outcome.error.empty())
      outcome.error = fw_result.message[0] ? std::string(fw_result.message, strnlen(fw_result.message, sizeof fw_result.message))
                                        : std::string("the firmware reported a failure without a message");
  }
  // A base-protocol violation is a bug of a model, not of the user's input: every one was
  // reported as it happened (run.check_protocol keeps the run going); the run fails as an
  // internal error naming how many there were.
  const uint64_t violations = s.run.check_protocol ? soc.protocol_violations() : 0;
  if (violations)
    throw std::runtime_error(std::to_string(violations) +
                             " TLM-2.0 base-protocol violation(s) (run.check_protocol; messages above)");
  const bool ok = outcome.error.empty();
  // A user's firmware (--firmware) that exits with 0 without a result block ran fine, but
  // there is no job outcome to check.
  const bool checked = ok && ran;

  RunResult result;
  json& r = result.report;
  r = hardware_report(soc, s, w.job_cycles(), w.per_command_records());
  r["scenario"] = {{"name", s.name}, {"file", o.scenario_path}, {"effective", scenario_to_json(s)}};
  r["program"] = {{"name", "epochcore-vp"}, {"version", program_version()}, {"revision", program_revision()}};
  if (s.run.check_protocol) r["protocol_violations"] = violations;
  r["status"] = ok ? "ok" : "error";
  if (!ok) r["error"] = outcome.error;
  r["cycles"] = w.job_cycles();
  // The states cover the job's cycles; a --firmware without a job block (cycles 0) may
  // still have run the array, and then there is no job to split: null.
  // Checked here rather than caught: an exception thrown on SystemC's stack after the
  // simulation trips AddressSanitizer's stack bookkeeping (a false positive under ASan).
  const uint64_t all_pe_cycles = uint64_t(s.array.rows) * s.array.cols * r["cycles"].get<uint64_t>();
  if (r["array_counters"]["awake_pe_cycles"].get<uint64_t>() <= all_pe_cycles)
    r["pe_states"] = pe_states_json(epochcore_pe_states(s, r));
  else
    r["pe_states"] = nullptr;
  r["cpu"] = soc.has_rv32() ? soc.rv32().report() : json{{"kind", "model"}};
  r["simulated_seconds"] = sim_seconds;
  const energy::TechTable tech = load_scenario_tech(s);
  w.report(tech, r);
  if (checked) {
    w.check(soc, r);
    add_energy_area(s, tech, r);
    if (o.compare) w.compare(tech, r);
  } else if (ok) {
    r[w.check_key()] = nullptr;
    r["firmware_result"] = "none: the firmware exited with 0 without writing a result block";
  } else {
    result.exit_code = 1;
    r[w.check_key()] = nullptr;
  }
  r["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (!o.output_path.empty() && checked) w.write_output(o.output_path);
  return result;
}

void check_output_paths(const RunOptions& o) {
  namespace fs = std::filesystem;
  const std::pair<const char*, const std::string*> outputs[] = {
      {"--report", &o.report_path}, {"--output", &o.output_path}, {"--trace", &o.trace_path}, {"--vcd", &o.vcd_path},
      {"--csv", &o.csv_path}};
  for (const auto& [option, path] : outputs) {
    if (path->empty()) continue;
    const std::string what = std::string(option) + " " + *path + ": ";
    std::error_code ec;
    const fs::path dir = fs::path(*path).parent_path();
    if (!dir.empty() && !fs::is_directory(dir, ec))
      throw InputError(what + "directory " + dir.string() + " does not exist");
    if (fs::is_directory(*path, ec)) throw InputError(what + "is a directory, not a file");
    const bool existed = fs::exists(*path, ec);
    errno = 0;
    std::ofstream f(*path, std::ios::app | std::ios::binary);  // app: an existing file is kept as it is
    if (!f) throw InputError(what + "cannot be written" + (errno ? std::string(" (") + std::strerror(errno) + ")" : ""));
    f.close();
    if (!existed) fs::remove(*path, ec);
  }
}

}  // namespace epochcore
