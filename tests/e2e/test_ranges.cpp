// End-to-end: every documented range of docs/scenarios.md runs at its end points (system
// memory and scratchpads at their largest map through one address map), and bad input ends
// in exit 2 naming the key or the file and the tensor (never exit 3, "internal error").
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "epochcore/description/s4d_params.h"
#include "epochcore/maths/reference/s4d_reference.h"
#include "epochcore/platform/io/npy.h"
#include "epochcore/platform/io/s4d_params_file.h"
#include "epochcore/tests/e2e/vp_runner.h"

using nlohmann::json;
namespace fs = std::filesystem;
using namespace epochcore;
using namespace epochcore::e2e;

namespace {

const fs::path& dir() {
  static const fs::path d = scratch_dir("ranges");
  return d;
}

// A tiny S4D layer (fast timing), so a run costs little besides the configuration.
const std::string kTiny =
    "--set workload.channels=4 --set workload.modes=2 --set workload.length=64 --set run.timing=fast --quiet ";

void expect_ok(const VpResult& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.report["status"] == "ok");
  CHECK(r.report["error_vs_reference"]["max_rel"].get<double>() <= 1e-5);
}

// A small valid parameter set with one value replaced.
std::string params_with(const std::string& name, const std::string& tensor, size_t index, double value) {
  S4dParams p = s4d_init(4, 2, "s4d_lin", 1e-3, 1e-1, 7, 1);
  std::vector<double>* t = tensor == "log_dt" ? &p.log_dt : tensor == "C" ? &p.C : &p.log_A_real;
  (*t)[index] = value;
  const std::string path = (dir() / name).string();
  io::save_s4d_params(path, p, "F64");
  return path;
}

}  // namespace

TEST_CASE("ranges: system memory above the default CSR address maps (1025 MiB, 4 GiB)", "[e2e][ranges]") {
  for (const char* mib : {"1025", "4096"}) {
    DYNAMIC_SECTION("memory.size_mib=" << mib) {
      const VpResult r = run_epochcore_vp(dir(), kTiny + "--set memory.size_mib=" + mib);
      expect_ok(r);
    }
  }
}

TEST_CASE("ranges: results and cycles do not depend on where the windows are", "[e2e][ranges]") {
  const VpResult a = run_epochcore_vp(dir(), kTiny + "--set memory.size_mib=256");
  const VpResult b = run_epochcore_vp(dir(), kTiny + "--set memory.size_mib=4096");
  expect_ok(a);
  expect_ok(b);
  CHECK(a.report["cycles"] == b.report["cycles"]);
  CHECK(a.report["error_vs_reference"] == b.report["error_vs_reference"]);
}

TEST_CASE("ranges: scratchpads above 16 MiB map, up to the documented 1048576 KiB", "[e2e][ranges]") {
  for (const char* key : {"input", "param", "output"}) {
    for (const char* kib : {"16385", "1048576"}) {
      DYNAMIC_SECTION("scratchpad." << key << ".size_kib=" << kib) {
        const VpResult r =
            run_epochcore_vp(dir(), kTiny + "--set scratchpad." + key + ".size_kib=" + kib);
        expect_ok(r);
      }
    }
  }
}

TEST_CASE("ranges: an s4_model batch is not checked against the s4d_layer keys it ignores", "[e2e][ranges]") {
  // batch 65536 with the default channels (256) and length (2048) broke the layer's
  // channels * length * batch bound, which s4_model does not use.
  const VpResult r = run_epochcore_vp(
      dir(), "--set workload.kind=s4_model --set workload.model=listops --set workload.batch=65536 --print-scenario",
      false);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("workload.length") == std::string::npos);
}

TEST_CASE("errors: a missing model file names its key and the path", "[e2e][errors][ranges]") {
  for (const char* key : {"weights", "inputs", "lengths"}) {
    DYNAMIC_SECTION("workload." << key) {
      std::string extra = std::string("--set workload.") + key + "=/nonexistent/f_" + key;
      if (std::string(key) == "lengths") {
        const std::string in = (dir() / "ids.npy").string();
        std::vector<int64_t> ids(2 * 2048, 1);
        io::write_npy_i64(in, {2, 2048}, ids.data());
        extra += " --set workload.inputs='" + in + "'";
      }
      const VpResult r = run_epochcore_vp(
          dir(), "--set workload.kind=s4_model --set workload.model=listops --set run.timing=fast --quiet " + extra);
      INFO(r.err);
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.err, Catch::Contains(std::string("workload.") + key) &&
                            Catch::Contains(std::string("/nonexistent/f_") + key));
    }
  }
}

TEST_CASE("errors: --params whose exp(log_dt) or exp(log_A_real) leaves double are refused at load",
          "[e2e][errors][ranges]") {
  struct Case {
    const char* file;
    const char* tensor;
    size_t index;
    double value;
  } cases[] = {{"dt_over.safetensors", "log_dt", 1, 800.0},
               {"dt_under.safetensors", "log_dt", 2, -800.0},
               {"a_over.safetensors", "log_A_real", 3, 800.0}};
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.file) {
      const std::string path = params_with(c.file, c.tensor, c.index, c.value);
      const VpResult r = run_epochcore_vp(dir(), "--params '" + path + "' " + kTiny);
      INFO(r.err);
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.err, Catch::Contains(path) && Catch::Contains(std::string("tensor '") + c.tensor + "'"));
      CHECK(!r.report.is_object());  // refused before the run: no report
    }
  }
}

TEST_CASE("errors: --params whose coefficients are not finite in float32 are refused at load", "[e2e][errors][ranges]") {
  // C = 1e300 is a finite double, but c = 2*C*(exp(dt*A)-1)/A overflows float32: the
  // firmware found it during the run (exit 1, no file named).
  const std::string path = params_with("c_huge.safetensors", "C", 0, 1e300);
  const VpResult r = run_epochcore_vp(dir(), "--params '" + path + "' " + kTiny);
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains(path) && Catch::Contains("channel 0 mode 0") && Catch::Contains("float32"));
}

TEST_CASE("errors: a memory.size_mib this host cannot reserve is bad input, not an internal error",
          "[e2e][errors][ranges]") {
  // 65536 MiB is in the documented range; where the host refuses that much address space
  // (no overcommit), the run ends in exit 2 naming the key, else it runs.
  const VpResult r = run_epochcore_vp(dir(), kTiny + "--set memory.size_mib=65536");
  INFO(r.err);
  CHECK((r.exit_code == 0 || r.exit_code == 2));
  if (r.exit_code == 2) CHECK_THAT(r.err, Catch::Contains("memory.size_mib"));
  CHECK(r.err.find("internal error") == std::string::npos);
}
