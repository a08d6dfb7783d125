// End-to-end: the firmware on the RV32 core (host.cpu: rv32) against the same firmware on
// the host-driver model (host.cpu: model). Every workload kind must give the same output
// bytes and the same accelerator cycles and counters; the report adds the CPU's figures.
// Tagged [rv32]: ctest runs them as one test that is SKIPPED without the cross-built
// firmware (tests/CMakeLists.txt).
#include <catch2/catch.hpp>

#include <string>

#include "vp_runner.h"

using namespace epochcore::e2e;
namespace fs = std::filesystem;

namespace {

const fs::path& dir() {
  static const fs::path d = scratch_dir("rv32");
  return d;
}

const std::string kSrc = EC_SOURCE_DIR;

// Runs `args` on both CPUs and checks what must agree.
void require_same_on_both_cpus(const std::string& args) {
  const VpResult model = run_epochcore_vp(dir(), args + " --quiet --set host.cpu=model");
  const VpResult rv32 = run_epochcore_vp(dir(), args + " --quiet --set host.cpu=rv32");
  INFO(args << "\nmodel: " << model.err << "\nrv32: " << rv32.err);
  REQUIRE(model.exit_code == 0);
  REQUIRE(rv32.exit_code == 0);
  CHECK(read_text(model.output_path) == read_text(rv32.output_path));  // the output's bytes
  CHECK(model.report["cycles"] == rv32.report["cycles"]);
  CHECK(model.report["array_counters"] == rv32.report["array_counters"]);
  CHECK(model.report["dma"] == rv32.report["dma"]);
  CHECK(model.report["plan"] == rv32.report["plan"]);
  if (model.report.contains("stages")) {
    REQUIRE(model.report["stages"].size() == rv32.report["stages"].size());
    for (size_t i = 0; i < model.report["stages"].size(); ++i) {
      CHECK(model.report["stages"][i]["name"] == rv32.report["stages"][i]["name"]);
      CHECK(model.report["stages"][i]["cycles"] == rv32.report["stages"][i]["cycles"]);
    }
  }
  CHECK(model.report["cpu"]["kind"] == "model");
  const auto& cpu = rv32.report["cpu"];
  CHECK(cpu["kind"] == "rv32");
  CHECK(cpu["instructions"].get<uint64_t>() > 1000);
  CHECK(cpu["cycles"].get<uint64_t>() >= cpu["instructions"].get<uint64_t>());
  CHECK(cpu["wfi_seconds"].get<double>() > 0.0);  // it slept while the accelerator worked
  CHECK(cpu["exit_code"] == 0);
}

}  // namespace

TEST_CASE("rv32: the default scenario gives the same output and cycles on both CPUs", "[rv32]") {
  require_same_on_both_cpus("'" + kSrc + "/scenarios/default.yaml'");
}

TEST_CASE("rv32: an LRA layer (bidirectional ListOps) gives the same output and cycles", "[rv32]") {
  require_same_on_both_cpus("'" + kSrc + "/scenarios/lra_layers/listops.yaml'");
}

TEST_CASE("rv32: a GEMM gives the same output and cycles", "[rv32]") {
  require_same_on_both_cpus("'" + kSrc + "/scenarios/gemm/scalesim_256x128x256.yaml' --set run.timing=fast");
}

TEST_CASE("rv32: a reduced whole model gives the same logits and cycles", "[rv32]") {
  const fs::path model = dir() / "tiny_tokens.yaml";
  write_text(model, R"(task: tiny_tokens
input: tokens
d_input: 12
H: 40
N: 8
L: 80
n_layers: 2
prenorm: false
norm: batch
bidirectional: true
classes: 5
)");
  require_same_on_both_cpus("--set workload.kind=s4_model --set workload.model='" + model.string() +
                            "' --set workload.batch=2 --set run.timing=fast --set array.rows=8 --set array.cols=8"
                            " --set scratchpad.param.size_kib=256");
}

TEST_CASE("rv32: the example bare-metal program runs and prints", "[rv32]") {
  const VpResult r = run_epochcore_vp(dir(), "--firmware '" + std::string(EC_RV32_DIR) + "/example_hello.elf' --quiet");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string console = r.report["cpu"]["console"].get<std::string>();
  CHECK(console.find("accelerator ID 0x45504f43") != std::string::npos);
  CHECK(console.find("GEMM 4x2x3: correct") != std::string::npos);
  CHECK(r.report["cpu"]["exit_code"] == 0);
}

TEST_CASE("rv32: firmware faults stop the run with the cause, the pc and the address", "[rv32]") {
  struct Case {
    const char* elf;
    const char* extra;
    const char* expect;
  };
  for (const Case& c : {Case{"fault_illegal", "", "illegal instruction"},
                        Case{"fault_misaligned", "", "misaligned"},
                        Case{"fault_unmapped", "", "access fault"},
                        Case{"fault_forever", "--set host.max_instructions=100000", "instruction limit"},
                        Case{"fault_forever", "--set host.max_sim_ms=0.01 --set host.max_instructions=0",
                             "simulated-time limit"}}) {
    const VpResult r = run_epochcore_vp(
        dir(), "--firmware '" + std::string(EC_RV32_DIR) + "/" + c.elf + ".elf' --quiet " + c.extra);
    INFO(c.elf << " " << c.extra << "\n" << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.report["status"] == "error");
    const std::string error = r.report["error"].get<std::string>();
    CHECK(error.find(c.expect) != std::string::npos);
    CHECK(error.find("pc=0x8") != std::string::npos);
  }
}

TEST_CASE("rv32: a bad firmware file is named with what was expected", "[rv32]") {
  const fs::path bad = dir() / "not_an_elf.elf";
  write_text(bad, "this is not an ELF file");
  const VpResult r = run_epochcore_vp(dir(), "--firmware '" + bad.string() + "' --quiet");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(bad.string()) != std::string::npos);
  const VpResult missing = run_epochcore_vp(dir(), "--firmware '" + (dir() / "missing.elf").string() + "' --quiet");
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("host.firmware") != std::string::npos);
}
