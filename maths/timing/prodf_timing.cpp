#include "epochcore/maths/timing/prodf_timing.h"

#include <algorithm>
#include <vector>

#include "epochcore/maths/baseline/ws_timing.h"

namespace epochcore::timing {

uint32_t bank_access_cycles(uint64_t base_word, uint64_t stride_words, uint32_t n,
                            const FeedGeometry& g, uint32_t accesses) {
  if (n == 0) return 0;
  std::vector<uint32_t> load(g.banks, 0);
  uint32_t busiest = 0;
  for (uint32_t i = 0; i < n; ++i)
    busiest = std::max(busiest, ++load[(base_word + i * stride_words) % g.banks]);
  return (busiest * accesses + g.ports - 1) / g.ports;
}

SsmPassTiming ssm_pass(const SsmPassShape& s, const FeedGeometry& in, const FeedGeometry& out) {
  SsmPassTiming t;
  t.depth = s.segments ? s.seg_len : s.cols;
  const uint64_t L = s.length, D = t.depth;
  t.beats = L + D - 1;
  // The busiest bank's load is the same at every beat: step k shifts every address by
  // one word, which rotates the banks.
  t.in_cost = bank_access_cycles(s.in_addr / 4, s.in_stride / 4, s.n_seg, in);
  t.out_cost = bank_access_cycles(s.out_addr / 4, s.out_stride / 4, s.n_seg, out,
                                  s.accumulate ? 2 : 1);
  const uint64_t a = std::max<uint64_t>(1, t.in_cost), o = std::max<uint64_t>(1, t.out_cost);
  // Beat b consumes an input while b < L and emits an output while b >= D - 1.
  const uint64_t in_only = std::min(L, D - 1);
  const uint64_t both = L > D - 1 ? L - (D - 1) : 0;
  const uint64_t neither = D - 1 > L ? D - 1 - L : 0;
  const uint64_t out_only = t.beats - in_only - both - neither;
  t.cycles = in_only * a + both * std::max(a, o) + neither + out_only * o;
  t.stall_input = (in_only + both) * (a - 1);
  t.stall_output = t.cycles - t.beats - t.stall_input;
  t.active_pe_cycles = uint64_t(s.n_seg) * s.seg_len * L;
  return t;
}

SsmPassShape ssm_pass_shape(const cmd::RunSsm& run, uint32_t rows, uint32_t cols, bool segments,
                            uint32_t n_seg, uint32_t seg_len) {
  SsmPassShape s;
  s.rows = rows;
  s.cols = cols;
  s.segments = segments;
  s.n_seg = n_seg;
  s.seg_len = seg_len;
  s.length = run.length;
  s.in_addr = run.in_addr;
  s.in_stride = run.in_stride;
  s.out_addr = run.out_addr;
  s.out_stride = run.out_stride;
  s.accumulate = run.flags & cmd::FLAG_ACCUMULATE;
  return s;
}

uint64_t load_coeffs_cycles(uint32_t n_seg, uint32_t seg_len, uint32_t cols,
                            const FeedGeometry& param) {
  const uint64_t words = uint64_t(n_seg) * seg_len * 8;
  const uint64_t per_cycle = uint64_t(param.banks) * param.ports;
  return std::max<uint64_t>(cols, (words + per_cycle - 1) / per_cycle);
}

uint64_t gemm_fold_cycles(uint32_t m, uint32_t rows, uint32_t cols) {
  return baseline::ws_fold_cycles(m, rows, cols);
}

}  // namespace epochcore::timing
