// Mamba models exported from PyTorch float64 (scenarios/models/export_mamba_model.py, docs/
// models.md "Mamba blocks") against the double-precision reference: the script builds small
// seeded models in pure torch float64 (selective_scan_ref's formula without its float32
// casts), checks its token-by-token step form against its full-sequence form
// (--check-step) and writes PyTorch's logits; s4_model_forward on the written files must
// agree to 1e-12 relative. Skipped, with one clear line, where python3-torch is not installed.
#include "torch_export.h"

#include "epochcore/maths/reference/mamba_reference.h"
#include "epochcore/maths/reference/s4_model_reference.h"

using namespace epochcore;
using namespace epochcore::torch_test;

namespace {

struct ExportCase {
  const char* name;
  const char* yaml;
  const char* args;
};

const ExportCase kCases[] = {
    {"tokens, 2 layers, defaults (d_state 16, d_conv 4, expand 2, dt_rank auto), lengths",
     "task: m1\nblock: mamba\ninput: tokens\nd_input: 7\nH: 6\nL: 12\nn_layers: 2\nclasses: 3\n", "--dtype F64"},
    {"values (2 features), retrieval, d_state 3, d_conv 3, expand 1, dt_rank 3, lengths",
     "task: m2\nblock: mamba\ninput: values\nd_input: 2\nH: 5\nd_state: 3\nd_conv: 3\nexpand: 1\ndt_rank: 3\n"
     "L: 9\nn_layers: 2\nretrieval: true\nclasses: 2\n",
     "--dtype F64"},
    {"values (1 feature), 3 layers, d_conv 2, no lengths, F32 weights",
     "task: m3\nblock: mamba\ninput: values\nd_input: 1\nH: 4\nd_state: 2\nd_conv: 2\nL: 16\nn_layers: 3\n"
     "classes: 2\nnorm_eps: 1e-6\n",
     "--dtype F32 --no-lengths"},
};

}  // namespace

TEST_CASE("mamba models exported from PyTorch float64 agree with the double-precision reference",
          "[torch][mamba]") {
  if (skip_without_torch()) return;
  const ScratchDir root("epochcore-torch-mamba");
  int n = 0;
  for (const ExportCase& c : kCases) {
    ++n;  // outside the section: Catch runs the test case once per section
    DYNAMIC_SECTION(c.name) {
      const ExportRun run = run_export("export_mamba_model.py", c.yaml, root.path() / std::to_string(n), 3, n,
                                       std::string("--check-step ") + c.args);
      INFO(run.command);
      INFO(run.log);
      REQUIRE(run.status == 0);
      REQUIRE(run.log.find("step vs full: max rel diff") != std::string::npos);

      const Exported e = load_export(run.out);
      REQUIRE(e.desc.block == BlockKind::Mamba);
      CHECK(e.has_lengths == (std::string(c.args).find("--no-lengths") == std::string::npos));
      REQUIRE(e.inputs.B == 3);
      const std::vector<double> logits = s4_model_forward(
          e.desc, e.weights, e.inputs.data.data(), e.inputs.B, e.inputs.lengths.empty() ? nullptr : e.inputs.lengths.data());
      REQUIRE(e.expected_logits.shape == std::vector<size_t>{3, e.desc.classes});
      double max_ref = 0.0;
      const double rel = max_relative_diff(logits, e.expected_logits.data, &max_ref);
      std::printf("mamba torch export '%s': max |C++ - PyTorch| / max |logit| = %.3e; %s", c.name, rel,
                  run.log.substr(0, run.log.find('\n') + 1).c_str());
      INFO("max |C++ - PyTorch| / max |logit| = " << rel << ", max |logit| = " << max_ref);
      REQUIRE(max_ref > 0.0);
      CHECK(rel <= 1e-12);
    }
  }
}

TEST_CASE("softplus_torch agrees with torch's F.softplus bit for bit, threshold included", "[torch][mamba]") {
  if (skip_without_torch()) return;
  const double xs[] = {-30.0, -3.5, 0.0, 0.75, 19.0, 20.0, 20.0000001, 20.5, 35.0};
  const fs::path out = fs::temp_directory_path() / ("epochcore-softplus-" + std::to_string(::getpid()) + ".txt");
  const std::string cmd = std::string(python()) +
                          " -c 'import torch, torch.nn.functional as F; "
                          "x = torch.tensor([-30.0, -3.5, 0.0, 0.75, 19.0, 20.0, 20.0000001, 20.5, 35.0], "
                          "dtype=torch.float64); print(\" \".join(v.hex() for v in F.softplus(x).tolist()))' > '" +
                          out.string() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in(out);
  for (double x : xs) {
    std::string hex;
    REQUIRE(in >> hex);
    const double want = std::strtod(hex.c_str(), nullptr);  // C99 hex float, exact
    INFO("x = " << x << ", torch " << hex);
    CHECK(softplus_torch(x) == want);
  }
  std::error_code ec;
  fs::remove(out, ec);
}
