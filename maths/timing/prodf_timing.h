// Oracle: deliberately repeats, in closed form, the timing SystolicArray (models/array) counts by stepping.
// Closed-form ProDF timing: what the cycle-accurate array must reproduce exactly.
// Plain C++: the array model does not call these (it counts cycles as it steps), the
// tests compare the two. docs/architecture.md derives the formulas.
#pragma once
#include <cstdint>
#include <vector>

#include "epochcore/contract/commands.h"

namespace epochcore::timing {

struct FeedGeometry {
  uint32_t banks = 1;  // word-interleaved banks (4-byte words)
  uint32_t ports = 1;  // accesses per bank per cycle
};

struct SsmPassShape {
  uint32_t rows = 0, cols = 0;
  bool segments = true;   // hardware option: several segments per row
  uint32_t n_seg = 0;     // segments loaded
  uint32_t seg_len = 0;   // PEs per segment
  uint32_t length = 0;    // time steps L
  uint32_t in_addr = 0, in_stride = 0;    // bytes
  uint32_t out_addr = 0, out_stride = 0;  // bytes
  bool accumulate = false;                // output read-modify-write
  // Per-segment direction (LOAD_COEFFS rev_segs; docs/commands.md): the last n_rev of the
  // n_seg segments step the other way over rev_length steps (0: length), on rows
  // 0..n_rev-1, their inputs rev_in_offset bytes further; `reverse` is FLAG_REVERSE.
  // A word a forward and a reversed segment both reach is written by the first and
  // read-modified-written by the second (accumulate: both read-modify-write).
  bool reverse = false;
  uint32_t n_rev = 0;
  uint32_t rev_length = 0;
  uint32_t rev_in_offset = 0;
};

struct SsmPassTiming {
  uint64_t beats = 0;          // array advances: L + depth - 1
  uint64_t cycles = 0;         // beats plus stall cycles
  uint64_t stall_input = 0;    // cycles the input feed held the array
  uint64_t stall_output = 0;   // cycles the output write-back held the array (beyond input)
  uint64_t active_pe_cycles = 0;
  uint32_t depth = 0;          // pipeline depth: seg_len with segments, cols without
  uint32_t in_cost = 0;        // cycles to feed one beat's inputs
  uint32_t out_cost = 0;       // cycles to write one beat's outputs
};

// Cycles to access `n` words at base_word + i*stride_words (i < n) in one beat, each
// word `accesses` times (2 for read-modify-write): the busiest bank's accesses divided
// by its ports, rounded up.
uint32_t bank_access_cycles(uint64_t base_word, uint64_t stride_words, uint32_t n,
                            const FeedGeometry& g, uint32_t accesses = 1);

SsmPassTiming ssm_pass(const SsmPassShape& s, const FeedGeometry& in, const FeedGeometry& out);

// The words one beat of a mixed-direction pass (n_rev > 0) touches: beat b's input words
// (segments still feeding) and output word accesses (segments emitting step b - depth + 1;
// a word listed twice when the segment adds to it: accumulate, or its partner on the row
// reached it earlier, the forward segment winning a tie), in segment order. The array
// model and ssm_pass both cost a beat from these lists.
void mixed_beat_words(const SsmPassShape& s, uint32_t depth, uint64_t beat, std::vector<uint64_t>* in_words,
                      std::vector<uint64_t>* out_words);
// Whether segment i of a mixed pass adds to the word it emits at step k (see above).
bool mixed_adds(const SsmPassShape& s, uint32_t i, uint64_t k);
// The busiest bank's accesses over `words` (each `accesses` times), divided by the ports.
uint32_t bank_access_cycles(const std::vector<uint64_t>& words, const FeedGeometry& g, uint32_t accesses = 1);

// The shape of a RUN_SSM command on an array with `n_seg` segments of `seg_len` loaded,
// the last `n_rev` of them reversed (LOAD_COEFFS rev_segs).
SsmPassShape ssm_pass_shape(const cmd::RunSsm& run, uint32_t rows, uint32_t cols, bool segments,
                            uint32_t n_seg, uint32_t seg_len, uint32_t n_rev = 0);

// RUN_SCAN (docs/selective-scan.md): the S4D pass with two input streams (u and Delta)
// per segment and the skewed north coefficient feed. At beat b column j of every segment
// works on step k = b - j and needs B_k[j] and C_k[j]: the feed reads those 2*w words
// (w = the columns with a valid step that beat, seg_len in the steady state) once and
// broadcasts them down the columns. A beat costs max(1, in, coef, out) cycles where `in`
// counts the input scratchpad's accesses (u, Delta, and the coefficient words when
// coef_in_input), `coef` the parameter scratchpad's (coefficient words otherwise).
struct ScanPassShape {
  uint32_t rows = 0, cols = 0;
  bool segments = true;
  uint32_t n_seg = 0, seg_len = 0, length = 0;
  uint32_t u_addr = 0, dt_addr = 0, in_stride_words = 0;  // input scratchpad
  uint32_t out_addr = 0, out_stride_words = 0;            // output scratchpad
  bool accumulate = false;
  bool coef_in_input = false;                             // else the parameter scratchpad
  uint32_t coef_addr = 0, coef_stride = 0;                // bytes
};

struct ScanPassTiming {
  uint64_t beats = 0, cycles = 0;
  uint64_t stall_input = 0;   // cycles beyond 1 the input scratchpad needed
  uint64_t stall_coeff = 0;   // cycles beyond those the parameter scratchpad's coefficient feed needed
  uint64_t stall_output = 0;  // the rest (output write-back)
  uint64_t active_pe_cycles = 0;  // selective ops: n_seg * seg_len * L
  uint64_t coeff_words = 0;       // words the north feed read: 2 * seg_len * L
  uint32_t depth = 0;
};

ScanPassTiming scan_pass(const ScanPassShape& s, const FeedGeometry& in, const FeedGeometry& param,
                         const FeedGeometry& out);
ScanPassShape scan_pass_shape(const cmd::RunScan& run, uint32_t rows, uint32_t cols, bool segments,
                              uint32_t n_seg, uint32_t seg_len);

// Coefficient words per beat a selective scan needs on a rows x cols array with segments
// of seg_len PEs (segments per row as LOAD_COEFFS packs them), steady state: the north
// feed (B and C of each column position, broadcast) and, for comparison, streaming the
// precomputed exp(Delta*A) and Delta*B*u to every active PE.
struct ScanFeedBandwidth {
  uint64_t north_feed_words = 0;   // 2 * seg_len
  uint64_t per_pe_words = 0;       // 2 * active PEs
};
ScanFeedBandwidth scan_feed_bandwidth(uint32_t rows, uint32_t cols, bool segments, uint32_t seg_len);

// LOAD_COEFFS: 8 words per PE record through the parameter feed, and the shift of the
// records along the rows (cols cycles), whichever is longer.
uint64_t load_coeffs_cycles(uint32_t n_seg, uint32_t seg_len, uint32_t cols,
                            const FeedGeometry& param);

// RUN_GEMM: one weight-stationary fold streaming m rows takes the baseline's
// (SCALE-Sim's) per-fold time with the FULL array, R weight-load cycles + m + (R-1) +
// (C-1), whatever k x n part of it the fold maps, so both arrays have the same GEMM
// cycles (baseline::ws_fold_cycles; docs/baseline.md).
uint64_t gemm_fold_cycles(uint32_t m, uint32_t rows, uint32_t cols);

}  // namespace epochcore::timing
