// The .npy reader (platform/io/npy.h): any bytes as a file. Documented refusal: FormatError.
// Accepted arrays must be self-consistent: element count = product of the shape, values
// finite, dtype one of the four documented.
#include <cmath>
#include <cstdlib>

#include "epochcore/platform/io/npy.h"
#include "fuzz_common.h"

using namespace epochcore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz::temp_path("input.npy");
  fuzz::write_file(path, data, size);
  try {
    const io::NpyArray a = io::read_npy(path);
    size_t n = 1;
    for (size_t d : a.shape) n *= d;
    if (n != a.data.size()) std::abort();
    for (double v : a.data)
      if (!std::isfinite(v)) std::abort();
    if (a.dtype != "f4" && a.dtype != "f8" && a.dtype != "i4" && a.dtype != "i8") std::abort();
  } catch (const io::FormatError&) {
  }
  return 0;
}
