#include "epochcore/platform/soc/simulation.h"

#include <chrono>
#include <memory>
#include <cmath>
#include <cstring>
#include <sstream>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/gemm.h"
#include "epochcore/firmware/kernels/s4d_layer.h"
#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/reference/s4d_reference.h"
#include "epochcore/platform/io/npy.h"
#include "epochcore/platform/io/s4d_params_file.h"
#include "epochcore/platform/report/compare.h"
#include "epochcore/platform/report/report.h"
#include "epochcore/platform/soc/soc.h"
#include "epochcore/platform/trace/trace_export.h"

namespace epochcore {

using nlohmann::json;

Workload prepare_workload(const Scenario& s, const RunOptions& o) {
  Workload w;
  const WorkloadConfig& wl = s.workload;
  if (wl.kind == "gemm" || wl.kind == "s4_model") {
    // gemm: A and B are seeded in run_gemm_simulation; s4_model: the files are named by
    // the workload.model/weights/inputs/lengths keys. Neither takes these options.
    for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{"--params", o.params_path},
                                     std::pair<const char*, const std::string&>{"--input", o.input_path}})
      if (!path.empty())
        throw InputError(std::string(flag) + " " + path +
                         ": does not apply to workload.kind " + wl.kind +
                         " (--params and --input are for s4d_layer; gemm seeds A and B from workload.seed, "
                         "s4_model takes workload.weights and workload.inputs)");
    return w;
  }
  if (!o.params_path.empty()) {
    try {
      w.params = io::load_s4d_params(o.params_path);
    } catch (const std::exception& e) {
      throw InputError(e.what());
    }
    w.params_source = o.params_path;
    if (wl.bidirectional && w.params.directions != 2)
      throw InputError(o.params_path + ": workload.bidirectional is true but tensor 'C' holds one direction "
                       "(expected shape [2, H, M, 2] for a bidirectional layer)");
  } else {
    w.params = s4d_init(wl.channels, wl.modes, wl.init, wl.dt_min, wl.dt_max, wl.seed,
                        wl.bidirectional ? 2 : 1);
    w.params_source = "seeded " + wl.init + " (seed " + std::to_string(wl.seed) + ")";
  }
  w.H = w.params.H;
  w.M = w.params.M;
  if (!o.input_path.empty()) {
    io::NpyArray a;
    try {
      a = io::read_npy(o.input_path);
    } catch (const std::exception& e) {
      throw InputError(e.what());
    }
    if (a.dtype != "f4" && a.dtype != "f8")
      throw InputError(o.input_path + ": input must be float32 or float64, got dtype '" + a.dtype + "'");
    const std::string expect = "(H, L) or (B, H, L) with H = " + std::to_string(w.H);
    if (a.shape.size() == 2) {
      w.B = 1;
      w.L = uint32_t(a.shape[1]);
      if (a.shape[0] != w.H)
        throw InputError(o.input_path + ": input has " + std::to_string(a.shape[0]) +
                         " channels but the layer has H = " + std::to_string(w.H) + "; expected shape " + expect);
    } else if (a.shape.size() == 3) {
      w.B = uint32_t(a.shape[0]);
      w.L = uint32_t(a.shape[2]);
      if (a.shape[1] != w.H)
        throw InputError(o.input_path + ": input has " + std::to_string(a.shape[1]) +
                         " channels but the layer has H = " + std::to_string(w.H) + "; expected shape " + expect);
    } else {
      throw InputError(o.input_path + ": input has " + std::to_string(a.shape.size()) +
                       " dimensions; expected shape " + expect);
    }
    if (w.B == 0 || w.L == 0) throw InputError(o.input_path + ": input is empty; expected shape " + expect);
    w.input.resize(a.data.size());
    for (size_t i = 0; i < a.data.size(); ++i) w.input[i] = float(a.data[i]);
    w.input_shape = a.shape;
    w.input_source = o.input_path;
  } else {
    w.B = wl.batch;
    w.L = wl.length;
    w.input = seeded_input(w.B, w.H, w.L, wl.seed + 1);
    w.input_shape = w.B == 1 ? std::vector<size_t>{w.H, w.L} : std::vector<size_t>{w.B, w.H, w.L};
    w.input_source = "seeded normal (seed " + std::to_string(wl.seed + 1) + ")";
  }
  return w;
}

namespace {

// System-memory layout of one job, 4 KiB aligned.
struct JobLayout {
  uint64_t params, input, output, workspace, workspace_bytes, end;
};

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

JobLayout layout_job(const Workload& w, uint64_t memory_bytes) {
  JobLayout j;
  const uint64_t io_bytes = uint64_t(w.B) * w.H * w.L * 4;
  j.params = 0x1000;
  j.input = align_up(j.params + fw::s4d_param_block_bytes(w.H, w.M, w.params.directions), 4096);
  j.output = align_up(j.input + io_bytes, 4096);
  j.workspace = align_up(j.output + io_bytes, 4096);
  j.end = j.workspace;
  j.workspace_bytes = memory_bytes > j.workspace ? memory_bytes - j.workspace : 0;
  return j;
}

std::vector<double> param_block(const S4dParams& p) {
  std::vector<double> b;
  b.reserve(fw::s4d_param_block_bytes(p.H, p.M, p.directions) / 8);
  for (const auto* v : {&p.log_dt, &p.log_A_real, &p.A_imag, &p.C, &p.D}) b.insert(b.end(), v->begin(), v->end());
  return b;
}

// ---- workload.kind gemm -------------------------------------------------------------

// Uniform in [-1, 1): Rng::uniform is bit-exact on every platform.
std::vector<float> seeded_matrix(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(2.0 * rng.uniform() - 1.0);
  return v;
}

// C = A * B in double, k in order.
std::vector<double> gemm_reference(const std::vector<float>& a, const std::vector<float>& b, uint32_t M,
                                   uint32_t N, uint32_t K) {
  std::vector<double> c(size_t(M) * N, 0.0);
  for (size_t i = 0; i < M; ++i)
    for (size_t k = 0; k < K; ++k) {
      const double aik = a[i * K + k];
      for (size_t j = 0; j < N; ++j) c[i * N + j] += aik * double(b[k * N + j]);
    }
  return c;
}

}  // namespace

// Runs the simulation to the end with the waveform probe and the trace the options ask
// for; returns the simulated seconds.
double simulate(Soc& soc, const Scenario& s, const RunOptions& o) {
  std::unique_ptr<VcdProbe> vcd;
  if (!o.vcd_path.empty()) {
    if (s.run.timing != "cycle")
      throw InputError("--vcd " + o.vcd_path + ": waveforms need run.timing: cycle (got '" + s.run.timing + "')");
    vcd.reset(new VcdProbe("vcd_probe", o.vcd_path, soc.accel().array(), soc.irq_signal()));
    if (!vcd->ok()) throw InputError(vcd->error());
    soc.accel().set_array_probe(vcd.get());
  }
  sc_core::sc_start();
  const double sim_seconds = sc_core::sc_time_stamp().to_seconds();
  std::string trace_error;
  if (vcd && !vcd->close(&trace_error)) throw InputError(trace_error);
  if (!o.trace_path.empty() && !write_chrome_trace(o.trace_path, soc.accel(), soc.clock_period(), &trace_error))
    throw InputError(trace_error);
  return sim_seconds;
}

namespace {

// The GEMM run: seeded A and B in system memory, the firmware's GEMM kernel
// (firmware/kernels/gemm), the output against a double triple loop.
RunResult run_gemm_simulation(const Scenario& s, const RunOptions& o) {
  const auto wall0 = std::chrono::steady_clock::now();
  if (o.bad_command >= 0)
    throw InputError("--inject-bad-command: not supported for workload.kind gemm (use an s4d_layer scenario)");
  const uint32_t M = s.workload.gemm_m, N = s.workload.gemm_n, K = s.workload.gemm_k;
  RunResult result;
  Soc soc("soc", s);
  const std::vector<float> a = seeded_matrix(size_t(M) * K, s.workload.seed + 1);
  const std::vector<float> b = seeded_matrix(size_t(K) * N, s.workload.seed);
  fw::GemmJob job;
  job.M = M;
  job.N = N;
  job.K = K;
  job.a_addr = 0x1000;
  job.b_addr = align_up(job.a_addr + a.size() * 4, 4096);
  job.c_addr = align_up(job.b_addr + b.size() * 4, 4096);
  job.workspace_addr = align_up(job.c_addr + uint64_t(M) * N * 4, 4096);
  if (job.workspace_addr + (1u << 20) > soc.memory_bytes())
    throw InputError("memory.size_mib: system memory of " + std::to_string(s.memory.size_mib) +
                     " MiB cannot hold the GEMM (A, B, C and 1 MiB workspace need " +
                     std::to_string((job.workspace_addr + (2u << 20) - 1) >> 20) + " MiB)");
  job.workspace_bytes = soc.memory_bytes() - job.workspace_addr;

  fw::GemmResult fw_result{};
  std::string fw_error;
  soc.host().program = [&](fw::Hal& hal) {
    if (!soc.debug_write(job.a_addr, a.data(), a.size() * 4) || !soc.debug_write(job.b_addr, b.data(), b.size() * 4)) {
      fw_error = "loader: debug write into system memory failed";
      return;
    }
    fw::Driver driver(hal);
    fw::AccelInfo info{};
    const fw::DriverStatus st = driver.probe(&info);
    if (st != fw::DriverStatus::OK) {
      fw_error = std::string("driver probe failed: ") + fw::driver_status_name(st);
      return;
    }
    if (!fw::gemm_run(hal, driver, info, job, &fw_result)) fw_error = fw_result.message;
  };
  soc.host().on_exit = [] { sc_core::sc_stop(); };
  const double sim_seconds = simulate(soc, s, o);

  result.output.resize(size_t(M) * N);
  soc.debug_read(job.c_addr, result.output.data(), result.output.size() * 4);

  json& r = result.report;
  r = hardware_report(soc, s, fw_result.job.cycles);
  // hardware_report counts MACs in the utilisation and the GEMM counters (no LIMA ops here).
  r["scenario"] = {{"name", s.name}, {"file", o.scenario_path}};
  const std::string operands = "GEMM M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" +
                               std::to_string(K) + ", A and B seeded uniform [-1, 1) (seed " +
                               std::to_string(s.workload.seed) + ")";
  // The S4D keys keep the report's shape for readers that expect them (gemm: not used).
  r["workload"] = {{"kind", "gemm"}, {"gemm", {{"M", M}, {"N", N}, {"K", K}}}, {"batch", 1}, {"channels", 0},
                   {"modes", 0}, {"bidirectional", false}, {"length", 0}, {"params", operands},
                   {"input", "seeded uniform [-1, 1) (seed " + std::to_string(s.workload.seed + 1) + ")"}};
  r["status"] = fw_error.empty() ? "ok" : "error";
  if (!fw_error.empty()) r["error"] = fw_error;
  r["cycles"] = fw_result.job.cycles;
  r["simulated_seconds"] = sim_seconds;
  const fw::GemmPlan& pl = fw_result.plan;
  r["plan"] = {{"folds", pl.folds}, {"k_blocks", pl.k_blocks}, {"n_blocks", pl.n_blocks},
               {"m_chunk", pl.m_chunk}, {"m_chunks", pl.m_chunks}, {"weights_resident", pl.weights_resident},
               {"commands", pl.commands},
               // S4D plan keys, for readers that expect them: one "pass" of `folds` folds.
               {"passes", 1}, {"seg_len", 0}, {"segments_per_row", 0}, {"segments_per_fold", 0},
               {"folds_per_pass", pl.folds}, {"chunk_len", pl.m_chunk}, {"chunks", pl.m_chunks}};
  if (fw_error.empty()) {
    const std::vector<double> ref = gemm_reference(a, b, M, N, K);
    const ErrorStats e = compare_to_reference(result.output.data(), ref.data(), ref.size());
    r["error_vs_reference"] = {{"max_abs", e.max_abs}, {"max_rel", e.max_rel}, {"ref_max_abs", e.ref_max_abs},
                               {"reference", "double-precision triple loop"}};
    const energy::TechTable tech = load_scenario_tech(s);
    add_energy_area(s, tech, r);
    if (o.compare) add_baseline_comparison(s, tech, r);
  } else {
    result.exit_code = 1;
    r["error_vs_reference"] = nullptr;
  }
  r["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (!o.output_path.empty() && fw_error.empty())
    io::write_npy_f32(o.output_path, {M, N}, result.output.data());
  return result;
}

}  // namespace

RunResult run_simulation(const Scenario& s, const RunOptions& o, const Workload& w) {
  if (s.workload.kind == "gemm") return run_gemm_simulation(s, o);
  if (s.workload.kind == "s4_model") return run_model_simulation(s, o);
  const auto wall0 = std::chrono::steady_clock::now();
  RunResult result;
  Soc soc("soc", s);
  const JobLayout lay = layout_job(w, soc.memory_bytes());
  if (lay.workspace + (1u << 20) > soc.memory_bytes())
    throw InputError("memory.size_mib: system memory of " + std::to_string(s.memory.size_mib) +
                     " MiB cannot hold the job (parameters, input, output and 1 MiB workspace need " +
                     std::to_string((lay.workspace + (1u << 20) + (1u << 20) - 1) >> 20) + " MiB)");


  fw::S4dLayerJob job{};
  job.H = w.H;
  job.M = w.M;
  job.L = w.L;
  job.B = w.B;
  job.directions = w.params.directions;
  job.params_addr = lay.params;
  job.input_addr = lay.input;
  job.output_addr = lay.output;
  job.workspace_addr = lay.workspace;
  job.workspace_bytes = lay.workspace_bytes;

  // The firmware, as it runs on the host.
  fw::S4dLayerResult fw_result{};
  fw::AccelInfo info{};
  std::string fw_error;
  soc.host().program = [&](fw::Hal& hal) {
    // The loader puts the tensors into system memory through the debug back door (the
    // bus bindings are complete only once simulation has started).
    const std::vector<double> block = param_block(w.params);
    if (!soc.debug_write(lay.params, block.data(), block.size() * 8) ||
        !soc.debug_write(lay.input, w.input.data(), w.input.size() * 4)) {
      fw_error = "loader: debug write into system memory failed";
      return;
    }
    fw::Driver driver(hal);
    const fw::DriverStatus st = driver.probe(&info);
    if (st != fw::DriverStatus::OK) {
      fw_error = std::string("driver probe failed: ") + fw::driver_status_name(st);
      return;
    }
    if (!fw::s4d_layer_run(hal, driver, info, job, &fw_result)) fw_error = fw_result.message;
  };
  soc.host().on_exit = [] { sc_core::sc_stop(); };
  // Fault injection: just before the doorbell, record N of the stream the firmware built
  // gets an unknown opcode, so the accelerator's error path can be watched end to end.
  uint64_t stream_base = 0;
  uint32_t stream_len = 0;
  std::string injected;
  if (o.bad_command >= 0) {
    soc.host().before_reg_write = [&](uint32_t offset, uint32_t value) {
      if (offset == regs::CMD_BASE_LO) stream_base = (stream_base & ~0xFFFFFFFFull) | value;
      if (offset == regs::CMD_BASE_HI) stream_base = (stream_base & 0xFFFFFFFFull) | (uint64_t(value) << 32);
      if (offset == regs::CMD_LEN) stream_len = value;
      if (offset != regs::DOORBELL || value != 1) return;
      if (uint64_t(o.bad_command) >= stream_len / cmd::kRecordBytes) {
        injected = "not injected: the stream has " + std::to_string(stream_len / cmd::kRecordBytes) + " records";
        return;
      }
      const uint64_t at = stream_base + uint64_t(o.bad_command) * cmd::kRecordBytes;
      uint8_t opcode = 0x7F;
      soc.debug_write(at, &opcode, 1);
      injected = "record " + std::to_string(o.bad_command) + " given opcode 0x7F";
    };
  }
  const double sim_seconds = simulate(soc, s, o);

  result.output.resize(size_t(w.B) * w.H * w.L);
  soc.debug_read(lay.output, result.output.data(), result.output.size() * 4);

  json& r = result.report;
  r = hardware_report(soc, s, fw_result.job.cycles);
  r["scenario"] = {{"name", s.name}, {"file", o.scenario_path}};
  r["workload"] = {{"kind", s.workload.kind}, {"batch", w.B}, {"channels", w.H}, {"modes", w.M},
                   {"bidirectional", w.params.directions == 2},
                   {"length", w.L}, {"params", w.params_source}, {"input", w.input_source}};
  if (o.bad_command >= 0) r["fault_injection"] = injected;
  r["status"] = fw_error.empty() ? "ok" : "error";
  if (!fw_error.empty()) r["error"] = fw_error;
  r["cycles"] = fw_result.job.cycles;
  r["simulated_seconds"] = sim_seconds;
  const fw::S4dPlan& pl = fw_result.plan;
  r["plan"] = {{"passes", pl.passes}, {"seg_len", pl.seg_len}, {"segments_per_row", pl.spr},
               {"segments_per_fold", pl.segs_per_fold}, {"folds_per_pass", pl.folds_per_pass},
               {"chunk_len", pl.chunk_len}, {"chunks", pl.chunks}, {"commands", fw_result.commands}};

  if (fw_error.empty()) {
    std::vector<double> u(w.input.begin(), w.input.end());
    const std::vector<double> ref = s4d_recurrence(w.params, u.data(), w.B, w.L);
    const ErrorStats e = compare_to_reference(result.output.data(), ref.data(), ref.size());
    r["error_vs_reference"] = {{"max_abs", e.max_abs}, {"max_rel", e.max_rel}, {"ref_max_abs", e.ref_max_abs},
                               {"reference", "double-precision S4D recurrence (ZOH)"}};
  } else {
    result.exit_code = 1;
    r["error_vs_reference"] = nullptr;
  }
  if (fw_error.empty()) {
    const energy::TechTable tech = load_scenario_tech(s);
    add_energy_area(s, tech, r);
    if (o.compare) add_baseline_comparison(s, tech, r);
  }
  r["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  if (!o.output_path.empty() && fw_error.empty()) {
    std::vector<size_t> shape = w.input_shape;
    io::write_npy_f32(o.output_path, shape, result.output.data());
  }
  return result;
}

}  // namespace epochcore
