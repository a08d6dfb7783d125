// Oracle: deliberately repeats the baseline array's timing (ws_timing.h) as a second, stepped model.
// A cycle-stepped weight-stationary array of MAC PEs, written independently of the closed
// form in ws_timing.h so that the tests can hold one against the other.
//
// Per cycle, every PE (k, c) takes the input from its west neighbour (row k's feed at
// c = 0) and the partial sum from its north neighbour (0 at k = 0), registers
// psum + w * in for the PE below and passes the input east. Weights are written one
// array row per cycle, top row first; the input feed is skewed (row k lags row k-1 by one
// cycle), so the partial sums leave the bottom row skewed by column. Every value in
// flight carries a tag (fold, streamed row): outputs are routed by their tags, never by a
// schedule, and the weight loader decides from the tags when a row is free.
#pragma once
#include <cstdint>
#include <vector>

namespace epochcore::baseline {

struct WsArrayRun {
  uint64_t cycles = 0;         // first weight-load cycle to the last output, inclusive
  uint64_t folds = 0;
  uint64_t mac_ops = 0;        // MACs at mapped positions (weight inside the matrix)
  uint64_t weight_loads = 0;   // mapped weight words written into PEs
  uint64_t input_reads = 0;    // input words fed at the west edge
  uint64_t output_writes = 0;  // output words written (one per output per fold)
  uint64_t psum_reads = 0;     // outputs read back to accumulate a later K fold
};

// out[M x N] = in[M x K] * w[K x N] (row-major) on an R x C array. Folds run in
// SCALE-Sim's order: column block outer, row block inner. Without overlap the next
// fold's weights are written only once the array is empty; with overlap, row k is
// rewritten in the cycle its last partial sum of the previous fold passes its last
// column. Throws std::invalid_argument on a zero dimension or a wrongly sized operand.
WsArrayRun ws_array_gemm(const std::vector<float>& in, const std::vector<float>& w,
                         uint32_t M, uint32_t N, uint32_t K, uint32_t R, uint32_t C,
                         bool overlap_weight_load, std::vector<float>& out);

}  // namespace epochcore::baseline
