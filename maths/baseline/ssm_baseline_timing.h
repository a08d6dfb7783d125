// The cost of one S4D layer on the TPU-like baseline: an R x C weight-stationary MAC array
// (ws_timing.h) next to a V-lane vector unit. A MAC-only array can run the layer only
//  - as a convolution: generate the kernel K (optional), then y = Toeplitz(K_h) u_h per
//    channel as tiled WS GEMMs with the all-zero tiles skipped; or
//  - as a recurrence: the diagonal update x = Abar x + u on the vector unit every step,
//    and the C projection y = 2 Re(C' x) + D u as a block-diagonal WS GEMM.
// docs/baseline.md gives every formula; baseline_s4d_layer reports both and the better.
#pragma once
#include <cstdint>
#include <vector>

#include "epochcore/maths/baseline/ws_timing.h"

namespace epochcore::baseline {

struct BaselineConfig {
  uint32_t rows = 32;                   // R
  uint32_t cols = 32;                   // C
  uint32_t vector_lanes = 32;           // V: one complex multiply(-add) per lane per cycle
  bool overlap_weight_load = false;     // hide each fold's weight load under the previous drain
  bool count_kernel_generation = true;  // false: kernel made offline, read from DRAM
  bool toeplitz_tile_reuse = false;     // load each distinct Toeplitz tile once (below)
  uint32_t recurrence_time_block = 1;   // time steps that share one C-projection GEMM
  uint32_t word_bytes = 4;              // one SRAM / DRAM word
};

struct SsmShape {
  uint32_t B = 1;  // batch
  uint32_t H = 0;  // channels
  uint32_t M = 0;  // complex modes per channel (N/2)
  uint32_t L = 0;  // sequence length
  bool bidirectional = false;
};

// SRAM words by buffer, including the DMA's fills (u, parameters) and drains (y).
struct SramTraffic {
  uint64_t input_reads = 0, input_writes = 0;    // u, recurrence states, kernel Q rows
  uint64_t weight_reads = 0, weight_writes = 0;  // PE weights, coefficients, the kernel
  uint64_t output_reads = 0, output_writes = 0;  // outputs and their partial sums
};

enum class SsmMethod { convolution, recurrence };
const char* method_name(SsmMethod method);

struct BaselineSsmCost {
  SsmMethod method = SsmMethod::convolution;
  uint64_t cycles = 0;         // layer latency, array and vector unit overlapped
  uint64_t array_cycles = 0;   // cycles the array runs folds
  uint64_t vector_cycles = 0;  // cycles the vector unit is busy
  uint64_t folds = 0;
  uint64_t mac_ops = 0;        // MACs at mapped positions, zero weights inside tiles included
  uint64_t useful_macs = 0;    // MACs the maths needs
  uint64_t weight_loads = 0;   // words written into PE weight registers
  uint64_t vector_complex_ops = 0;  // complex multiplies / multiply-adds (lane-ops)
  uint64_t vector_real_ops = 0;     // real adds (lane-ops)
  double utilization = 0;           // mac_ops / (R * C * cycles)
  double useful_utilization = 0;    // useful_macs / (R * C * cycles)
  SramTraffic sram;
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  uint64_t working_set_words = 0;  // on-chip words the mapping needs at once (see docs)
  // Breakdown, each GEMM phase timed as if run alone: convolution: kernel generation and
  // Toeplitz products; recurrence: kernel_gemm empty, main_gemm the C projections.
  GemmTiming kernel_gemm, main_gemm;
};

struct BaselineSsmResult {
  BaselineSsmCost convolution, recurrence;
  SsmMethod best = SsmMethod::convolution;  // fewer cycles; a tie goes to convolution
  const BaselineSsmCost& best_cost() const;
};

// Throw std::invalid_argument naming the field (e.g. "BaselineConfig.rows") when a
// configuration or shape value is zero.
BaselineSsmCost baseline_s4d_convolution(const BaselineConfig& cfg, const SsmShape& shape);
BaselineSsmCost baseline_s4d_recurrence(const BaselineConfig& cfg, const SsmShape& shape);
BaselineSsmResult baseline_s4d_layer(const BaselineConfig& cfg, const SsmShape& shape);

// Tiled GEMMs with the all-zero tiles skipped, m rows streamed through each tile.
// Toeplitz: rows = input step s, columns = output step t, both of length L; causal_only
// keeps s <= t (lower-triangular y = T u), otherwise the matrix is dense (bidirectional).
FoldTally toeplitz_tally(uint64_t L, uint64_t m, bool causal_only, uint32_t R, uint32_t C);
// Toeplitz with tile reuse: tiles at the same offset jC - iR hold the same weights, so
// one fold per distinct offset streams B input segments per tile of that offset (inputs
// zero-padded past L, outputs past L dropped); the outputs accumulate in the buffer.
FoldTally toeplitz_reuse_tally(uint64_t L, uint64_t B, bool causal_only, uint32_t R,
                               uint32_t C);
// Block-diagonal: block g is block_rows[g] consecutive rows feeding column g alone.
FoldTally block_diagonal_tally(const std::vector<uint32_t>& block_rows, uint64_t m,
                               uint32_t R, uint32_t C);

}  // namespace epochcore::baseline
