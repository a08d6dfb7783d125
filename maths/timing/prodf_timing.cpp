#include "epochcore/maths/timing/prodf_timing.h"

#include <algorithm>
#include <numeric>
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

uint32_t bank_access_cycles(const std::vector<uint64_t>& words, const FeedGeometry& g, uint32_t accesses) {
  if (words.empty()) return 0;
  std::vector<uint32_t> load(g.banks, 0);
  uint32_t busiest = 0;
  for (uint64_t w : words) busiest = std::max(busiest, ++load[w % g.banks]);
  return (busiest * accesses + g.ports - 1) / g.ports;
}

namespace {
// Segment i of a mixed pass: its row, length and direction.
struct MixedSeg {
  bool rev;
  uint64_t row, len;
  bool backward;
  int64_t partner;
  uint64_t element(uint64_t k) const { return backward ? len - 1 - k : k; }
  uint64_t step_of(uint64_t e) const { return e >= len ? ~uint64_t(0) : backward ? len - 1 - e : e; }
};
MixedSeg mixed_seg(const SsmPassShape& s, uint32_t i) {
  const uint32_t n_fwd = s.n_seg - s.n_rev;
  MixedSeg m;
  m.rev = i >= n_fwd;
  m.row = m.rev ? i - n_fwd : i;
  m.len = m.rev ? (s.rev_length ? s.rev_length : s.length) : s.length;
  m.backward = s.reverse != m.rev;
  m.partner = m.rev ? (m.row < n_fwd ? int64_t(m.row) : -1) : (m.row < s.n_rev ? int64_t(n_fwd + m.row) : -1);
  return m;
}
}  // namespace

bool mixed_adds(const SsmPassShape& s, uint32_t i, uint64_t k) {
  if (s.accumulate) return true;
  const MixedSeg m = mixed_seg(s, i);
  if (m.partner < 0) return false;
  const uint64_t kp = mixed_seg(s, uint32_t(m.partner)).step_of(m.element(k));
  return kp < k || (kp == k && m.partner < int64_t(i));
}

void mixed_beat_words(const SsmPassShape& s, uint32_t depth, uint64_t b, std::vector<uint64_t>* in_words,
                      std::vector<uint64_t>* out_words) {
  in_words->clear();
  out_words->clear();
  const uint32_t n_fwd = s.n_seg - s.n_rev;
  const uint64_t L = s.length, R = s.rev_length ? s.rev_length : s.length;
  const uint64_t iw = s.in_addr / 4, is = s.in_stride / 4, ow = s.out_addr / 4, os = s.out_stride / 4;
  const uint64_t k = b + 1 - depth;  // the step emitted this beat (when b >= depth - 1)
  const bool emitting = b + 1 >= depth;
  for (uint32_t i = 0; i < s.n_seg; ++i) {
    const bool rev = i >= n_fwd;
    const uint64_t row = rev ? i - n_fwd : i, len = rev ? R : L;
    const bool backward = s.reverse != rev;
    const uint64_t in_base = iw + row * is + (rev ? s.rev_in_offset / 4 : 0), out_base = ow + row * os;
    if (b < len) in_words->push_back(in_base + (backward ? len - 1 - b : b));
    if (emitting && k < len) {
      const uint64_t w = out_base + (backward ? len - 1 - k : k);
      out_words->push_back(w);
      if (mixed_adds(s, i, k)) out_words->push_back(w);  // read-modify-write
    }
  }
}

// A mixed-direction pass: a forward and a reversed address run through the banks in
// opposite directions, so a beat's busiest bank depends on the beat. It depends on it
// only through b mod banks (every word is base +- b), on which groups feed and emit
// (fixed between L, R, depth-1, L+depth-1, R+depth-1) and on whether the partnered
// forward and reversed segments write or add (which changes where the two cross a row:
// found by a scan over the steps, two comparisons each): each interval between these
// boundaries is costed once per residue of b modulo lcm(in banks, out banks).
static void ssm_pass_mixed(const SsmPassShape& s, const FeedGeometry& in, const FeedGeometry& out,
                           SsmPassTiming* t) {
  const uint64_t L = s.length, R = s.rev_length ? s.rev_length : s.length, D = t->depth;
  std::vector<uint64_t> cuts = {0, L, R, D - 1, L + D - 1, R + D - 1, t->beats};
  const uint32_t n_fwd = s.n_seg - s.n_rev;
  if (!s.accumulate && n_fwd > 0 && s.n_rev > 0) {  // partnered rows: segment 0 and n_fwd
    bool prev_f = false, prev_r = false;
    for (uint64_t k = 0; k < L; ++k) {
      const bool f = mixed_adds(s, 0, k), r = k < R && mixed_adds(s, n_fwd, k);
      if (k == 0 || f != prev_f || r != prev_r) cuts.push_back(k + D - 1);
      prev_f = f;
      prev_r = r;
    }
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  const uint64_t period = std::lcm<uint64_t>(in.banks, out.banks);
  std::vector<uint64_t> iw, ow;
  uint32_t in_max = 0, out_max = 0;
  for (size_t c = 0; c + 1 < cuts.size(); ++c) {
    const uint64_t lo = cuts[c], hi = std::min(cuts[c + 1], t->beats);
    if (lo >= hi) continue;
    for (uint64_t b = lo; b < hi && b < lo + period; ++b) {
      const uint64_t count = (hi - 1 - b) / period + 1;  // beats b, b + period, ... < hi
      mixed_beat_words(s, uint32_t(D), b, &iw, &ow);
      const uint32_t ic = bank_access_cycles(iw, in), oc = bank_access_cycles(ow, out);
      in_max = std::max(in_max, ic);
      out_max = std::max(out_max, oc);
      const uint64_t cycles = std::max<uint64_t>({1, ic, oc});
      const uint64_t stall_in = ic > 1 ? ic - 1 : 0;
      t->cycles += count * cycles;
      t->stall_input += count * stall_in;
      t->stall_output += count * (cycles - 1 - stall_in);
    }
  }
  t->in_cost = in_max;
  t->out_cost = out_max;
  t->active_pe_cycles = (uint64_t(s.n_seg - s.n_rev) * L + uint64_t(s.n_rev) * R) * s.seg_len;
}

SsmPassTiming ssm_pass(const SsmPassShape& s, const FeedGeometry& in, const FeedGeometry& out) {
  SsmPassTiming t;
  t.depth = s.segments ? s.seg_len : s.cols;
  if (s.n_rev > 0) {
    t.beats = uint64_t(s.length) + t.depth - 1;
    ssm_pass_mixed(s, in, out, &t);
    return t;
  }
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
                            uint32_t n_seg, uint32_t seg_len, uint32_t n_rev) {
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
  s.reverse = run.flags & cmd::FLAG_REVERSE;
  s.n_rev = n_rev;
  s.rev_length = run.rev_length;
  s.rev_in_offset = run.rev_in_offset;
  return s;
}

namespace {

// Bank loads of one beat of a RUN_SCAN, from the addresses (independent of the array's
// own counting, which the tests compare with this).
class ScanCoster {
 public:
  ScanCoster(const ScanPassShape& s, const FeedGeometry& in, const FeedGeometry& param,
             const FeedGeometry& out)
      : s_(s), in_(in), param_(param), out_(out),
        in_load_(in.banks, 0), param_load_(param.banks, 0), out_load_(out.banks, 0) {
    depth_ = s.segments ? s.seg_len : s.cols;
  }
  struct Cost {
    uint64_t cycles = 0, stall_in = 0, stall_coef = 0, stall_out = 0;
    Cost& operator+=(const Cost& o) {
      cycles += o.cycles; stall_in += o.stall_in; stall_coef += o.stall_coef; stall_out += o.stall_out;
      return *this;
    }
    Cost times(uint64_t n) const { return {cycles * n, stall_in * n, stall_coef * n, stall_out * n}; }
  };
  Cost at(uint64_t b) {
    const uint64_t L = s_.length, S = s_.seg_len, D = depth_;
    uint32_t in_max = 0, coef_max = 0, out_max = 0;
    std::fill(in_load_.begin(), in_load_.end(), 0);
    std::fill(param_load_.begin(), param_load_.end(), 0);
    std::fill(out_load_.begin(), out_load_.end(), 0);
    auto add = [](std::vector<uint32_t>& load, uint32_t& mx, uint64_t word) {
      mx = std::max(mx, ++load[word % load.size()]);
    };
    if (b < L)
      for (uint64_t i = 0; i < s_.n_seg; ++i) {
        add(in_load_, in_max, s_.u_addr / 4 + i * s_.in_stride_words + b);
        add(in_load_, in_max, s_.dt_addr / 4 + i * s_.in_stride_words + b);
      }
    if (b + 1 < L + S) {
      const uint64_t lo = b + 1 > L ? b + 1 - L : 0, hi = std::min<uint64_t>(S - 1, b);
      for (uint64_t j = lo; j <= hi; ++j) {
        const uint64_t w = s_.coef_addr / 4 + (b - j) * (s_.coef_stride / 4) + j;
        if (s_.coef_in_input) {
          add(in_load_, in_max, w);
          add(in_load_, in_max, w + S);
        } else {
          add(param_load_, coef_max, w);
          add(param_load_, coef_max, w + S);
        }
      }
    }
    if (b + 1 >= D && b + 1 - D < L)
      for (uint64_t i = 0; i < s_.n_seg; ++i)
        add(out_load_, out_max, s_.out_addr / 4 + i * s_.out_stride_words + (b + 1 - D));
    const uint64_t in_c = (in_max + in_.ports - 1) / in_.ports;
    const uint64_t coef_c = (coef_max + param_.ports - 1) / param_.ports;
    const uint64_t out_c = (out_max * (s_.accumulate ? 2 : 1) + out_.ports - 1) / out_.ports;
    const uint64_t a = std::max<uint64_t>(1, in_c), ac = std::max(a, coef_c);
    const uint64_t cycles = std::max(ac, out_c);
    return {cycles, a - 1, ac - a, cycles - ac};
  }

 private:
  const ScanPassShape& s_;
  FeedGeometry in_, param_, out_;
  uint64_t depth_ = 0;
  std::vector<uint32_t> in_load_, param_load_, out_load_;
};

}  // namespace

ScanPassTiming scan_pass(const ScanPassShape& s, const FeedGeometry& in, const FeedGeometry& param,
                         const FeedGeometry& out) {
  ScanPassTiming t;
  t.depth = s.segments ? s.seg_len : s.cols;
  const uint64_t L = s.length, S = s.seg_len, D = t.depth;
  t.beats = L + D - 1;
  t.active_pe_cycles = uint64_t(s.n_seg) * S * L;
  t.coeff_words = 2 * S * L;
  ScanCoster coster(s, in, param, out);
  // Phases of constant structure: feeding while b < L, draining while b >= D-1, the
  // coefficient columns [max(0, b-L+1), min(S-1, b)] while b < L+S-1. Between these
  // breakpoints, where the coefficient column range is fixed (b in [S-1, L), or past
  // L+S-1), every address moves by a fixed step per beat: the u, Delta and output words
  // by one, the coefficient words by coef_stride/4. Each scratchpad's busiest bank is
  // then the same at every beat, except when the coefficient words share the input
  // scratchpad, where the pattern repeats every `banks` beats. The fill (b < S-1) and
  // drain (L <= b < L+S-1) beats, where the range grows or shrinks, are summed one by one.
  std::vector<uint64_t> cuts = {0, S - 1, L, D - 1, L + S - 1, t.beats};
  for (uint64_t& c : cuts) c = std::min(c, t.beats);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  const uint64_t period = s.coef_in_input ? in.banks : 1;
  ScanCoster::Cost total;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    const uint64_t b0 = cuts[i], b1 = cuts[i + 1], n = b1 - b0;
    const bool varying = b0 < S - 1 || (b0 >= L && b0 < L + S - 1);
    if (varying || n <= period) {
      for (uint64_t b = b0; b < b1; ++b) total += coster.at(b);
      continue;
    }
    ScanCoster::Cost one_period, head;
    for (uint64_t r = 0; r < period; ++r) {
      const ScanCoster::Cost c = coster.at(b0 + r);
      one_period += c;
      if (r < n % period) head += c;
    }
    total += one_period.times(n / period);
    total += head;
  }
  t.cycles = total.cycles;
  t.stall_input = total.stall_in;
  t.stall_coeff = total.stall_coef;
  t.stall_output = total.stall_out;
  return t;
}

ScanPassShape scan_pass_shape(const cmd::RunScan& run, uint32_t rows, uint32_t cols, bool segments,
                              uint32_t n_seg, uint32_t seg_len) {
  ScanPassShape s;
  s.rows = rows;
  s.cols = cols;
  s.segments = segments;
  s.n_seg = n_seg;
  s.seg_len = seg_len;
  s.length = run.length;
  s.u_addr = run.u_addr;
  s.dt_addr = run.dt_addr;
  s.in_stride_words = run.in_stride;
  s.out_addr = run.out_addr;
  s.out_stride_words = run.out_stride;
  s.accumulate = run.flags & cmd::FLAG_ACCUMULATE;
  s.coef_in_input = run.coef_spad == cmd::SpadId::INPUT;
  s.coef_addr = run.coef_addr;
  s.coef_stride = run.coef_stride;
  return s;
}

ScanFeedBandwidth scan_feed_bandwidth(uint32_t rows, uint32_t cols, bool segments, uint32_t seg_len) {
  ScanFeedBandwidth b;
  const uint64_t spr = segments ? cols / seg_len : 1;
  b.north_feed_words = 2ull * seg_len;
  b.per_pe_words = 2ull * rows * spr * seg_len;
  return b;
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
