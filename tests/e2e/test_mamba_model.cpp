// End-to-end Mamba models (workload.kind s4_model, block: mamba) on a selective
// accelerator (array.selective: true): the model compiler's layers.i.mamba stages
// (docs/model-compiler.md, "Mamba blocks"). The fp32 logits are checked against the
// double-precision reference (s4_model_forward -> mamba_model_features); cycle and fast
// timing must give the same bytes and cycles; a plain accelerator is refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "epochcore/tests/e2e/vp_runner.h"

using nlohmann::json;
namespace fs = std::filesystem;
using namespace epochcore;
using namespace epochcore::e2e;

namespace {

const fs::path& dir() {
  static const fs::path d = scratch_dir("mamba_model");
  return d;
}

// H 16, 2 blocks, d_state 8, expand 2 (d_inner 32), dt_rank 1, L 64 on an 8x8 array: the
// in_proj (k = 16) and the out_proj and x_proj GEMMs (k = 32) fold over the 8 rows; the
// scan runs 4 passes of 8 channels per sequence.
const char* const kMambaModel = R"(task: tiny_mamba
block: mamba
input: tokens
d_input: 10
H: 16
d_state: 8
expand: 2
L: 64
n_layers: 2
classes: 3
)";

std::string model_path() {
  const fs::path p = dir() / "tiny_mamba.yaml";
  if (!fs::exists(p)) write_text(p, kMambaModel);
  return p.string();
}

std::string args(const std::string& timing, bool selective) {
  return "--set workload.kind=s4_model --set workload.model='" + model_path() +
         "' --set workload.batch=2 --set run.timing=" + timing +
         " --set precision.format=fp32 --set array.rows=8 --set array.cols=8" +
         " --set scratchpad.param.size_kib=256" + (selective ? " --set array.selective=true" : "") + " --quiet";
}

}  // namespace

TEST_CASE("mamba model: fp32 logits match the reference, cycle == fast", "[model][mamba]") {
  const VpResult fast = run_epochcore_vp(dir(), args("fast", true));
  const VpResult cycle = run_epochcore_vp(dir(), args("cycle", true));
  INFO(fast.err << cycle.err);
  REQUIRE(fast.exit_code == 0);
  REQUIRE(cycle.exit_code == 0);
  for (const VpResult* r : {&fast, &cycle}) {
    const json& a = r->report["accuracy"];
    CHECK(a["max_rel"].get<double>() <= 1e-4);
    CHECK(a["classes_agreeing"].get<uint32_t>() == 2);
    CHECK(r->report["status"] == "ok");
  }
  CHECK(read_text(fast.output_path) == read_text(cycle.output_path));  // the logits' bytes
  CHECK(fast.report["cycles"] == cycle.report["cycles"]);
  CHECK(fast.report["array_counters"] == cycle.report["array_counters"]);
  CHECK(fast.report["vector_unit"] == cycle.report["vector_unit"]);
  CHECK(fast.report["stalls"] == cycle.report["stalls"]);
  const json& stages = cycle.report["stages"];
  REQUIRE(stages.size() == 4);
  CHECK(stages[0]["name"] == "encoder");
  CHECK(stages[1]["name"] == "layers.0.mamba");
  CHECK(stages[2]["name"] == "layers.1.mamba");
  CHECK(stages[3]["name"] == "head");
  uint64_t sum = 0;
  for (size_t i = 0; i < stages.size(); ++i) {
    CHECK(fast.report["stages"][i]["cycles"] == stages[i]["cycles"]);
    sum += stages[i]["cycles"].get<uint64_t>();
  }
  CHECK(sum == cycle.report["cycles"].get<uint64_t>());
  // The scan: 2 blocks x 2 sequences x 4 passes (32 channels, 8 per pass); the north feed
  // reads 2 * d_state words per step and pass (docs/selective-scan.md).
  const json& ac = cycle.report["array_counters"];
  CHECK(ac["scan_passes"].get<uint64_t>() == 2 * 2 * 4);
  CHECK(ac["coeff_words"].get<uint64_t>() == 2ull * 8 * 64 * 2 * 2 * 4);
  CHECK(ac["mac_ops"].get<uint64_t>() > 0);
  if (std::getenv("EC_PRINT_ERRORS")) {
    std::printf("measured mamba max_rel %.3g cycles %llu scan_passes %llu coeff_words %llu scan_cycles %llu\n",
                cycle.report["accuracy"]["max_rel"].get<double>(),
                (unsigned long long)cycle.report["cycles"].get<uint64_t>(),
                (unsigned long long)ac["scan_passes"].get<uint64_t>(),
                (unsigned long long)ac["coeff_words"].get<uint64_t>(),
                (unsigned long long)ac["scan_cycles"].get<uint64_t>());
    for (const json& st : stages)
      std::printf("measured stage %s cycles %llu\n", st["name"].get<std::string>().c_str(),
                  (unsigned long long)st["cycles"].get<uint64_t>());
  }
}

TEST_CASE("mamba model: a plain accelerator (array.selective false) is refused", "[model][mamba][errors]") {
  const VpResult r = run_epochcore_vp(dir(), args("fast", false));
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("block 'mamba' needs the selective scan") && Catch::Contains("SELECTIVE") &&
                        Catch::Contains("array.selective"));
}

TEST_CASE("mamba model: the example scenario runs; --compare costs it on the baseline", "[model][mamba][scenario]") {
  const std::string scen = "'" + std::string(EC_SOURCE_DIR) + "/scenarios/examples/mamba_model.yaml'";
  const VpResult r = run_epochcore_vp(dir(), scen + " --quiet");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.report["accuracy"]["max_rel"].get<double>() <= 1e-4);
  CHECK(r.report["stages"].size() == 6);
  // 4 blocks x 2 sequences x 2 passes (d_inner 128, 64 channels per pass on 32x32 with
  // segments of d_state = 16); 2 * d_state coefficient words per step and pass.
  CHECK(r.report["array_counters"]["scan_passes"].get<uint64_t>() == 16);
  CHECK(r.report["array_counters"]["coeff_words"].get<uint64_t>() == 16ull * 2 * 16 * 256);
  const VpResult c = run_epochcore_vp(dir(), scen + " --compare --quiet");
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  // The same run with the baseline beside it (docs/baseline.md, "Mamba blocks").
  CHECK(c.report["cycles"] == r.report["cycles"]);
  const json& cmp = c.report["comparison"];
  REQUIRE(cmp.is_object());
  for (const char* k : {"speedup_end_to_end", "speedup_compute", "energy_ratio"}) {
    INFO(k);
    const double v = cmp[k].get<double>();
    CHECK(std::isfinite(v));
    CHECK(v > 0);
  }
  // Per layer: encoder, layers.0..3 (the layers.i.mamba stages on both sides), head,
  // each with a baseline cost.
  const json& pl = cmp["per_layer"];
  REQUIRE(pl.size() == 6);
  CHECK(pl[0]["name"] == "encoder");
  for (int i = 0; i < 4; ++i) CHECK(pl[1 + i]["name"] == "layers." + std::to_string(i));
  CHECK(pl[5]["name"] == "head");
  for (const json& l : pl) {
    INFO(l.dump());
    CHECK(l["baseline_cycles"].get<uint64_t>() > 0);
    CHECK(std::isfinite(l["speedup"].get<double>()));
  }
  uint64_t sum = 0;
  for (const json& l : pl) sum += l["baseline_cycles"].get<uint64_t>();
  CHECK(sum == cmp["baseline_cycles"].get<uint64_t>());
  const json& stages = c.report["baseline"]["variants"][cmp["baseline_variant"].get<std::string>()]["stages"];
  REQUIRE(stages.size() == 6);
  CHECK(stages[1]["name"] == "layers.0.mamba");
}
