#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "epochcore/maths/timing/prodf_timing.h"

using namespace epochcore::timing;

static SsmPassShape shape(uint32_t n_seg, uint32_t seg_len, uint32_t L, uint32_t stride_words) {
  SsmPassShape s;
  s.rows = 4;
  s.cols = 8;
  s.segments = true;
  s.n_seg = n_seg;
  s.seg_len = seg_len;
  s.length = L;
  s.in_stride = s.out_stride = stride_words * 4;
  return s;
}

TEST_CASE("bank model counts the busiest bank", "[timing]") {
  const FeedGeometry g{4, 1};
  CHECK(bank_access_cycles(0, 1, 4, g) == 1);   // one word per bank
  CHECK(bank_access_cycles(0, 4, 4, g) == 4);   // all in bank 0
  CHECK(bank_access_cycles(0, 2, 4, g) == 2);   // banks 0,2,0,2
  CHECK(bank_access_cycles(0, 5, 8, g) == 2);   // stride % banks == 1: 2 words per bank
  CHECK(bank_access_cycles(3, 1, 5, g) == 2);
  CHECK(bank_access_cycles(0, 4, 4, FeedGeometry{4, 2}) == 2);
  CHECK(bank_access_cycles(0, 1, 4, g, 2) == 2);   // read-modify-write
  CHECK(bank_access_cycles(0, 1, 4, FeedGeometry{4, 2}, 2) == 1);
  CHECK(bank_access_cycles(0, 1, 0, g) == 0);
}

TEST_CASE("a pass without stalls takes L + depth - 1 cycles", "[timing]") {
  const FeedGeometry wide{64, 1};
  SsmPassShape s = shape(16, 2, 100, 101);
  SsmPassTiming t = ssm_pass(s, wide, wide);
  CHECK(t.depth == 2);
  CHECK(t.beats == 101);
  CHECK(t.cycles == 101);
  CHECK(t.stall_input == 0);
  CHECK(t.stall_output == 0);
  CHECK(t.active_pe_cycles == 16u * 2 * 100);
  s.segments = false;  // output at the east edge: depth = cols
  s.n_seg = 4;
  t = ssm_pass(s, wide, wide);
  CHECK(t.depth == 8);
  CHECK(t.cycles == 107);
}

TEST_CASE("narrow feeds stall each beat by the bank load", "[timing]") {
  // 8 segments, 2 banks, stride 9 words: 4 words per bank -> 4 cycles per input beat.
  SsmPassShape s = shape(8, 4, 10, 9);
  const FeedGeometry narrow{2, 1}, wide{64, 1};
  SsmPassTiming t = ssm_pass(s, narrow, wide);
  CHECK(t.in_cost == 4);
  CHECK(t.out_cost == 1);
  // Beats 0..12: inputs on beats 0..9 (4 cycles each), outputs only on 10..12.
  CHECK(t.cycles == 10 * 4 + 3);
  CHECK(t.stall_input == 30);
  CHECK(t.stall_output == 0);
  // Output-bound instead, with accumulate: 8 words * 2 accesses over 2 banks = 8 cycles.
  t = ssm_pass([&] { auto x = s; x.accumulate = true; return x; }(), wide, narrow);
  CHECK(t.out_cost == 8);
  // Beats 0..2 input only (1 cycle), beats 3..12 emit (8 cycles).
  CHECK(t.cycles == 3 + 10 * 8);
  CHECK(t.stall_input == 0);
  CHECK(t.stall_output == 70);
}

TEST_CASE("short sequences: the pipeline is longer than L", "[timing]") {
  const FeedGeometry g{1, 1};
  SsmPassShape s = shape(2, 8, 3, 3);  // depth 8, L 3, 2 words per beat in one bank
  SsmPassTiming t = ssm_pass(s, g, g);
  CHECK(t.beats == 10);
  // beats 0..2 input (2 cycles), 3..6 neither (1), 7..9 output (2)
  CHECK(t.cycles == 3 * 2 + 4 + 3 * 2);
}

TEST_CASE("coefficient load time", "[timing]") {
  CHECK(load_coeffs_cycles(16, 2, 8, FeedGeometry{8, 1}) == 32);  // 256 words / 8
  CHECK(load_coeffs_cycles(1, 1, 8, FeedGeometry{8, 1}) == 8);    // the shift along the row
}

// A brute-force costing of a mixed-direction pass, beat by beat, from the definition in
// docs/commands.md (no periodicity used).
static SsmPassTiming brute_mixed(const SsmPassShape& s, const FeedGeometry& in, const FeedGeometry& out) {
  SsmPassTiming t;
  const uint64_t D = s.segments ? s.seg_len : s.cols, L = s.length, R = s.rev_length ? s.rev_length : L;
  const uint32_t n_fwd = s.n_seg - s.n_rev;
  t.beats = L + D - 1;
  std::set<uint64_t> touched;  // output words written so far in the pass
  for (uint64_t b = 0; b < t.beats; ++b) {
    std::vector<uint32_t> in_load(in.banks), out_load(out.banks);
    for (uint32_t i = 0; i < s.n_seg; ++i) {
      const bool rev = i >= n_fwd;
      const uint64_t row = rev ? i - n_fwd : i, len = rev ? R : L;
      const bool back = rev != s.reverse;
      if (b < len)
        ++in_load[(s.in_addr / 4 + row * (s.in_stride / 4) + (rev ? s.rev_in_offset / 4 : 0) +
                   (back ? len - 1 - b : b)) % in.banks];
      if (b + 1 >= D && b + 1 - D < len) {
        const uint64_t k = b + 1 - D;
        const uint64_t w = s.out_addr / 4 + row * (s.out_stride / 4) + (back ? len - 1 - k : k);
        // The first write of the pass to a word is a plain write; later ones (and every
        // one when accumulating) read-modify-write.
        out_load[w % out.banks] += s.accumulate || touched.count(w) ? 2 : 1;
        touched.insert(w);
      }
    }
    const uint32_t bi = *std::max_element(in_load.begin(), in_load.end());
    const uint32_t bo = *std::max_element(out_load.begin(), out_load.end());
    const uint64_t ic = (bi + in.ports - 1) / in.ports, oc = (bo + out.ports - 1) / out.ports;
    const uint64_t c = std::max<uint64_t>({1, ic, oc});
    t.cycles += c;
    t.stall_input += ic > 1 ? ic - 1 : 0;
  }
  t.stall_output = t.cycles - t.beats - t.stall_input;
  return t;
}

TEST_CASE("mixed directions: the closed form equals a beat-by-beat count", "[timing][segdir]") {
  struct G { uint32_t in_banks, out_banks, ports; };
  uint32_t seed = 12345;
  auto rnd = [&](uint32_t n) { seed = seed * 1103515245u + 12345u; return (seed >> 8) % n; };
  for (const G g : {G{4, 4, 1}, G{8, 4, 1}, G{3, 5, 2}, G{1, 1, 1}, G{32, 32, 1}}) {
    for (int trial = 0; trial < 40; ++trial) {
      SsmPassShape s;
      s.rows = 4;
      s.cols = 8;
      s.segments = rnd(4) != 0;
      s.seg_len = 1 + rnd(8);
      s.n_seg = 1 + rnd(s.segments ? 4 * (8 / s.seg_len) : 4);
      s.n_rev = 1 + rnd(s.n_seg);
      s.length = 1 + rnd(70);
      s.rev_length = rnd(s.length + 1);
      s.rev_in_offset = 4 * rnd(3);
      s.in_addr = 4 * rnd(10);
      s.out_addr = 4 * rnd(10);
      s.in_stride = 4 * (s.length + 2 + rnd(9));
      s.out_stride = 4 * (s.length + rnd(9));
      s.reverse = rnd(2);
      s.accumulate = rnd(2);
      const FeedGeometry in{g.in_banks, g.ports}, out{g.out_banks, g.ports};
      const SsmPassTiming want = brute_mixed(s, in, out), got = ssm_pass(s, in, out);
      INFO("banks " << g.in_banks << "/" << g.out_banks << " ports " << g.ports << " n_seg " << s.n_seg
                    << " n_rev " << s.n_rev << " S " << s.seg_len << " L " << s.length << " R " << s.rev_length
                    << (s.segments ? " seg" : " noseg"));
      CHECK(got.beats == want.beats);
      CHECK(got.cycles == want.cycles);
      CHECK(got.stall_input == want.stall_input);
      CHECK(got.stall_output == want.stall_output);
      const uint64_t R = s.rev_length ? s.rev_length : s.length;
      CHECK(got.active_pe_cycles == (uint64_t(s.n_seg - s.n_rev) * s.length + uint64_t(s.n_rev) * R) * s.seg_len);
    }
  }
}

TEST_CASE("mixed directions: all segments reversed costs a FLAG_REVERSE accumulating pass", "[timing][segdir]") {
  for (uint32_t banks : {1u, 4u, 7u}) {
    SsmPassShape s = shape(6, 2, 45, 48);  // stride a multiple of 4: conflicts in 4 banks
    s.n_rev = 6;
    SsmPassShape uni = s;
    uni.n_rev = 0;
    uni.reverse = true;
    // no partners on any row: every output is a first (plain) write
    const FeedGeometry g{banks, 1};
    const SsmPassTiming a = ssm_pass(s, g, g), b = ssm_pass(uni, g, g);
    CHECK(a.cycles == b.cycles);
    CHECK(a.stall_input == b.stall_input);
    CHECK(a.stall_output == b.stall_output);
  }
  // Mixed directions on one bank: every beat's words share it; the feed costs n_seg per beat
  // while all segments feed.
  SsmPassShape s = shape(4, 2, 10, 10);
  s.n_rev = 2;
  const SsmPassTiming t = ssm_pass(s, FeedGeometry{1, 1}, FeedGeometry{1, 1});
  CHECK(t.beats == 11);
  // beat 0: 4 inputs; beats 1..5 (steps 0..4): 4 inputs, 4 first writes; beats 6..10
  // (steps 5..9): every output is the row's second arrival, a read-modify-write: 8.
  CHECK(t.cycles == 4 + 5 * 4 + 5 * 8);
}
