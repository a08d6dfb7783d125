// The whole-model loaders (platform/io/model_file.h): the input is the model description
// (YAML), then after a line "####" the weights (safetensors), then the inputs (.npy),
// then the valid lengths (.npy; absent part: no lengths file). Documented refusal:
// FormatError. An accepted description must print (model_description_to_yaml) as YAML
// that parses back to the same printout.
//
// Bound: load_model_weights sizes the weights from the description before it reads the
// file (issue 9, item 2, "sizes before memory", is not this harness's business), so
// descriptions of more than kMaxWeights weights are checked alone.
#include <cstdlib>

#include "epochcore/platform/io/model_file.h"
#include "fuzz_common.h"

using namespace epochcore;

namespace {
constexpr size_t kMaxWeights = size_t{1} << 22;

size_t weight_count(const S4ModelDesc& d) {
  size_t total = 0;
  for (const io::TensorSpec& s : io::model_tensor_specs(d)) {
    size_t n = 1;
    for (size_t x : s.shape) {
      if (x != 0 && n > kMaxWeights / x) return kMaxWeights + 1;
      n *= x;
    }
    total += n;
    if (total > kMaxWeights) return total;
  }
  return total;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string weights_path = fuzz::temp_path("weights.safetensors");
  static const std::string inputs_path = fuzz::temp_path("inputs.npy");
  static const std::string lengths_path = fuzz::temp_path("lengths.npy");
  const std::vector<std::string> parts = fuzz::split(data, size, 4);
  S4ModelDesc d;
  try {
    d = io::parse_model_description(parts[0], "fuzz_model.yaml");
  } catch (const io::FormatError&) {
    return 0;
  }
  const std::string yaml = io::model_description_to_yaml(d);
  if (io::model_description_to_yaml(io::parse_model_description(yaml, "printed.yaml")) != yaml)
    std::abort();
  if (weight_count(d) > kMaxWeights) return 0;
  const auto put = [](const std::string& path, const std::string& bytes) {
    fuzz::write_file(path, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  };
  put(weights_path, parts[1]);
  try {
    const S4ModelWeights w = io::load_model_weights(weights_path, d);
    check_s4_model_weights(d, w);  // what the loader accepted must pass the model's check
  } catch (const io::FormatError&) {
  }
  put(inputs_path, parts[2]);
  put(lengths_path, parts[3]);
  try {
    const io::ModelInputs in =
        io::load_model_inputs(inputs_path, parts[3].empty() ? "" : lengths_path, d);
    for (uint32_t n : in.lengths)
      if (n < 1 || n > d.L) std::abort();
  } catch (const io::FormatError&) {
  }
  return 0;
}
