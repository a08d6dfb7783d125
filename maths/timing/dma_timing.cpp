#include "epochcore/maths/timing/dma_timing.h"

#include <algorithm>
#include <stdexcept>

namespace epochcore {

std::string dma_params_error(const DmaParams& p) {
  if (p.bytes_per_cycle == 0) return "DMA parameter bytes_per_cycle must be >= 1";
  if (p.burst_bytes == 0) return "DMA parameter burst_bytes must be >= 1";
  if (p.max_outstanding == 0) return "DMA parameter max_outstanding must be >= 1";
  return "";
}

namespace timing {
namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

void check_path(const DmaPath& path) {
  if (!(path.clock_period_ns > 0) || ns_to_ps(path.clock_period_ns) == 0)
    throw std::invalid_argument("DMA timing: clock_period_ns must be at least 1 ps");
  if (!(path.mem_bytes_per_ns > 0))
    throw std::invalid_argument("DMA timing: mem_bytes_per_ns must be > 0");
  if (!(path.mem_latency_ns >= 0) || !(path.sys_hop_ns >= 0) || !(path.spad_hop_ns >= 0))
    throw std::invalid_argument("DMA timing: latencies must be >= 0 ns");
  if (path.spad_banks == 0) throw std::invalid_argument("DMA timing: spad_banks must be >= 1");
}

// dma_burst_cycles without the argument checks (they are done once per transfer).
uint64_t burst_cycles(uint32_t len, const DmaParams& p, const DmaPath& path) {
  const uint64_t clock_ps = ns_to_ps(path.clock_period_ns);
  // Same operations, in the same order, as SystemMemory::b_transport and the router.
  const uint64_t mem_ps = ns_to_ps(path.sys_hop_ns) + ns_to_ps(path.mem_latency_ns) +
                          ns_to_ps(double(len) / path.mem_bytes_per_ns);
  const uint64_t spad_ps =
      ns_to_ps(path.spad_hop_ns) + ceil_div(len, 4ull * path.spad_banks) * clock_ps;
  return dma_burst_cycles_measured(len, p, ceil_div(mem_ps, clock_ps), ceil_div(spad_ps, clock_ps));
}

}  // namespace

uint64_t dma_burst_cycles_measured(uint32_t len, const DmaParams& p, uint64_t mem_cycles,
                                   uint64_t spad_cycles) {
  const uint64_t engine = ceil_div(len, p.bytes_per_cycle);
  const uint64_t mem = ceil_div(mem_cycles, p.max_outstanding);
  return std::max({engine, mem, spad_cycles});
}

uint64_t ns_to_ps(double ns) {
  // sc_time(v, SC_NS) at 1 ps resolution computes v * 1000 + 0.5 and truncates.
  volatile double scaled = ns * 1000.0 + 0.5;
  return uint64_t(scaled);
}

uint64_t dma_burst_cycles(uint32_t len, const DmaParams& p, const DmaPath& path) {
  const std::string err = dma_params_error(p);
  if (!err.empty()) throw std::invalid_argument(err);
  check_path(path);
  return burst_cycles(len, p, path);
}

uint64_t dma_transfer_cycles(const cmd::DmaDesc& d, const DmaParams& p, const DmaPath& path) {
  const std::string err = dma_params_error(p);
  if (!err.empty()) throw std::invalid_argument(err);
  check_path(path);
  // Every row splits the same way: full bursts, then at most one shorter one.
  const uint32_t full = d.row_bytes / p.burst_bytes;
  const uint32_t rest = d.row_bytes % p.burst_bytes;
  uint64_t row = uint64_t(full) * burst_cycles(p.burst_bytes, p, path);
  if (rest != 0) row += burst_cycles(rest, p, path);
  return p.setup_cycles + uint64_t(d.rows) * row;
}

}  // namespace timing
}  // namespace epochcore
