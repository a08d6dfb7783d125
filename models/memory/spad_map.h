// Accelerator-local addresses of the scratchpads as the DMA engine (and the external
// scratchpad window, spad_socket) sees them: scratchpad `id` sits at the start of its own
// sub-window, id * stride. The stride is the largest scratchpad's size rounded up to a
// power of two, at least kSpadWindowBytes (16 MiB), so every configuration maps:
// scratchpads up to 16 MiB keep the historical 16 MiB stride (input 0x000_0000, param
// 0x100_0000, output 0x200_0000); a 1 GiB scratchpad gives a 1 GiB stride.
#pragma once
#include <algorithm>
#include <cstdint>

#include "epochcore/contract/commands.h"

namespace epochcore {

// The smallest (and default) sub-window stride.
constexpr uint64_t kSpadWindowBytes = 0x0100'0000;

// Smallest power of two >= v (v >= 1; v <= 2^63).
constexpr uint64_t spad_pow2_ceil(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

// The scratchpad sub-window layout, computed from the three scratchpad sizes in bytes.
struct SpadMap {
  uint64_t stride = kSpadWindowBytes;  // distance between the sub-windows (a power of two)

  static constexpr SpadMap from_sizes(uint64_t input_bytes, uint64_t param_bytes, uint64_t output_bytes) {
    SpadMap m;
    m.stride = std::max(kSpadWindowBytes, spad_pow2_ceil(std::max({input_bytes, param_bytes, output_bytes, uint64_t{1}})));
    return m;
  }
  constexpr uint64_t base(cmd::SpadId id) const { return uint64_t(id) * stride; }
  constexpr uint64_t window_bytes() const { return 3 * stride; }  // input, param, output
};

// Base of scratchpad `id` with the given sub-window stride (default: the 16 MiB layout).
constexpr uint64_t spad_local_base(cmd::SpadId id, uint64_t stride = kSpadWindowBytes) {
  return uint64_t(id) * stride;
}

}  // namespace epochcore
