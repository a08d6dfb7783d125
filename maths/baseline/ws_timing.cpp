#include "epochcore/maths/baseline/ws_timing.h"

#include <stdexcept>
#include <string>

namespace epochcore::baseline {

namespace {

void require_positive(uint64_t value, const char* name) {
  if (value == 0)
    throw std::invalid_argument(std::string("ws_gemm: ") + name + " must be at least 1, got 0");
}

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

uint64_t ws_fold_cycles(uint64_t m, uint32_t R, uint32_t C) {
  // R cycles of weight load, m inputs into row 0, R-1 more for the skew to reach the
  // last row, C-1 for the last column's partial sum to leave.
  return uint64_t(R) + m + (R - 1) + (C - 1);
}

void FoldTally::add_column_block(uint64_t m, uint64_t rows_mapped, uint64_t row_tiles,
                                 uint64_t cols_used, uint32_t R, uint32_t C) {
  if (row_tiles == 0) return;
  folds += row_tiles;
  serial_cycles += row_tiles * ws_fold_cycles(m, R, C);
  mac_ops += m * rows_mapped * cols_used;
  weight_loads += rows_mapped * cols_used;
  input_reads += m * rows_mapped;
  output_writes += m * cols_used * row_tiles;
  psum_reads += m * cols_used * (row_tiles - 1);
}

void FoldTally::add(const FoldTally& o, uint64_t times) {
  folds += o.folds * times;
  serial_cycles += o.serial_cycles * times;
  mac_ops += o.mac_ops * times;
  weight_loads += o.weight_loads * times;
  input_reads += o.input_reads * times;
  output_writes += o.output_writes * times;
  psum_reads += o.psum_reads * times;
}

GemmTiming finish(const FoldTally& t, uint32_t R, uint32_t C, bool overlap_weight_load) {
  GemmTiming g;
  g.folds = t.folds;
  g.cycles = t.serial_cycles;
  // Fold f+1's rows are written as fold f's last partial sums leave them: the next
  // stream starts R cycles earlier than after a full drain (docs/baseline.md).
  if (overlap_weight_load && t.folds > 1) g.cycles -= (t.folds - 1) * uint64_t(R);
  g.reported_cycles = g.cycles > 0 ? g.cycles - 1 : 0;
  g.mac_ops = t.mac_ops;
  g.weight_loads = t.weight_loads;
  g.input_reads = t.input_reads;
  g.output_writes = t.output_writes;
  g.psum_reads = t.psum_reads;
  g.pe_busy_cycles = t.mac_ops;  // a MAC PE does one MAC per busy cycle
  if (g.cycles > 0) g.utilization = double(t.mac_ops) / (double(R) * C * double(g.cycles));
  return g;
}

GemmTiming ws_gemm(uint64_t M, uint64_t N, uint64_t K, uint32_t R, uint32_t C,
                   bool overlap_weight_load) {
  require_positive(M, "M (streamed rows)");
  require_positive(N, "N (output columns)");
  require_positive(K, "K (reduction depth)");
  require_positive(R, "R (array rows)");
  require_positive(C, "C (array columns)");
  const uint64_t row_tiles = ceil_div(K, R);
  FoldTally full, tally;
  full.add_column_block(M, K, row_tiles, C, R, C);
  tally.add(full, N / C);
  if (N % C) tally.add_column_block(M, K, row_tiles, N % C, R, C);
  return finish(tally, R, C, overlap_weight_load);
}

}  // namespace epochcore::baseline
