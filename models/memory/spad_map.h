// Accelerator-local addresses of the scratchpads as the DMA engine sees them: each
// scratchpad sits at the start of its own 16 MiB window on the local interconnect.
#pragma once
#include <cstdint>

#include "epochcore/contract/commands.h"

namespace epochcore {

constexpr uint64_t kSpadWindowBytes = 0x0100'0000;

inline uint64_t spad_local_base(cmd::SpadId id) { return uint64_t(id) * kSpadWindowBytes; }

}  // namespace epochcore
