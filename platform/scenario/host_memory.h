// Sizes before memory: products computed without overflow, and the ceiling on the host
// memory a run may take (run.host_memory_mib; 0 = half of the machine's RAM). Every
// workload checks what it will allocate against the ceiling before allocating or
// reading it, and the refusal names the key or file that asked for how much.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>

#include "epochcore/platform/scenario/scenario.h"

namespace epochcore {

// a * b into `out`; false (out untouched) when the product overflows 64 bits.
bool checked_mul(uint64_t a, uint64_t b, uint64_t& out);
// The product, or UINT64_MAX when it overflows (a saturated size is refused by any
// ceiling); sat_add likewise.
uint64_t sat_product(std::initializer_list<uint64_t> factors);
uint64_t sat_add(uint64_t a, uint64_t b);

// "1536 MiB" (rounded up), "12 KiB", "100 bytes"; "more than 2^64 bytes" for UINT64_MAX.
std::string format_bytes(uint64_t bytes);

// The machine's RAM (MemTotal of /proc/meminfo, else sysconf); 0 when unknown.
uint64_t machine_memory_bytes();

struct HostMemoryCeiling {
  uint64_t bytes = 0;
  std::string origin;  // e.g. "run.host_memory_mib = 512" or "... = 0: half of the machine's 24105 MiB"
};
// The ceiling of scenario `s`: run.host_memory_mib MiB, or when it is 0 half of
// machine_memory_bytes() (8 GiB when that is unknown).
HostMemoryCeiling host_memory_ceiling(const Scenario& s);

// Host memory of the SoC itself: the scratchpads. System memory (memory.size_mib) comes
// from calloc and costs only the pages written, so the workloads count the buffers they
// place in it instead.
uint64_t soc_host_bytes(const Scenario& s);

// "" when `bytes` fit the ceiling, else the refusal: "<what> needs N MiB of host memory
// (with the SoC's scratchpads), more than the ceiling of C MiB (<origin>)".
std::string host_memory_refusal(const Scenario& s, uint64_t bytes, const std::string& what);

}  // namespace epochcore
