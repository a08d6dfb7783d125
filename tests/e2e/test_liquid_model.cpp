// End-to-end Liquid-S4 models (docs/liquid-s4.md): the built simulator runs small seeded
// `block: liquid_s4` models (polyb and the causal kb, liquid_degree 2 and 3) through the
// model compiler's liquid stages; cycle and fast timing agree bit for bit with equal
// cycles, and the fp32 logits are within 1e-4 of the double-precision reference.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "epochcore/tests/e2e/vp_runner.h"

using nlohmann::json;
namespace fs = std::filesystem;
using namespace epochcore::e2e;

namespace {

const fs::path& dir() {
  static const fs::path d = scratch_dir("liquid_model");
  return d;
}

// A reduced model that folds on an 8x8 array (H > rows, L > cols); bidirectional with
// polyb (both directions' gamma), unidirectional prenorm with kb.
std::string liquid_model(const std::string& kernel, uint32_t P) {
  const bool polyb = kernel == "polyb";
  const std::string name = kernel + "_p" + std::to_string(P);
  const std::string text = std::string("task: tiny_liquid_") + name +
                           "\ninput: values\nd_input: 3\nH: 16\nN: 4\nL: 48\nn_layers: 2\n" +
                           (polyb ? "prenorm: false\nnorm: batch\nbidirectional: true\n"
                                  : "prenorm: true\nnorm: layer\nbidirectional: false\n") +
                           "classes: 3\nblock: liquid_s4\nliquid_kernel: " + kernel +
                           "\nliquid_degree: " + std::to_string(P) + "\nallcombs: false\nlcontract: none\n";
  const fs::path p = dir() / (name + ".yaml");
  if (!fs::exists(p)) write_text(p, text);
  return p.string();
}

std::string args(const std::string& model, const std::string& timing, const std::string& extra = "") {
  return "--set workload.kind=s4_model --set workload.model='" + model +
         "' --set workload.batch=2 --set run.timing=" + timing +
         " --set precision.format=fp32 --set array.rows=8 --set array.cols=8"
         " --set scratchpad.param.size_kib=256 --quiet " + extra;
}

}  // namespace

TEST_CASE("liquid model: polyb and kb, P 2 and 3: cycle == fast bit for bit, logits within 1e-4", "[model][liquid]") {
  for (const char* kernel : {"polyb", "kb"})
    for (uint32_t P : {2u, 3u}) {
      INFO(kernel << " P=" << P);
      const std::string m = liquid_model(kernel, P);
      const VpResult fast = run_epochcore_vp(dir(), args(m, "fast"));
      const VpResult cycle = run_epochcore_vp(dir(), args(m, "cycle"));
      INFO(fast.err << cycle.err);
      REQUIRE(fast.exit_code == 0);
      REQUIRE(cycle.exit_code == 0);
      CHECK(read_text(fast.output_path) == read_text(cycle.output_path));  // the logits' bytes
      CHECK(fast.report["cycles"] == cycle.report["cycles"]);
      CHECK(fast.report["vector_unit"] == cycle.report["vector_unit"]);
      CHECK(fast.report["array_counters"] == cycle.report["array_counters"]);
      REQUIRE(fast.report["stages"].size() == cycle.report["stages"].size());
      bool has_liquid = false;
      for (size_t i = 0; i < fast.report["stages"].size(); ++i) {
        CHECK(fast.report["stages"][i]["cycles"] == cycle.report["stages"][i]["cycles"]);
        has_liquid |= fast.report["stages"][i]["name"] == "layers.0.liquid";
      }
      CHECK(has_liquid);
      const json& a = fast.report["accuracy"];
      CHECK(a["max_rel"].get<double>() <= 1e-4);
      CHECK(a["classes_agreeing"].get<uint32_t>() == 2);
      CHECK(fast.report["status"] == "ok");
    }
}

TEST_CASE("liquid model: --compare prices the liquid stages on the baseline too", "[model][liquid][compare]") {
  const VpResult r = run_epochcore_vp(dir(), args(liquid_model("polyb", 2), "fast", "--compare"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json& cmp = r.report["comparison"];
  REQUIRE(cmp.is_object());
  CHECK(cmp["speedup_end_to_end"].get<double>() > 0);
  bool baseline_liquid = false;
  for (const json& v : r.report["baseline"]["variants"])
    for (const json& st : v["stages"]) baseline_liquid |= st["name"] == "layers.0.liquid";
  CHECK(baseline_liquid);
}

TEST_CASE("liquid model: kb_repo is refused by name (exit 2)", "[model][liquid][errors]") {
  const fs::path p = dir() / "kb_repo.yaml";
  write_text(p, "task: t\ninput: values\nd_input: 2\nH: 8\nN: 4\nL: 16\nn_layers: 1\nclasses: 2\n"
                "block: liquid_s4\nliquid_kernel: kb_repo\nliquid_degree: 2\n");
  const VpResult r = run_epochcore_vp(dir(), args(p.string(), "fast"));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("liquid_kernel: kb_repo is not supported on the accelerator") != std::string::npos);
}
