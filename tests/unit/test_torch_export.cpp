// The PyTorch export script (scenarios/models/export_s4_model.py, docs/models.md
// "Exporting from PyTorch") against the project's double-precision reference: the script
// builds small models in PyTorch, writes the model YAML, the weights, seeded inputs and
// PyTorch's own float64 logits; s4_model_forward on the files it wrote must agree.
// Skipped, with one clear line, where python3-torch is not installed.
#include "torch_export.h"

#include "epochcore/maths/reference/s4_model_reference.h"

using namespace epochcore;
using namespace epochcore::torch_test;

namespace {

struct ExportCase {
  const char* name;
  const char* yaml;
  const char* args;  // extra script arguments
};

// Small models covering every option: input kind, prenorm, norm kind, bidirectional,
// retrieval, valid lengths (or none), and both weight dtypes.
const ExportCase kCases[] = {
    {"tokens, postnorm BatchNorm, unidirectional, lengths",
     "task: t1\ninput: tokens\nd_input: 7\nH: 4\nN: 6\nL: 12\nn_layers: 2\nclasses: 3\n", "--dtype F64"},
    {"values (2 features), prenorm LayerNorm, bidirectional, lengths",
     "task: t2\ninput: values\nd_input: 2\nH: 5\nN: 4\nL: 9\nn_layers: 2\nprenorm: true\nnorm: layer\n"
     "bidirectional: true\nclasses: 2\n",
     "--dtype F64"},
    {"retrieval (tokens), prenorm BatchNorm, bidirectional, lengths",
     "task: t3\ninput: tokens\nd_input: 11\nH: 3\nM: 2\nL: 10\nn_layers: 1\nprenorm: true\nnorm: batch\n"
     "bidirectional: true\nretrieval: true\nclasses: 4\n",
     "--dtype F64"},
    {"values (1 feature), postnorm LayerNorm, no lengths, F32 weights",
     "task: t4\ninput: values\nd_input: 1\nH: 4\nN: 2\nL: 16\nn_layers: 2\nnorm: layer\nclasses: 2\n",
     "--dtype F32 --no-lengths"},
};

}  // namespace

TEST_CASE("models exported from PyTorch agree with the double-precision reference", "[torch]") {
  if (skip_without_torch()) return;
  const ScratchDir root("epochcore-torch");
  int n = 0;
  for (const ExportCase& c : kCases) {
    ++n;  // outside the section: Catch runs the test case once per section
    DYNAMIC_SECTION(c.name) {
      const ExportRun run = run_export("export_s4_model.py", c.yaml, root.path() / std::to_string(n), 3, n, c.args);
      INFO(run.command);
      INFO(run.log);
      REQUIRE(run.status == 0);

      const Exported e = load_export(run.out);
      CHECK(e.has_lengths == (std::string(c.args).find("--no-lengths") == std::string::npos));
      REQUIRE(e.inputs.B == 3);
      const std::vector<double> logits = s4_model_forward(
          e.desc, e.weights, e.inputs.data.data(), e.inputs.B, e.inputs.lengths.empty() ? nullptr : e.inputs.lengths.data());
      REQUIRE(e.expected_logits.shape == std::vector<size_t>{3, e.desc.classes});
      REQUIRE(logits.size() == e.expected_logits.data.size());
      double max_ref = 0.0;
      const double rel = max_relative_diff(logits, e.expected_logits.data, &max_ref);
      INFO("max |C++ - PyTorch| / max |logit| = " << rel << ", max |logit| = " << max_ref);
      REQUIRE(max_ref > 0.0);
      CHECK(rel <= 1e-9);
    }
  }
}
