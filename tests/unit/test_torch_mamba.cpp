// Mamba models exported from PyTorch float64 (scenarios/models/export_mamba_model.py, docs/
// models.md "Mamba blocks") against the double-precision reference: the script builds small
// seeded models in pure torch float64 (selective_scan_ref's formula without its float32
// casts), checks its token-by-token step form against its full-sequence form
// (--check-step) and writes PyTorch's logits; s4_model_forward on the written files must
// agree to 1e-12 relative. Skipped, with one clear line, where python3-torch is not installed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "epochcore/maths/reference/mamba_reference.h"
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
  if (!torch_available()) {
    std::printf("SKIPPED: python3-torch is not installed (apt-get install python3-torch)\n");
    WARN("SKIPPED: python3-torch is not installed (apt-get install python3-torch)");
    return;
  }
  const fs::path root = fs::temp_directory_path() / ("epochcore-torch-mamba-" + std::to_string(::getpid()));
  fs::create_directories(root);
  int n = 0;
  for (const ExportCase& c : kCases) {
    DYNAMIC_SECTION(c.name) {
      const fs::path dir = root / std::to_string(++n);
      fs::create_directories(dir);
      const fs::path yaml = dir / "in.yaml", out = dir / "out";
      std::ofstream(yaml) << c.yaml;
      const std::string cmd = std::string(kPython) + " '" EC_SOURCE_DIR
                              "/scenarios/models/export_mamba_model.py' --check-step --model '" +
                              yaml.string() + "' --out-dir '" + out.string() + "' --batch 3 --seed " +
                              std::to_string(n) + " " + c.args + " > '" + (dir / "log").string() + "' 2>&1";
      INFO(cmd);
      const int status = std::system(cmd.c_str());
      std::ifstream log_file(dir / "log");
      const std::string log(std::istreambuf_iterator<char>(log_file), {});
      INFO(log);
      REQUIRE(status == 0);
      REQUIRE(log.find("step vs full: max rel diff") != std::string::npos);

      const S4ModelDesc d = io::load_model_description((out / "model.yaml").string());
      REQUIRE(d.block == BlockKind::Mamba);
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
      double max_diff = 0.0, max_ref = 0.0;
      for (size_t i = 0; i < logits.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(logits[i] - torch_logits.data[i]));
        max_ref = std::max(max_ref, std::abs(torch_logits.data[i]));
      }
      std::printf("mamba torch export '%s': max |C++ - PyTorch| / max |logit| = %.3e; %s", c.name,
                  max_diff / max_ref, log.substr(0, log.find('\n') + 1).c_str());
      INFO("max |C++ - PyTorch| = " << max_diff << ", max |logit| = " << max_ref);
      REQUIRE(max_ref > 0.0);
      CHECK(max_diff / max_ref <= 1e-12);
    }
  }
  std::error_code ec;
  fs::remove_all(root, ec);
}

TEST_CASE("softplus_torch agrees with torch's F.softplus bit for bit, threshold included", "[torch][mamba]") {
  if (!torch_available()) {
    std::printf("SKIPPED: python3-torch is not installed (apt-get install python3-torch)\n");
    WARN("SKIPPED: python3-torch is not installed (apt-get install python3-torch)");
    return;
  }
  const double xs[] = {-30.0, -3.5, 0.0, 0.75, 19.0, 20.0, 20.0000001, 20.5, 35.0};
  const fs::path out = fs::temp_directory_path() / ("epochcore-softplus-" + std::to_string(::getpid()) + ".txt");
  const std::string cmd = std::string(kPython) +
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
