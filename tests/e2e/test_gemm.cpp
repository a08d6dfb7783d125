// End-to-end GEMM (workload.kind gemm): runs the built simulator on several (M, N, K) and
// array sizes, including partial folds, M chunks and weight tiles that do not stay
// resident, and checks the output against a double triple loop, cycle/fast parity (bytes
// and counters), the array cycles against the baseline's closed form and SCALE-Sim, and
// the comparison's fields.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>


#include <nlohmann/json.hpp>

#include "epochcore/firmware/kernels/gemm.h"
#include "epochcore/maths/timing/prodf_timing.h"
#include "epochcore/maths/baseline/ws_timing.h"
#include "epochcore/platform/io/npy.h"
#include "epochcore/tests/e2e/vp_runner.h"

using nlohmann::json;
namespace fs = std::filesystem;
using namespace epochcore;

namespace {

using GemmVpRun = e2e::VpResult;

GemmVpRun run_gemm_vp(const std::string& args) {
  static const fs::path dir = e2e::scratch_dir("gemm");
  return e2e::run_epochcore_vp(dir, args);
}

struct GemmShape {
  uint32_t M, N, K, rows, cols;
  uint32_t spad_kib;  // all three scratchpads
};

std::string gemm_args(const GemmShape& s, const std::string& timing) {
  std::ostringstream a;
  a << "--set workload.kind=gemm --set workload.gemm_m=" << s.M << " --set workload.gemm_n=" << s.N
    << " --set workload.gemm_k=" << s.K << " --set array.rows=" << s.rows << " --set array.cols=" << s.cols
    << " --set run.timing=" << timing << " --compare";
  for (const char* buf : {"input", "param", "output"}) a << " --set scratchpad." << buf << ".size_kib=" << s.spad_kib;
  return a.str();
}

// The firmware's plan for the shape, and the array cycles its folds must take.
uint64_t expected_gemm_cycles(const GemmShape& s, fw::GemmPlan* plan) {
  fw::AccelInfo hw;
  hw.rows = s.rows;
  hw.cols = s.cols;
  for (int i = 0; i < 3; ++i) hw.spad_bytes[i] = s.spad_kib * 1024;
  fw::GemmJob job;
  job.M = s.M;
  job.N = s.N;
  job.K = s.K;
  job.workspace_bytes = 1u << 30;
  char why[256] = {};
  REQUIRE(fw::plan_gemm(hw, job, plan, why, sizeof why));
  uint64_t cycles = 0;
  for (uint32_t c = 0; c < plan->m_chunks; ++c) {
    const uint32_t m = std::min(plan->m_chunk, s.M - c * plan->m_chunk);
    cycles += uint64_t(plan->k_blocks) * plan->n_blocks * timing::gemm_fold_cycles(m, s.rows, s.cols);
  }
  return cycles;
}

}  // namespace

TEST_CASE("gemm e2e: correct, cycle/fast parity, cycles of the closed form, consistent comparison",
          "[e2e][gemm][parity]") {
  const GemmShape shapes[] = {
      {20, 20, 40, 8, 8, 1},      // 1 KiB scratchpads: 4 M chunks, weight tiles per fold
      {33, 13, 17, 4, 8, 64},     // partial folds both ways, one chunk
      {1, 5, 3, 4, 4, 64},        // K < R, N > C, one streamed row
      {64, 64, 64, 16, 16, 256},  // SCALE-Sim's 16x16 example
      {7, 3, 100, 32, 2, 64},     // partial last K fold on a tall thin array
  };
  for (const GemmShape& s : shapes) {
    CAPTURE(s.M, s.N, s.K, s.rows, s.cols, s.spad_kib);
    const GemmVpRun cyc = run_gemm_vp(gemm_args(s, "cycle"));
    const GemmVpRun fst = run_gemm_vp(gemm_args(s, "fast"));
    INFO(cyc.err << fst.err);
    REQUIRE(cyc.exit_code == 0);
    REQUIRE(fst.exit_code == 0);
    const json& rc = cyc.report;
    const json& rf = fst.report;
    CHECK(rc["status"] == "ok");
    CHECK(rc["error_vs_reference"]["max_rel"].get<double>() <= 1e-5);
    CHECK(rc["error_vs_reference"]["reference"] == "double-precision triple loop");

    // Parity: output bit for bit, every counter and the job's cycles.
    const io::NpyArray oc = io::read_npy(cyc.output_path), of = io::read_npy(fst.output_path);
    CHECK(oc.shape == std::vector<size_t>{s.M, s.N});
    CHECK(oc.data == of.data);
    CHECK(rc["cycles"] == rf["cycles"]);
    CHECK(rc["array_counters"] == rf["array_counters"]);
    CHECK(rc["pe_states"] == rf["pe_states"]);
    CHECK(rc["pe_states"]["compute_pe_cycles"] == rc["array_counters"]["mac_ops"]);
    CHECK(rc["pe_states"]["compute_pe_cycles"].get<uint64_t>() + rc["pe_states"]["preload_pe_cycles"].get<uint64_t>() +
              rc["pe_states"]["sleep_pe_cycles"].get<uint64_t>() ==
          uint64_t(s.rows) * s.cols * rc["cycles"].get<uint64_t>());
    CHECK(rc["scratchpads"] == rf["scratchpads"]);
    CHECK(rc["stalls"] == rf["stalls"]);
    CHECK(rc["energy_pj"] == rf["energy_pj"]);

    // Cycles: the baseline's per-fold formula over the firmware's folds; with one M chunk
    // that is ws_gemm exactly.
    fw::GemmPlan plan;
    const uint64_t expect = expected_gemm_cycles(s, &plan);
    const json& ac = rc["array_counters"];
    CHECK(ac["gemm_cycles"].get<uint64_t>() == expect);
    CHECK(ac["busy_cycles"].get<uint64_t>() == expect);
    CHECK(ac["gemm_folds"].get<uint64_t>() == plan.folds);
    CHECK(ac["mac_ops"].get<uint64_t>() == uint64_t(s.M) * s.N * s.K);
    CHECK(ac["weight_loads"].get<uint64_t>() == uint64_t(plan.m_chunks) * s.K * s.N);
    CHECK(rc["operations"]["mac_ops"].get<uint64_t>() == uint64_t(s.M) * s.N * s.K);
    CHECK(rc["pe_utilization"].get<double>() ==
          Approx(double(s.M) * s.N * s.K / (double(s.rows) * s.cols * expect)).epsilon(1e-12));
    CHECK(rc["plan"]["folds"].get<uint64_t>() == plan.folds);
    CHECK(rc["plan"]["m_chunks"].get<uint32_t>() == plan.m_chunks);
    const baseline::GemmTiming b = baseline::ws_gemm(s.M, s.N, s.K, s.rows, s.cols);
    if (plan.m_chunks == 1) CHECK(expect == b.cycles);

    // The comparison: the baseline's ws_gemm, ratios from the report's own figures.
    const json& cmp = rc["comparison"];
    CHECK(cmp["workload"] == "gemm");
    CHECK(rc["baseline"]["gemm"]["cycles"].get<uint64_t>() == b.cycles);
    CHECK(rc["baseline"]["gemm"]["folds"].get<uint64_t>() == b.folds);
    CHECK(rc["baseline"]["gemm"]["reported_cycles"].get<uint64_t>() == b.cycles - 1);
    CHECK(cmp["epochcore_compute_cycles"].get<uint64_t>() == expect);
    CHECK(cmp["speedup_compute"].get<double>() == Approx(double(b.cycles) / double(expect)));
    if (plan.m_chunks == 1) CHECK(cmp["speedup_compute"].get<double>() == 1.0);
    CHECK(cmp["energy_ratio"].get<double>() ==
          Approx(cmp["baseline_energy_pj"].get<double>() / rc["energy_pj"]["total"].get<double>()));
    CHECK(cmp["area_ratio"].get<double>() ==
          Approx(rc["area_mm2"]["total"].get<double>() / rc["baseline"]["area_mm2"]["total"].get<double>()));
    CHECK(cmp["area_ratio"].get<double>() > 1.0);  // LIMA-PEs are larger than MAC-PEs
    CHECK(cyc.out.find("~1x by construction") != std::string::npos);
  }
}

TEST_CASE("gemm e2e: the SCALE-Sim scenario gives 32 folds and 11200 cycles (11199 reported)", "[e2e][gemm]") {
  const GemmVpRun r =
      run_gemm_vp(std::string("'") + EC_SOURCE_DIR + "/scenarios/gemm/scalesim_256x128x256.yaml' --set run.timing=fast --compare");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.report["array_counters"]["gemm_folds"].get<uint64_t>() == 32);
  CHECK(r.report["array_counters"]["gemm_cycles"].get<uint64_t>() == 11200);
  CHECK(r.report["baseline"]["gemm"]["reported_cycles"].get<uint64_t>() == 11199);
  CHECK(r.report["comparison"]["speedup_compute"].get<double>() == 1.0);
  CHECK(r.report["error_vs_reference"]["max_rel"].get<double>() <= 1e-5);
}

TEST_CASE("gemm e2e: --params and --input are refused with a clear message", "[e2e][gemm]") {
  const GemmVpRun p = run_gemm_vp("--set workload.kind=gemm --params /nonexistent.safetensors");
  CHECK(p.exit_code == 2);
  CHECK(p.err.find("--params /nonexistent.safetensors: does not apply to workload.kind gemm") != std::string::npos);
  const GemmVpRun i = run_gemm_vp("--set workload.kind=gemm --input /nonexistent.npy");
  CHECK(i.exit_code == 2);
  CHECK(i.err.find("--input /nonexistent.npy: does not apply to workload.kind gemm") != std::string::npos);
  const GemmVpRun bad = run_gemm_vp("--set workload.kind=gemm --set workload.gemm_k=0");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("workload.gemm_k") != std::string::npos);
}
