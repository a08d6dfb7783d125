// The safetensors reader (platform/io/safetensors.h): any bytes as a file. Documented
// refusal: FormatError. Accepted tensors must be self-consistent (element count =
// product of the shape, finite values, a documented dtype).
#include <cmath>
#include <cstdlib>

#include "epochcore/platform/io/safetensors.h"
#include "fuzz_common.h"

using namespace epochcore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz::temp_path("input.safetensors");
  fuzz::write_file(path, data, size);
  try {
    for (const auto& [name, t] : io::read_safetensors(path)) {
      if (name.empty() || name == "__metadata__") std::abort();
      size_t n = 1;
      for (size_t d : t.shape) n *= d;
      if (n != t.data.size()) std::abort();
      for (double v : t.data)
        if (!std::isfinite(v)) std::abort();
      if (t.dtype != "F32" && t.dtype != "F64" && t.dtype != "I32" && t.dtype != "I64")
        std::abort();
    }
  } catch (const io::FormatError&) {
  }
  return 0;
}
