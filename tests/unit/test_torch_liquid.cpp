// Liquid-S4 models exported from PyTorch (scenarios/models/export_s4_model.py with
// `block: liquid_s4`, docs/models.md "Liquid-S4 blocks") against the double-precision
// reference: the script re-implements the repository's liquid forward (s4.py @ d3a72bd9) in
// float64 with torch.fft for the convolutions, computes the liquid coefficients the
// repository's way and writes them; s4_model_forward on its files must agree to 1e-12.
// Skipped, with one clear line, where python3-torch is not installed.
#include "torch_export.h"

#include "epochcore/maths/reference/liquid_s4_reference.h"
#include "epochcore/maths/reference/s4_model_reference.h"

using namespace epochcore;
using namespace epochcore::torch_test;

namespace {

struct LiquidCase {
  const char* name;
  const char* yaml;
  const char* args;
};

// Every liquid kernel, uni- and bidirectional, allcombs both ways, each lcontract.
const LiquidCase kCases[] = {
    {"polyb, unidirectional, P=3, allcombs false, tanh, lengths",
     "task: l1\ninput: values\nd_input: 2\nH: 3\nN: 4\nL: 12\nn_layers: 2\nclasses: 3\n"
     "block: liquid_s4\nliquid_kernel: polyb\nliquid_degree: 3\nlcontract: tanh\n", "--dtype F64"},
    {"polyb, bidirectional, P=2, allcombs true, prenorm LayerNorm, lengths",
     "task: l2\ninput: values\nd_input: 1\nH: 4\nN: 4\nL: 16\nn_layers: 2\nprenorm: true\nnorm: layer\n"
     "bidirectional: true\nclasses: 2\nblock: liquid_s4\nallcombs: true\n", "--dtype F64"},
    {"polyb, bidirectional, P=3, allcombs true, lecun, tokens",
     "task: l3\ninput: tokens\nd_input: 7\nH: 3\nN: 6\nL: 10\nn_layers: 1\nbidirectional: true\nclasses: 2\n"
     "block: liquid_s4\nliquid_degree: 3\nallcombs: true\nlcontract: lecun\n", "--dtype F64"},
    {"kb (causal), unidirectional, P=3, lecun, tokens",
     "task: l4\ninput: tokens\nd_input: 7\nH: 4\nN: 6\nL: 12\nn_layers: 2\nclasses: 3\n"
     "block: liquid_s4\nliquid_kernel: kb\nliquid_degree: 3\nlcontract: lecun\n", "--dtype F64"},
    {"kb (causal), bidirectional, P=2, F32 weights, no lengths",
     "task: l5\ninput: values\nd_input: 2\nH: 3\nN: 4\nL: 9\nn_layers: 2\nbidirectional: true\nclasses: 2\n"
     "block: liquid_s4\nliquid_kernel: kb\n", "--dtype F32 --no-lengths"},
    {"kb_repo, unidirectional, P=2, allcombs false",
     "task: l6\ninput: values\nd_input: 1\nH: 3\nN: 4\nL: 12\nn_layers: 2\nclasses: 2\n"
     "block: liquid_s4\nliquid_kernel: kb_repo\n", "--dtype F64"},
    {"kb_repo, bidirectional, P=3, allcombs true, tanh, retrieval",
     "task: l7\ninput: tokens\nd_input: 9\nH: 3\nM: 2\nL: 10\nn_layers: 1\nprenorm: true\nbidirectional: true\n"
     "retrieval: true\nclasses: 2\nblock: liquid_s4\nliquid_kernel: kb_repo\nliquid_degree: 3\nallcombs: true\n"
     "lcontract: tanh\n", "--dtype F64"},
};

}  // namespace

TEST_CASE("Liquid-S4 models exported from PyTorch agree with the double-precision reference", "[torch][liquid]") {
  if (skip_without_torch()) return;
  const ScratchDir root("epochcore-torch-liquid");
  int n = 0;
  for (const LiquidCase& c : kCases) {
    ++n;  // outside the section: Catch runs the test case once per section
    DYNAMIC_SECTION(c.name) {
      const ExportRun run = run_export("export_s4_model.py", c.yaml, root.path() / std::to_string(n), 3, n + 40, c.args);
      INFO(run.command);
      INFO(run.log);
      REQUIRE(run.status == 0);

      const Exported e = load_export(run.out);
      const S4ModelDesc& d = e.desc;
      const S4ModelWeights& w = e.weights;
      const io::ModelInputs& in = e.inputs;
      REQUIRE(d.block == BlockKind::LiquidS4);
      REQUIRE(in.B == 3);
      const std::vector<double> logits =
          s4_model_forward(d, w, in.data.data(), in.B, in.lengths.empty() ? nullptr : in.lengths.data());
      REQUIRE(e.expected_logits.shape == std::vector<size_t>{3, d.classes});
      double max_ref = 0.0;
      const double rel = max_relative_diff(logits, e.expected_logits.data, &max_ref);
      std::printf("liquid torch export [%s]: max relative difference %.3g\n", c.name, rel);
      INFO("max |C++ - PyTorch| / max |logit| = " << rel << ", max |logit| = " << max_ref);
      REQUIRE(max_ref > 0.0);
      CHECK(rel <= 1e-12);

      // Not vacuous: without the liquid terms (the same weights as an S4D model) the logits
      // differ clearly (padding or tiny coefficients could otherwise hide the liquid terms).
      S4ModelDesc plain = d;
      plain.block = BlockKind::S4D;
      S4ModelWeights wp = w;
      for (S4BlockWeights& b : wp.layers) b.liquid = LiquidWeights();
      const std::vector<double> s4d =
          s4_model_forward(plain, wp, in.data.data(), in.B, in.lengths.empty() ? nullptr : in.lengths.data());
      double liquid_effect = 0.0;
      for (size_t i = 0; i < logits.size(); ++i) liquid_effect = std::max(liquid_effect, std::abs(logits[i] - s4d[i]));
      std::printf("  liquid terms change the logits by %.3g relative\n", liquid_effect / max_ref);
      CHECK(liquid_effect / max_ref > 1e-6);

      // The coefficients the script wrote are the repository's, as the C++ computes them
      // from the same (file) parameters (F64 files: the parameters are exactly the ones used).
      if (std::string(c.args).find("F64") != std::string::npos) {
        for (const S4BlockWeights& b : w.layers) {
          const LiquidWeights mine = liquid_coefficients_repo(liquid_spec(d), b.ssm);
          const std::vector<double>& got = d.liquid_kernel == LiquidKernel::PolyB ? b.liquid.gamma : b.liquid.S;
          const std::vector<double>& want = d.liquid_kernel == LiquidKernel::PolyB ? mine.gamma : mine.S;
          REQUIRE(got.size() == want.size());
          for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-12).margin(1e-300));
        }
      }
    }
  }
}
