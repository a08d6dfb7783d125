// The TPU-like baseline: SCALE-Sim's WS closed form, the cycle-stepped array that must
// agree with it, and the S4D layer costs (docs/baseline.md).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include "epochcore/maths/baseline/ssm_baseline_timing.h"
#include "epochcore/maths/baseline/ws_array_math.h"
#include "epochcore/maths/baseline/ws_timing.h"

using namespace epochcore::baseline;

namespace {

// K-blocked float reference in the array's order: a fresh partial sum per R rows of K,
// added to the output in fold order.
std::vector<float> blocked_gemm(const std::vector<float>& a, const std::vector<float>& w,
                                uint32_t M, uint32_t N, uint32_t K, uint32_t R) {
  std::vector<float> out(size_t(M) * N, 0.0f);
  for (uint32_t m = 0; m < M; ++m)
    for (uint32_t n = 0; n < N; ++n)
      for (uint32_t k0 = 0; k0 < K; k0 += R) {
        float p = 0.0f;
        for (uint32_t k = k0; k < std::min(K, k0 + R); ++k) p = p + a[m * K + k] * w[k * N + n];
        out[m * N + n] = k0 == 0 ? p : out[m * N + n] + p;
      }
  return out;
}

struct Expect {
  uint64_t folds = 0, serial = 0, mac = 0, wl = 0, in = 0, outw = 0, psum = 0;
};

void check_tally(const FoldTally& t, const Expect& e) {
  CHECK(t.folds == e.folds);
  CHECK(t.serial_cycles == e.serial);
  CHECK(t.mac_ops == e.mac);
  CHECK(t.weight_loads == e.wl);
  CHECK(t.input_reads == e.in);
  CHECK(t.output_writes == e.outw);
  CHECK(t.psum_reads == e.psum);
}

// Enumerates every R x C tile of a rows x cols mask and counts the non-zero ones.
template <class NonZero>
Expect brute_force_tiles(uint64_t rows, uint64_t cols, uint64_t m, uint32_t R, uint32_t C,
                         NonZero nonzero) {
  Expect e;
  for (uint64_t c0 = 0; c0 < cols; c0 += C) {
    const uint64_t n = std::min<uint64_t>(C, cols - c0);
    uint64_t tiles = 0;
    for (uint64_t r0 = 0; r0 < rows; r0 += R) {
      const uint64_t k = std::min<uint64_t>(R, rows - r0);
      bool any = false;
      for (uint64_t r = r0; r < r0 + k && !any; ++r)
        for (uint64_t c = c0; c < c0 + n && !any; ++c) any = nonzero(r, c);
      if (!any) continue;
      ++tiles;
      e.serial += 2 * R + C + m - 2;
      e.mac += m * k * n;
      e.wl += k * n;
      e.in += m * k;
      e.outw += m * n;
    }
    e.folds += tiles;
    if (tiles) e.psum += m * n * (tiles - 1);
  }
  return e;
}

BaselineConfig small_config() {
  BaselineConfig cfg;
  cfg.rows = cfg.cols = 4;
  cfg.vector_lanes = 4;
  return cfg;
}

SsmShape shape(uint32_t H, uint32_t M, uint32_t L, bool bidirectional, uint32_t B = 1) {
  SsmShape s;
  s.B = B;
  s.H = H;
  s.M = M;
  s.L = L;
  s.bidirectional = bidirectional;
  return s;
}

}  // namespace

TEST_CASE("ws_gemm reproduces SCALE-Sim's published WS examples", "[baseline]") {
  const GemmTiming a = ws_gemm(64, 64, 64, 16, 16);
  CHECK(a.folds == 16);
  CHECK(a.cycles == 1760);
  CHECK(a.reported_cycles == 1759);
  const GemmTiming b = ws_gemm(256, 128, 256, 32, 32);
  CHECK(b.folds == 32);
  CHECK(b.reported_cycles == 11199);
  CHECK(b.mac_ops == 256ull * 128 * 256);
  CHECK(b.utilization == Approx(double(b.mac_ops) / (32.0 * 32 * 11200)));
}

TEST_CASE("ws_gemm counts on partial folds follow SCALE-Sim", "[baseline]") {
  // M=5, N=7, K=3 on 4x4: one row fold (K < R), two column folds (3 columns idle in
  // the second); every fold costs 2R + C + M - 2 = 15 anyway.
  const GemmTiming t = ws_gemm(5, 7, 3, 4, 4);
  CHECK(t.folds == 2);
  CHECK(t.cycles == 30);
  CHECK(t.reported_cycles == 29);
  CHECK(t.mac_ops == 105);
  CHECK(t.pe_busy_cycles == 105);
  CHECK(t.weight_loads == 21);    // K*N
  CHECK(t.input_reads == 30);     // M*K per column fold
  CHECK(t.output_writes == 35);   // M*N per row fold
  CHECK(t.psum_reads == 0);
  CHECK(ws_gemm(5, 7, 3, 4, 4, true).cycles == 30 - 4);

  // K = 9 on R = 4: three row folds, outputs written three times, read back twice.
  const GemmTiming k = ws_gemm(2, 3, 9, 4, 4);
  CHECK(k.folds == 3);
  CHECK(k.cycles == 3 * (8 + 4 + 2 - 2));
  CHECK(k.output_writes == 18);
  CHECK(k.psum_reads == 12);
  CHECK(k.input_reads == 18);
  // M = 1: the fill and drain dominate.
  CHECK(ws_gemm(1, 16, 16, 16, 16).cycles == 32 + 16 + 1 - 2);
  // Overlap hides R cycles per fold boundary.
  CHECK(ws_gemm(64, 64, 64, 16, 16, true).cycles == 1760 - 15 * 16);
}

TEST_CASE("ws_gemm rejects zero sizes naming the parameter", "[baseline]") {
  CHECK_THROWS_WITH(ws_gemm(0, 4, 4, 4, 4), Catch::Contains("M"));
  CHECK_THROWS_WITH(ws_gemm(4, 0, 4, 4, 4), Catch::Contains("N"));
  CHECK_THROWS_WITH(ws_gemm(4, 4, 0, 4, 4), Catch::Contains("K"));
  CHECK_THROWS_WITH(ws_gemm(4, 4, 4, 0, 4), Catch::Contains("R (array rows)"));
  CHECK_THROWS_WITH(ws_gemm(4, 4, 4, 4, 0), Catch::Contains("C (array columns)"));
}

TEST_CASE("the stepped WS array matches the closed form and computes the GEMM",
          "[baseline]") {
  struct Case {
    uint32_t M, N, K, R, C;
  };
  const std::vector<Case> cases = {
      {4, 4, 4, 4, 4},   {1, 1, 1, 1, 1},   {1, 5, 3, 4, 4},  {5, 7, 3, 4, 4},
      {3, 4, 9, 4, 4},   {7, 9, 10, 3, 5},  {1, 16, 16, 4, 4}, {6, 3, 2, 1, 4},
      {6, 3, 5, 4, 1},   {2, 13, 17, 8, 3}, {9, 1, 20, 6, 2},  {12, 10, 7, 5, 8},
      {16, 24, 40, 8, 8}, {33, 17, 29, 16, 16}};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  std::uniform_int_distribution<int> small_int(-4, 4);
  for (const Case& c : cases) {
    for (bool overlap : {false, true}) {
      CAPTURE(c.M, c.N, c.K, c.R, c.C, overlap);
      std::vector<float> a(size_t(c.M) * c.K), w(size_t(c.K) * c.N), out;
      for (float& x : a) x = uni(rng);
      for (float& x : w) x = uni(rng);
      const WsArrayRun run = ws_array_gemm(a, w, c.M, c.N, c.K, c.R, c.C, overlap, out);
      const GemmTiming t = ws_gemm(c.M, c.N, c.K, c.R, c.C, overlap);
      CHECK(run.cycles == t.cycles);
      CHECK(run.folds == t.folds);
      CHECK(run.mac_ops == t.mac_ops);
      CHECK(run.weight_loads == t.weight_loads);
      CHECK(run.input_reads == t.input_reads);
      CHECK(run.output_writes == t.output_writes);
      CHECK(run.psum_reads == t.psum_reads);
      // Bit-exact against the same accumulation order, close to a double triple loop.
      CHECK(out == blocked_gemm(a, w, c.M, c.N, c.K, c.R));
      for (uint32_t m = 0; m < c.M; ++m)
        for (uint32_t n = 0; n < c.N; ++n) {
          double ref = 0;
          for (uint32_t k = 0; k < c.K; ++k) ref += double(a[m * c.K + k]) * w[k * c.N + n];
          CHECK(out[m * c.N + n] == Approx(ref).margin(1e-5));
        }
      // Small integers: every sum exact, so any order equals the plain triple loop.
      for (float& x : a) x = float(small_int(rng));
      for (float& x : w) x = float(small_int(rng));
      ws_array_gemm(a, w, c.M, c.N, c.K, c.R, c.C, overlap, out);
      bool exact = true;
      for (uint32_t m = 0; m < c.M; ++m)
        for (uint32_t n = 0; n < c.N; ++n) {
          float ref = 0;
          for (uint32_t k = 0; k < c.K; ++k) ref += a[m * c.K + k] * w[k * c.N + n];
          exact = exact && out[m * c.N + n] == ref;
        }
      CHECK(exact);
    }
  }
}

TEST_CASE("the stepped WS array reproduces SCALE-Sim's examples", "[baseline]") {
  std::vector<float> out;
  const WsArrayRun a = ws_array_gemm(std::vector<float>(64 * 64, 1.0f),
                                     std::vector<float>(64 * 64, 1.0f), 64, 64, 64, 16, 16,
                                     false, out);
  CHECK(a.cycles - 1 == 1759);
  CHECK(out[0] == 64.0f);
  const WsArrayRun b = ws_array_gemm(std::vector<float>(256 * 256, 0.5f),
                                     std::vector<float>(256 * 128, 2.0f), 256, 128, 256, 32,
                                     32, false, out);
  CHECK(b.folds == 32);
  CHECK(b.cycles - 1 == 11199);
  CHECK(out[255 * 128 + 127] == 256.0f);
}

TEST_CASE("the stepped WS array rejects bad operands", "[baseline]") {
  std::vector<float> out;
  CHECK_THROWS_WITH(ws_array_gemm({1, 2, 3}, {1, 2}, 2, 1, 2, 2, 2, false, out),
                    Catch::Contains("input operand must hold M*K = 4"));
  CHECK_THROWS_WITH(ws_array_gemm({1, 2, 3, 4}, {1}, 2, 1, 2, 2, 2, false, out),
                    Catch::Contains("weight operand must hold K*N = 2"));
  CHECK_THROWS_AS(ws_array_gemm({}, {}, 0, 1, 1, 2, 2, false, out), std::invalid_argument);
  CHECK_THROWS_AS(ws_array_gemm({1}, {1}, 1, 1, 1, 0, 2, false, out), std::invalid_argument);
}

TEST_CASE("Toeplitz and block-diagonal tallies skip exactly the all-zero tiles",
          "[baseline]") {
  for (uint64_t L : {1, 5, 8, 13, 40})
    for (uint32_t R : {1u, 3u, 4u, 8u})
      for (uint32_t C : {2u, 4u, 5u}) {
        CAPTURE(L, R, C);
        check_tally(toeplitz_tally(L, 3, true, R, C),
                    brute_force_tiles(L, L, 3, R, C, [](uint64_t s, uint64_t t) { return t >= s; }));
        check_tally(toeplitz_tally(L, 2, false, R, C),
                    brute_force_tiles(L, L, 2, R, C, [](uint64_t, uint64_t) { return true; }));
      }
  // Reuse: one fold per distinct tile offset, streaming one segment per tile.
  for (uint64_t L : {1, 5, 8, 13, 40})
    for (uint32_t R : {1u, 3u, 4u, 8u})
      for (uint32_t C : {2u, 4u, 5u})
        for (bool causal : {true, false}) {
          CAPTURE(L, R, C, causal);
          const uint64_t B = 3;
          std::set<int64_t> offsets;
          uint64_t tiles = 0, rows = 0, cols = 0;
          for (uint64_t r0 = 0; r0 < L; r0 += R)
            for (uint64_t c0 = 0; c0 < L; c0 += C) {
              bool any = false;
              for (uint64_t s = r0; s < std::min(L, r0 + R); ++s)
                for (uint64_t t = c0; t < std::min(L, c0 + C); ++t) any = any || !causal || t >= s;
              if (!any) continue;
              offsets.insert(int64_t(c0) - int64_t(r0));
              ++tiles;
              rows += std::min<uint64_t>(R, L - r0);
              cols += std::min<uint64_t>(C, L - c0);
            }
          Expect e;
          e.folds = offsets.size();
          e.serial = offsets.size() * (2 * R + C - 2) + B * tiles;
          e.mac = B * tiles * std::min<uint64_t>(R, L) * std::min<uint64_t>(C, L);
          e.wl = offsets.size() * std::min<uint64_t>(R, L) * std::min<uint64_t>(C, L);
          e.in = B * rows;
          e.outw = B * cols;
          e.psum = B * cols - B * L;
          check_tally(toeplitz_reuse_tally(L, B, causal, R, C), e);
        }
  const std::vector<std::vector<uint32_t>> layouts = {
      {3}, {3, 3, 3, 2, 2, 2}, {5, 5, 5, 5, 4, 4, 4, 4}, {9, 9, 8, 8}, {1, 1, 1, 1, 1, 1, 1}};
  for (const auto& blocks : layouts)
    for (uint32_t R : {2u, 4u, 8u})
      for (uint32_t C : {1u, 2u, 4u}) {
        CAPTURE(blocks.size(), R, C);
        std::vector<uint64_t> owner;  // column of each row
        for (size_t g = 0; g < blocks.size(); ++g) owner.insert(owner.end(), blocks[g], g);
        check_tally(block_diagonal_tally(blocks, 2, R, C),
                    brute_force_tiles(owner.size(), blocks.size(), 2, R, C,
                                      [&](uint64_t r, uint64_t c) { return owner[r] == c; }));
      }
}

TEST_CASE("S4D convolution on the baseline: hand-computed small case", "[baseline]") {
  // 4x4 array, V = 4, B = H = M = 1, L = 8. Kernel GEMM: J = 4, 2 blocks -> one fold
  // streaming 2 rows (12 cycles, 16 MACs). Toeplitz: column block 0 needs row tile 0,
  // block 1 row tiles 0 and 1 -> 3 folds of 11 cycles, 48 MACs. Vector: 4+2+2 complex
  // powers/products and one add = 9 ops -> 3 cycles ahead of the array.
  const BaselineSsmCost c = baseline_s4d_convolution(small_config(), shape(1, 1, 8, false));
  CHECK(c.method == SsmMethod::convolution);
  CHECK(c.folds == 4);
  CHECK(c.array_cycles == 45);
  CHECK(c.vector_cycles == 3);
  CHECK(c.cycles == 48);
  CHECK(c.mac_ops == 64);
  CHECK(c.useful_macs == 36 + 16);
  CHECK(c.vector_complex_ops == 8);
  CHECK(c.vector_real_ops == 1);
  CHECK(c.weight_loads == 48 + 8);
  CHECK(c.kernel_gemm.cycles == 12);
  CHECK(c.main_gemm.cycles == 33);
  CHECK(c.utilization == Approx(64.0 / (16 * 48)));
  CHECK(c.sram.weight_reads == 48 + 6 + 8);
  CHECK(c.sram.weight_writes == 9 + 8 + 5);
  CHECK(c.sram.input_reads == 12 + 4);
  CHECK(c.sram.input_writes == 4 + 8);
  CHECK(c.sram.output_reads == 4 + 8);
  CHECK(c.sram.output_writes == 12);
  CHECK(c.dram_read_bytes == (8 + 5) * 4);
  CHECK(c.dram_write_bytes == 8 * 4);
  CHECK(c.working_set_words == 2 * 4 + 4 + 2 * 8 + 8);  // P, Q, u, y, K

  BaselineConfig overlap = small_config();
  overlap.overlap_weight_load = true;
  CHECK(baseline_s4d_convolution(overlap, shape(1, 1, 8, false)).cycles == 3 + 45 - 3 * 4);

  // Tile reuse: tiles (0,0) and (1,1) share offset 0, (0,1) has offset 4: two folds
  // streaming 2 and 1 segments, 10 + 2 and 10 + 1 cycles.
  BaselineConfig reuse = small_config();
  reuse.toeplitz_tile_reuse = true;
  const BaselineSsmCost ru = baseline_s4d_convolution(reuse, shape(1, 1, 8, false));
  CHECK(ru.main_gemm.cycles == 23);
  CHECK(ru.main_gemm.weight_loads == 32);
  CHECK(ru.cycles == 3 + 12 + 23);

  BaselineConfig offline = small_config();
  offline.count_kernel_generation = false;
  const BaselineSsmCost o = baseline_s4d_convolution(offline, shape(1, 1, 8, false));
  CHECK(o.cycles == 33);
  CHECK(o.vector_cycles == 0);
  CHECK(o.kernel_gemm.folds == 0);
  CHECK(o.dram_read_bytes == (8 + 8) * 4);

  // Bidirectional: the Toeplitz matrix is dense (4 folds, 44 cycles, 64 MACs); the
  // kernel GEMM streams both directions' rows (14 cycles); 10 complex ops + 1 -> 3.
  const BaselineSsmCost b = baseline_s4d_convolution(small_config(), shape(1, 1, 8, true));
  CHECK(b.array_cycles == 58);
  CHECK(b.cycles == 61);
  CHECK(b.useful_macs == 64 + 32);
  CHECK(b.mac_ops == 64 + 32);
}

TEST_CASE("S4D recurrence on the baseline: hand-computed small case", "[baseline]") {
  // One state per step (1 vector cycle); the projection is one fold of 3 rows (2M + 1
  // with D) x 1 column streaming one vector: 11 cycles. Pipelined over 8 steps.
  const BaselineSsmCost r = baseline_s4d_recurrence(small_config(), shape(1, 1, 8, false));
  CHECK(r.method == SsmMethod::recurrence);
  CHECK(r.cycles == 1 + 7 * 11 + 11);
  CHECK(r.array_cycles == 88);
  CHECK(r.vector_cycles == 8);
  CHECK(r.folds == 8);
  CHECK(r.mac_ops == 24);
  CHECK(r.useful_macs == 24);
  CHECK(r.vector_complex_ops == 8);
  CHECK(r.sram.input_reads == 24 + 24);
  CHECK(r.sram.input_writes == 16 + 8);
  CHECK(r.sram.weight_reads == 24 + 16);
  CHECK(r.sram.weight_writes == 5);
  CHECK(r.sram.output_writes == 8);
  CHECK(r.sram.output_reads == 8);
  CHECK(r.dram_read_bytes == (8 + 5) * 4);
  CHECK(r.working_set_words == 3 + 1 + 5);  // x re, x im, u; y; Abar, C', D

  BaselineConfig blocked = small_config();
  blocked.recurrence_time_block = 4;  // 2 blocks of 4 vectors: 14-cycle folds
  CHECK(baseline_s4d_recurrence(blocked, shape(1, 1, 8, false)).cycles == 4 + 14 + 14);
  blocked.recurrence_time_block = 3;  // blocks of 3, 3, 2: folds of 13, 13, 12
  CHECK(baseline_s4d_recurrence(blocked, shape(1, 1, 8, false)).cycles == 3 + 13 + 13 + 12);

  // Bidirectional: 2 states per step, blocks of 3 and 2 rows in one column block -> two
  // row tiles of 11 cycles per step; the backward half accumulates into y.
  const BaselineSsmCost b = baseline_s4d_recurrence(small_config(), shape(1, 1, 8, true));
  CHECK(b.cycles == 1 + 7 * 22 + 22);
  CHECK(b.mac_ops == 8 * 5 * 2);
  CHECK(b.useful_macs == 8 * 5);
  CHECK(b.vector_complex_ops == 16);

  // Vector-bound: 2 states on 1 lane, blocks of 64 steps (128 vector cycles) against one
  // 16x16 fold streaming 64 vectors (32 + 16 + 64 - 2 = 110 cycles).
  BaselineConfig slow_vector;
  slow_vector.rows = slow_vector.cols = 16;
  slow_vector.vector_lanes = 1;
  slow_vector.recurrence_time_block = 64;
  const BaselineSsmCost v = baseline_s4d_recurrence(slow_vector, shape(1, 2, 128, false));
  CHECK(v.vector_cycles == 256);
  CHECK(v.array_cycles == 220);
  CHECK(v.cycles == 256 + 110);
}

TEST_CASE("S4D baseline costs grow with the workload and the better method wins",
          "[baseline]") {
  const BaselineConfig cfg = small_config();
  for (bool bidir : {false, true}) {
    uint64_t conv = 0, rec = 0;
    for (uint32_t L : {4u, 8u, 16u, 33u, 64u, 128u}) {
      const BaselineSsmResult r = baseline_s4d_layer(cfg, shape(2, 2, L, bidir));
      CHECK(r.convolution.cycles > conv);
      CHECK(r.recurrence.cycles > rec);
      conv = r.convolution.cycles;
      rec = r.recurrence.cycles;
      CHECK(r.best_cost().cycles == std::min(conv, rec));
    }
  }
  // Short sequences favour the convolution, long ones the recurrence.
  const BaselineSsmResult short_seq = baseline_s4d_layer(cfg, shape(1, 1, 8, false));
  CHECK(short_seq.best == SsmMethod::convolution);
  CHECK(&short_seq.best_cost() == &short_seq.convolution);
  const BaselineSsmResult long_seq = baseline_s4d_layer(cfg, shape(1, 1, 256, false));
  CHECK(long_seq.best == SsmMethod::recurrence);
  CHECK(long_seq.best_cost().cycles == long_seq.recurrence.cycles);
  // More batch or channels never cost fewer cycles.
  const BaselineSsmResult b1 = baseline_s4d_layer(cfg, shape(2, 2, 32, true, 1));
  const BaselineSsmResult b4 = baseline_s4d_layer(cfg, shape(2, 2, 32, true, 4));
  CHECK(b4.convolution.cycles > b1.convolution.cycles);
  CHECK(b4.recurrence.cycles > b1.recurrence.cycles);
}

TEST_CASE("an LRA-sized layer is costed quickly and sensibly", "[baseline]") {
  BaselineConfig cfg;  // 32x32, 32 lanes
  const BaselineSsmResult r = baseline_s4d_layer(cfg, shape(256, 32, 16384, true));
  CHECK(r.best == SsmMethod::recurrence);
  CHECK(r.convolution.useful_macs > r.recurrence.useful_macs);
  CHECK(r.recurrence.utilization <= 1.0 / 32 + 1e-12);  // block-diagonal: 1 column of C per row
  CHECK(r.convolution.utilization < 1.0);
  CHECK(r.convolution.dram_read_bytes > 0);
}

TEST_CASE("S4D baseline rejects zero configuration and shape values", "[baseline]") {
  BaselineConfig cfg;
  const SsmShape ok = shape(2, 2, 8, false);
  cfg.vector_lanes = 0;
  CHECK_THROWS_WITH(baseline_s4d_layer(cfg, ok), Catch::Contains("BaselineConfig.vector_lanes"));
  cfg = BaselineConfig{};
  cfg.recurrence_time_block = 0;
  CHECK_THROWS_WITH(baseline_s4d_layer(cfg, ok),
                    Catch::Contains("BaselineConfig.recurrence_time_block"));
  cfg = BaselineConfig{};
  cfg.rows = 0;
  CHECK_THROWS_WITH(baseline_s4d_layer(cfg, ok), Catch::Contains("BaselineConfig.rows"));
  CHECK_THROWS_WITH(baseline_s4d_layer(BaselineConfig{}, shape(2, 2, 0, false)),
                    Catch::Contains("SsmShape.L"));
  CHECK_THROWS_WITH(baseline_s4d_layer(BaselineConfig{}, shape(0, 2, 8, false)),
                    Catch::Contains("SsmShape.H"));
  CHECK_THROWS_WITH(baseline_s4d_layer(BaselineConfig{}, shape(2, 0, 8, false)),
                    Catch::Contains("SsmShape.M"));
  CHECK_THROWS_WITH(baseline_s4d_layer(BaselineConfig{}, shape(2, 2, (1u << 24) + 1, false)),
                    Catch::Contains("SsmShape.L (length): expected at most 16777216"));
  CHECK_THROWS_WITH(baseline_s4d_layer(BaselineConfig{}, shape(1u << 20, 2, 1u << 24, false)),
                    Catch::Contains("exceeds"));
  BaselineConfig reuse_1x1;
  reuse_1x1.rows = reuse_1x1.cols = 1;
  reuse_1x1.toeplitz_tile_reuse = true;
  CHECK_THROWS_WITH(baseline_s4d_convolution(reuse_1x1, shape(1, 1, 1u << 16, false)),
                    Catch::Contains("2^30 tiles"));
}
