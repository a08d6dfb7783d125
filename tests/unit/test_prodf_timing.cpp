#include <catch2/catch.hpp>

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
