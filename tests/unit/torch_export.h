// What the [torch] tests share (test_torch_export, test_torch_mamba, test_torch_liquid):
// Debian's python3 with torch, a visible SKIPPED line without it, running an export script
// on a model YAML into a fresh folder, loading what it wrote and comparing logits.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include "epochcore/platform/io/model_file.h"
#include "epochcore/platform/io/npy.h"

namespace epochcore::torch_test {

namespace fs = std::filesystem;

// The tests use Debian's interpreter (python3-torch, -numpy, -yaml), not whatever is on PATH.
inline const char* python() { return "/usr/bin/python3"; }

// True (and one clear SKIPPED line on stdout, which ctest's SKIP_REGULAR_EXPRESSION sees,
// plus a Catch warning) where python3-torch is not installed.
inline bool skip_without_torch() {
  static const bool available =
      std::system((std::string(python()) + " -c 'import torch, numpy, yaml' > /dev/null 2>&1").c_str()) == 0;
  if (available) return false;
  std::printf("SKIPPED: python3-torch is not installed (apt-get install python3-torch)\n");
  WARN("SKIPPED: python3-torch is not installed (apt-get install python3-torch)");
  return true;
}

// A per-process scratch folder under the system's temporary directory, removed at scope exit.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix)
      : root_(fs::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()))) {
    fs::create_directories(root_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return root_; }

 private:
  fs::path root_;
};

struct ExportRun {
  std::string command;
  int status = -1;
  std::string log;  // the script's stdout and stderr
  fs::path out;     // the folder it wrote (model.yaml, weights.safetensors, inputs.npy, ...)
};

// Runs scenarios/models/SCRIPT on MODEL_YAML (written to DIR/in.yaml) into DIR/out with
// `--batch BATCH --seed SEED` and the extra arguments ARGS (e.g. "--dtype F64").
inline ExportRun run_export(const std::string& script, const std::string& model_yaml, const fs::path& dir,
                            int batch, int seed, const std::string& args) {
  fs::create_directories(dir);
  const fs::path yaml = dir / "in.yaml";
  std::ofstream(yaml) << model_yaml;
  ExportRun r;
  r.out = dir / "out";
  r.command = std::string(python()) + " '" EC_SOURCE_DIR "/scenarios/models/" + script + "' --model '" +
              yaml.string() + "' --out-dir '" + r.out.string() + "' --batch " + std::to_string(batch) +
              " --seed " + std::to_string(seed) + " " + args + " > '" + (dir / "log").string() + "' 2>&1";
  r.status = std::system(r.command.c_str());
  std::ifstream log(dir / "log");
  r.log.assign(std::istreambuf_iterator<char>(log), {});
  return r;
}

// What an export wrote, loaded through the platform's own readers.
struct Exported {
  S4ModelDesc desc;
  S4ModelWeights weights;
  io::ModelInputs inputs;
  bool has_lengths = false;
  io::NpyArray expected_logits;  // PyTorch's float64 logits
};

inline Exported load_export(const fs::path& out) {
  Exported e;
  e.desc = io::load_model_description((out / "model.yaml").string());
  e.weights = io::load_model_weights((out / "weights.safetensors").string(), e.desc);
  e.has_lengths = fs::exists(out / "lengths.npy");
  e.inputs = io::load_model_inputs((out / "inputs.npy").string(),
                                   e.has_lengths ? (out / "lengths.npy").string() : "", e.desc);
  e.expected_logits = io::read_npy((out / "expected_logits.npy").string());
  return e;
}

// max |got - want| / max |want| over all logits; MAX_REF receives max |want|.
inline double max_relative_diff(const std::vector<double>& got, const std::vector<double>& want, double* max_ref) {
  double diff = 0.0, ref = 0.0;
  const size_t n = std::min(got.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::abs(got[i] - want[i]));
    ref = std::max(ref, std::abs(want[i]));
  }
  if (max_ref) *max_ref = ref;
  return ref > 0.0 ? diff / ref : diff;
}

}  // namespace epochcore::torch_test
