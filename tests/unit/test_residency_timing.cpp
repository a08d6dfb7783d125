// The closed form of partial residency's savings (maths/timing/residency_timing.h); the
// end-to-end test "partial residency" checks it against the simulated DMA counters.
#include <catch2/catch.hpp>

#include "epochcore/maths/timing/residency_timing.h"

using namespace epochcore;
using namespace epochcore::timing;

TEST_CASE("residency closed form: resident channels per sequence", "[residency]") {
  CHECK(resident_channels(0, 8, 0) == 0);
  CHECK(resident_channels(5, 8, 0) == 5);
  CHECK(resident_channels(5, 8, 1) == 0);
  CHECK(resident_channels(13, 8, 0) == 8);
  CHECK(resident_channels(13, 8, 1) == 5);
  CHECK(resident_channels(16, 8, 1) == 8);
  CHECK(resident_channels(16, 8, 2) == 0);
}

TEST_CASE("residency closed form: S4D activation bytes per streamed item", "[residency]") {
  // One pass, unidirectional: z in, s out, L steps each.
  CHECK(ssm_item_activation_bytes(100, 1, false, false) == 4 * 200);
  // Two passes: the second fetches the partial sums too.
  CHECK(ssm_item_activation_bytes(100, 2, false, false) == 4 * (400 + 100));
  // Bidirectional: backward runs over L-1 steps fetch input and partial sums, store output.
  CHECK(ssm_item_activation_bytes(100, 1, true, false) == 4 * (200 + 3 * 99));
  // Mixed (per-segment direction): both halves in the forward runs.
  CHECK(ssm_item_activation_bytes(100, 1, true, true) == 4 * 200);
}

TEST_CASE("residency closed form: tiles as the compiler cuts them", "[residency]") {
  // docs/model-compiler.md's example: L = 36, T = 16, N = 8, two sequences, with the ramp.
  const std::vector<TileWidth> t = stage_tiles(2, 36, 16, 8, {36, 36}, false, true);
  const uint32_t widths[] = {8, 8, 16, 4, 16, 16, 4};
  REQUIRE(t.size() == 7);
  for (size_t i = 0; i < 7; ++i) {
    CHECK(t[i].width == widths[i]);
    CHECK(t[i].q == (i < 4 ? 0u : 1u));
  }
  // The last block pools only the valid steps: n-blocks past the length are left out.
  const std::vector<TileWidth> p = stage_tiles(1, 36, 16, 8, {20}, true, false);
  REQUIRE(p.size() == 2);
  CHECK(p[0].width == 16);
  CHECK(p[1].width == 8);
}

TEST_CASE("residency closed form: bytes and DMA cycles saved", "[residency]") {
  ResidencyShape s;
  s.H = 8;
  s.L = 36;
  s.S = 2;
  s.layers = 3;
  s.resident_rows = 12;  // sequence 0 whole, 4 channels of sequence 1
  s.enc_T = 16;
  s.tail_T = 16;
  s.tail_N = 8;
  s.lengths = {36, 20};
  const DmaParams dma{64, 8, 1024, 16};
  DmaPath path;
  path.mem_latency_ns = 40;
  path.mem_bytes_per_ns = 32;
  path.spad_banks = 512;
  const ResidencySavings r = partial_residency_savings(s, dma, path, path);
  CHECK(r.encoder_bytes == 4ull * 12 * 36);
  CHECK(r.ssm_bytes == 12ull * 4 * 72);
  CHECK(r.tail_bytes == 8ull * 12 * 36);
  // Last tail: sequence 0 all 36 steps (8 channels), sequence 1 the 24 steps up to its
  // length rounded to whole n-blocks (4 channels).
  CHECK(r.last_tail_bytes == 4ull * (8 * 36 + 4 * 24));
  CHECK(r.total_bytes(3) == r.encoder_bytes + 3 * r.ssm_bytes + 2 * r.tail_bytes + r.last_tail_bytes);
  // Sequence 0's z transfers vanish (their setup too), sequence 1's lose 4 of 8 rows.
  cmd::DmaDesc d;
  d.sys_stride = 4 * 36;
  auto tr = [&](uint32_t w, uint32_t rows) {
    d.row_bytes = d.spad_stride = 4 * w;
    d.rows = rows;
    return dma_transfer_cycles(d, dma, path);
  };
  const uint64_t enc = tr(16, 8) + tr(16, 8) + tr(4, 8) + (tr(16, 8) - tr(16, 4)) * 2 + (tr(4, 8) - tr(4, 4));
  CHECK(r.encoder_dma_cycles == enc);
  CHECK(r.encoder_dma_cycles > 0);
  CHECK(r.tail_dma_cycles > r.last_tail_dma_cycles);
}
