// Sizes before memory (issue 9, item 2): every input's size is checked against the run's
// needs, the scenario's limits and the host-memory ceiling (run.host_memory_mib) before
// anything large is allocated or read. The large files here are sparse: a valid header,
// then resize_file, so they cost no disk and the run must refuse them from the header.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "epochcore/platform/io/safetensors.h"
#include "epochcore/tests/e2e/vp_runner.h"

namespace fs = std::filesystem;
using namespace epochcore::e2e;

namespace {

const std::string kSmall = "--set workload.channels=8 --set workload.length=32 --set array.rows=4 --set array.cols=4";

// A .npy header (version 1.0) for `shape` of `descr`, then the file grown to its full
// size without writing the data (sparse).
void sparse_npy(const fs::path& p, const std::vector<uint64_t>& shape, const std::string& descr = "<f4") {
  std::string dims;
  uint64_t n = 1;
  for (uint64_t d : shape) dims += std::to_string(d) + ", ", n *= d;
  if (shape.size() > 1) dims.erase(dims.size() - 2);
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  {
    std::ofstream f(p, std::ios::binary);
    const char pre[10] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0, char(header.size() & 0xFF), char(header.size() >> 8)};
    f.write(pre, 10);
    f << header;
  }
  fs::resize_file(p, total + n * uint64_t(descr.back() - '0'));
}

// An S4D parameter file (F32, one direction) of H x M whose data is sparse.
void sparse_params(const fs::path& p, uint64_t H, uint64_t M) {
  struct T {
    const char* name;
    std::vector<uint64_t> shape;
  };
  const T tensors[] = {{"A_imag", {H, M}}, {"C", {H, M, 2}}, {"D", {H}}, {"log_A_real", {H, M}}, {"log_dt", {H}}};
  std::string json = "{";
  uint64_t at = 0;
  for (const T& t : tensors) {
    uint64_t n = 4;
    std::string dims;
    for (uint64_t d : t.shape) dims += (dims.empty() ? "" : ",") + std::to_string(d), n *= d;
    json += std::string(json.size() > 1 ? "," : "") + "\"" + t.name + "\":{\"dtype\":\"F32\",\"shape\":[" + dims +
            "],\"data_offsets\":[" + std::to_string(at) + "," + std::to_string(at + n) + "]}";
    at += n;
  }
  json += "}";
  while (json.size() % 8) json += ' ';
  {
    std::ofstream f(p, std::ios::binary);
    uint64_t len = json.size();
    for (int i = 0; i < 8; ++i) f.put(char(len >> (8 * i)));
    f << json;
  }
  fs::resize_file(p, 8 + json.size() + at);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("sizes: an 8 GiB --input .npy is refused from its header, quickly, naming the file", "[e2e][sizes]") {
  const fs::path dir = scratch_dir("sizes-npy");
  const fs::path big = dir / "big.npy";
  sparse_npy(big, {256, 8388608});  // 8 GiB of float32, H = 256 as the default layer
  const auto t0 = std::chrono::steady_clock::now();
  const VpResult r = run_epochcore_vp(dir, "--input '" + big.string() + "'");
  CHECK(seconds_since(t0) < 10.0);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(big.string()) != std::string::npos);
  CHECK(r.err.find("(256, 8388608)") != std::string::npos);
  CHECK(r.err.find("bad_alloc") == std::string::npos);

  // L beyond workload.length's limit: refused with the expected shape before any data is read.
  const fs::path longer = dir / "long.npy";
  sparse_npy(longer, {8, 33554432}, "<f8");  // 2 GiB of float64
  const auto t1 = std::chrono::steady_clock::now();
  const VpResult l = run_epochcore_vp(dir, kSmall + " --input '" + longer.string() + "'");
  CHECK(seconds_since(t1) < 10.0);
  CHECK(l.exit_code == 2);
  CHECK(l.err.find(longer.string()) != std::string::npos);
  CHECK(l.err.find("workload.length") != std::string::npos);
  CHECK(l.err.find("expected shape (H, L) or (B, H, L) with H = 8") != std::string::npos);
}

TEST_CASE("sizes: huge seeded s4d_layer inputs are refused before allocation, naming keys and bytes", "[e2e][sizes]") {
  const fs::path dir = scratch_dir("sizes-seeded");
  // 2^32 elements: system memory is checked before the input is seeded.
  const auto t0 = std::chrono::steady_clock::now();
  const VpResult r = run_epochcore_vp(
      dir, "--set workload.channels=16 --set workload.length=1048576 --set workload.batch=256");
  CHECK(seconds_since(t0) < 10.0);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("memory.size_mib") != std::string::npos);
  CHECK(r.err.find("MiB") != std::string::npos);
  // Fits system memory but not the host-memory ceiling.
  const VpResult c = run_epochcore_vp(dir, "--set workload.length=65536 --set run.host_memory_mib=100");
  CHECK(c.exit_code == 2);
  CHECK(c.err.find("workload.batch * workload.channels * workload.length") != std::string::npos);
  CHECK(c.err.find("16777216 elements") != std::string::npos);
  CHECK(c.err.find("MiB of host memory") != std::string::npos);
  CHECK(c.err.find("run.host_memory_mib = 100") != std::string::npos);
}

TEST_CASE("sizes: run.host_memory_mib is honoured: just above the ceiling refused, just below runs", "[e2e][sizes]") {
  const fs::path dir = scratch_dir("sizes-ceiling");
  // The small layer takes the scratchpads' 8.5 MiB and a few KiB.
  const VpResult over = run_epochcore_vp(dir, kSmall + " --set run.host_memory_mib=8");
  CHECK(over.exit_code == 2);
  CHECK(over.err.find("run.host_memory_mib = 8") != std::string::npos);
  const VpResult under = run_epochcore_vp(dir, kSmall + " --set run.host_memory_mib=9");
  CHECK(under.exit_code == 0);
  INFO(under.err);
  CHECK(under.report["status"] == "ok");
  // Out of range: a scenario error naming the key.
  const VpResult bad = run_epochcore_vp(dir, kSmall + " --set run.host_memory_mib=-1");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("run.host_memory_mib") != std::string::npos);
}

TEST_CASE("sizes: --params with H beyond workload.channels' limit is refused before reading tensors", "[e2e][sizes]") {
  const fs::path dir = scratch_dir("sizes-params");
  const fs::path p = dir / "wide.safetensors";
  sparse_params(p, uint64_t(1) << 21, 1);
  const VpResult r = run_epochcore_vp(dir, "--params '" + p.string() + "'");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(p.string()) != std::string::npos);
  CHECK(r.err.find("H = 2097152") != std::string::npos);
  CHECK(r.err.find("workload.channels") != std::string::npos);
  const fs::path m = dir / "modes.safetensors";
  sparse_params(m, 8, uint64_t(1) << 17);
  const VpResult rm = run_epochcore_vp(dir, kSmall + " --params '" + m.string() + "'");
  CHECK(rm.exit_code == 2);
  CHECK(rm.err.find("M = 131072") != std::string::npos);
  CHECK(rm.err.find("workload.modes") != std::string::npos);
}

TEST_CASE("sizes: --params without log_A_real still names the missing tensor", "[e2e][sizes]") {
  const fs::path dir = scratch_dir("sizes-params-missing");
  const fs::path p = dir / "missing.safetensors";
  epochcore::io::write_safetensors(p.string(), {{"log_dt", epochcore::io::Tensor{"", {8}, std::vector<double>(8, -3.0)}},
                                                {"D", epochcore::io::Tensor{"", {8}, std::vector<double>(8, 1.0)}}},
                                   "F32");
  const VpResult r = run_epochcore_vp(dir, kSmall + " --params '" + p.string() + "'");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("missing tensor 'log_A_real'") != std::string::npos);
}

TEST_CASE("sizes: a model of H = 65536 is refused by its description, naming H", "[e2e][sizes][model]") {
  const fs::path dir = scratch_dir("sizes-model");
  const fs::path y = dir / "wide.yaml";
  write_text(y, "task: wide\ninput: values\nd_input: 1\nH: 65536\nM: 2\nL: 16\nn_layers: 1\nclasses: 2\n");
  const auto t0 = std::chrono::steady_clock::now();
  const VpResult r = run_epochcore_vp(dir, "--set workload.kind=s4_model --set workload.model='" + y.string() + "'");
  CHECK(seconds_since(t0) < 10.0);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(y.string()) != std::string::npos);
  CHECK(r.err.find("H = 65536") != std::string::npos);
  CHECK(r.err.find("bad_alloc") == std::string::npos);
}

TEST_CASE("sizes: a huge model inputs .npy is refused from its header against the ceiling", "[e2e][sizes][model]") {
  const fs::path dir = scratch_dir("sizes-model-inputs");
  const fs::path y = dir / "small.yaml";
  write_text(y, "task: small\ninput: values\nd_input: 1\nH: 8\nM: 2\nL: 64\nn_layers: 1\nclasses: 2\n");
  const fs::path in = dir / "inputs.npy";
  sparse_npy(in, {16777216, 64});  // 4 GiB of float32
  const auto t0 = std::chrono::steady_clock::now();
  const VpResult r = run_epochcore_vp(dir, "--set workload.kind=s4_model --set workload.model='" + y.string() +
                                               "' --set workload.inputs='" + in.string() +
                                               "' --set run.host_memory_mib=4096");
  CHECK(seconds_since(t0) < 10.0);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(in.string()) != std::string::npos);
  CHECK(r.err.find("B = 16777216") != std::string::npos);
  CHECK(r.err.find("run.host_memory_mib = 4096") != std::string::npos);
  // A wrong shape is named before anything is read.
  const fs::path wrong = dir / "wrong.npy";
  sparse_npy(wrong, {16777216, 65});
  const VpResult w = run_epochcore_vp(dir, "--set workload.kind=s4_model --set workload.model='" + y.string() +
                                               "' --set workload.inputs='" + wrong.string() + "'");
  CHECK(w.exit_code == 2);
  CHECK(w.err.find("but the model expects (B, 64, 1) or (B, 64)") != std::string::npos);
}

TEST_CASE("sizes: a huge gemm is refused against the ceiling before its operands are seeded", "[e2e][sizes][gemm]") {
  const fs::path dir = scratch_dir("sizes-gemm");
  const VpResult r = run_epochcore_vp(dir, "--set workload.kind=gemm --set workload.gemm_m=262144 "
                                           "--set workload.gemm_k=256 --set workload.gemm_n=256 "
                                           "--set memory.size_mib=1024 --set run.host_memory_mib=1000");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("workload.gemm_m = 262144") != std::string::npos);
  CHECK(r.err.find("run.host_memory_mib = 1000") != std::string::npos);
}
