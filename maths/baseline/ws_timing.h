// Closed-form timing of the TPU-like baseline: an R x C array of MAC-only PEs running
// GEMMs weight-stationary, in SCALE-Sim v2's formulation (docs/baseline.md):
// GEMM (M, N, K) maps K to the array rows, N to the columns and streams the M rows of the
// input through; folds = ceil(K/R) * ceil(N/C); every fold, partial or not, takes
// R (weight load) + M (stream) + (R-1) (input skew) + (C-1) (output skew) cycles, folds
// do not overlap, and SCALE-Sim reports the total minus one.
// The cycle-stepped array in ws_array_math.h must reproduce these counts exactly.
#pragma once
#include <cstdint>

namespace epochcore::baseline {

struct GemmTiming {
  uint64_t folds = 0;
  uint64_t cycles = 0;           // first weight-load cycle to the last output, inclusive
  uint64_t reported_cycles = 0;  // cycles - 1: the figure SCALE-Sim prints
  uint64_t mac_ops = 0;          // MACs on mapped PE positions (M*N*K for a dense GEMM)
  uint64_t weight_loads = 0;     // weight words written into PEs (= weight-buffer reads)
  uint64_t input_reads = 0;      // streamed-operand words read from the input buffer
  uint64_t output_writes = 0;    // output words written, once per output per fold
  uint64_t psum_reads = 0;       // partial sums read back to accumulate over K folds
  uint64_t pe_busy_cycles = 0;   // PE-cycles spent on a MAC of a mapped position
  double utilization = 0;        // mac_ops / (R * C * cycles)
};

// Cycles of one fold streaming m rows: 2R + C + m - 2, whatever part of the array the
// fold maps (unused rows and columns still take their pipeline cycles, as in SCALE-Sim).
uint64_t ws_fold_cycles(uint64_t m, uint32_t R, uint32_t C);

// Sums over a set of folds before the overlap option is applied. Tiled GEMMs whose
// all-zero tiles are skipped (Toeplitz, block-diagonal) are built column block by
// column block with add_column_block.
struct FoldTally {
  uint64_t folds = 0;
  uint64_t serial_cycles = 0;  // sum of ws_fold_cycles over the folds
  uint64_t mac_ops = 0, weight_loads = 0, input_reads = 0, output_writes = 0, psum_reads = 0;

  // One column block of `cols_used` output columns, run as `row_tiles` folds that stream
  // m rows each and map `rows_mapped` weight rows in total (the rows of those tiles that
  // lie inside the matrix). Outputs are written by every fold and read back by all but
  // the first.
  void add_column_block(uint64_t m, uint64_t rows_mapped, uint64_t row_tiles,
                        uint64_t cols_used, uint32_t R, uint32_t C);
  void add(const FoldTally& other, uint64_t times = 1);
};

// Cycles, reported cycles and utilisation of a tally whose folds run back to back. With
// overlap_weight_load, each fold after the first writes its weights (row by row, top row
// first) while the previous fold drains, which hides its R-cycle load.
GemmTiming finish(const FoldTally& tally, uint32_t R, uint32_t C, bool overlap_weight_load);

// Dense GEMM out[M x N] = in[M x K] * w[K x N]. Throws std::invalid_argument naming the
// parameter when a dimension or the array size is zero.
GemmTiming ws_gemm(uint64_t M, uint64_t N, uint64_t K, uint32_t R, uint32_t C,
                   bool overlap_weight_load = false);

}  // namespace epochcore::baseline
