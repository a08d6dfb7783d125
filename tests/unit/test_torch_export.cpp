// The PyTorch export script (scenarios/models/export_s4_model.py, docs/models.md
// "Exporting from PyTorch") against the project's double-precision reference: the script
// builds small models in PyTorch, writes the model YAML, the weights, seeded inputs and
// PyTorch's own float64 logits; s4_model_forward on the files it wrote must agree.
// Skipped, with one clear line, where python3-torch is not installed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/platform/io/model_file.h"
#include "epochcore/platform/io/npy.h"

using namespace epochcore;
namespace fs = std::filesystem;

namespace {

const char* kPython = "/usr/bin/python3";

bool torch_available() {
  return std::system((std::string(kPython) + " -c 'import torch, numpy, yaml' > /dev/null 2>&1").c_str()) == 0;
}

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
  if (!torch_available()) {
    std::printf("SKIPPED: python3-torch is not installed (apt-get install python3-torch)\n");
    WARN("SKIPPED: python3-torch is not installed (apt-get install python3-torch)");
    return;
  }
  const fs::path root = fs::temp_directory_path() / ("epochcore-torch-" + std::to_string(::getpid()));
  fs::create_directories(root);
  int n = 0;
  for (const ExportCase& c : kCases) {
    DYNAMIC_SECTION(c.name) {
      const fs::path dir = root / std::to_string(++n);
      fs::create_directories(dir);
      const fs::path yaml = dir / "in.yaml", out = dir / "out";
      std::ofstream(yaml) << c.yaml;
      const std::string cmd = std::string(kPython) + " '" EC_SOURCE_DIR "/scenarios/models/export_s4_model.py' --model '" +
                              yaml.string() + "' --out-dir '" + out.string() + "' --batch 3 --seed " +
                              std::to_string(n) + " " + c.args + " > '" + (dir / "log").string() + "' 2>&1";
      INFO(cmd);
      const int status = std::system(cmd.c_str());
      std::ifstream log(dir / "log");
      INFO(std::string(std::istreambuf_iterator<char>(log), {}));
      REQUIRE(status == 0);

      const S4ModelDesc d = io::load_model_description((out / "model.yaml").string());
      const S4ModelWeights w = io::load_model_weights((out / "weights.safetensors").string(), d);
      const bool lengths = fs::exists(out / "lengths.npy");
      CHECK(lengths == (std::string(c.args).find("--no-lengths") == std::string::npos));
      const io::ModelInputs in = io::load_model_inputs((out / "inputs.npy").string(),
                                                       lengths ? (out / "lengths.npy").string() : "", d);
      REQUIRE(in.B == 3);
      const std::vector<double> logits =
          s4_model_forward(d, w, in.data.data(), in.B, in.lengths.empty() ? nullptr : in.lengths.data());
      const io::NpyArray torch_logits = io::read_npy((out / "expected_logits.npy").string());
      REQUIRE(torch_logits.shape == std::vector<size_t>{3, d.classes});
      REQUIRE(logits.size() == torch_logits.data.size());
      double max_diff = 0.0, max_ref = 0.0;
      for (size_t i = 0; i < logits.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(logits[i] - torch_logits.data[i]));
        max_ref = std::max(max_ref, std::abs(torch_logits.data[i]));
      }
      INFO("max |C++ - PyTorch| = " << max_diff << ", max |logit| = " << max_ref);
      REQUIRE(max_ref > 0.0);
      CHECK(max_diff / max_ref <= 1e-9);
    }
  }
  std::error_code ec;
  fs::remove_all(root, ec);
}
