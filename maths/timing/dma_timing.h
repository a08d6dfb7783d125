// Oracle: mem_ps/spad_ps deliberately repeat SystemMemory/Scratchpad/Router delays; only the burst max is shared.
// Closed-form DMA timing: what the SystemC DmaEngine must reproduce exactly, for the
// tests and for a fast timing mode. Plain C++ (compiled into ec_core, no SystemC).
//
// A transfer (one DMA_IN/DMA_OUT job) costs
//   cycles = setup_cycles + sum over bursts of
//            max( ceil(len / bytes_per_cycle),               // the engine's own datapath
//                 ceil(mem_cycles / max_outstanding),        // system side, pipelined
//                 spad_cycles )                              // scratchpad side
// where every row of the (possibly 2-D) transfer is split into bursts of at most
// burst_bytes (from the row start; the last burst of a row may be shorter), and
//   mem_cycles  = ceil(mem_ps / clock_ps),
//   mem_ps      = sys_hop_ps + latency_ps + round_ps(len / bytes_per_ns)
//   spad_cycles = ceil(spad_ps / clock_ps),
//   spad_ps     = spad_hop_ps + ceil(len / (4 * spad_banks)) * clock_ps.
// Every time in ns becomes whole picoseconds exactly as sc_time(ns, SC_NS) does at the
// default 1 ps resolution (ns_to_ps below), so the two models round identically.
// Assumes what the platform builds: the scratchpads run on the DMA's clock, at most
// one router on each path, and the 1 ps default time resolution.
#pragma once
#include <cstdint>
#include <string>

#include "epochcore/contract/commands.h"

namespace epochcore {

struct DmaParams {
  uint32_t bytes_per_cycle = 0;  // engine datapath width
  uint32_t setup_cycles = 0;     // fixed cost per transfer (descriptor decode, first request)
  uint32_t burst_bytes = 0;      // largest single bus transaction
  uint32_t max_outstanding = 0;  // system-side requests in flight (hides memory latency)
};

// Empty when the parameters are usable, else a message naming the bad field.
std::string dma_params_error(const DmaParams& p);

namespace timing {

// What the DMA's two paths look like (all times in ns, as a configuration gives them).
struct DmaPath {
  double clock_period_ns = 1.0;   // accelerator clock (the DMA's and the scratchpads')
  double mem_latency_ns = 0.0;    // SystemMemory latency
  double mem_bytes_per_ns = 1.0;  // SystemMemory bandwidth
  uint32_t spad_banks = 1;        // banks of the scratchpad the transfer touches
  double sys_hop_ns = 0.0;        // router hop latency on the system path (one router)
  double spad_hop_ns = 0.0;       // router hop latency on the scratchpad path (one router)
};

// Whole picoseconds of a time given in ns, rounded as sc_time(ns, SC_NS) rounds.
uint64_t ns_to_ps(double ns);

// The burst formula itself, from the two sides' cycles as measured (the DmaEngine
// model calls this with the delays its transactions annotated; dma_burst_cycles with
// the closed-form ones): max(ceil(len / bytes_per_cycle),
// ceil(mem_cycles / max_outstanding), spad_cycles). p must be usable (dma_params_error).
uint64_t dma_burst_cycles_measured(uint32_t len, const DmaParams& p, uint64_t mem_cycles,
                                   uint64_t spad_cycles);

// Cycles of one burst of `len` bytes. Throws std::invalid_argument on unusable
// parameters (zero clock, bandwidth, banks or DMA parameters; negative times).
uint64_t dma_burst_cycles(uint32_t len, const DmaParams& p, const DmaPath& path);

// Cycles of a whole transfer (setup included). Throws like dma_burst_cycles.
uint64_t dma_transfer_cycles(const cmd::DmaDesc& d, const DmaParams& p, const DmaPath& path);

}  // namespace timing
}  // namespace epochcore
