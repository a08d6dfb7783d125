// The scoreboard's scratchpad footprints (contract/footprint.h) and the closed-form issue
// timing of one and two compute queues (maths/timing/compute_queue_timing.h).
#include <catch2/catch.hpp>

#include <vector>

#include "epochcore/contract/footprint.h"
#include "epochcore/maths/timing/compute_queue_timing.h"

using namespace epochcore;
using namespace epochcore::cmd;

namespace {

const uint32_t kSpad[kNumSpads] = {65536, 32768, 65536};

bool has(const Footprint& f, SpadId spad, uint64_t lo, uint64_t hi, bool write) {
  for (uint32_t i = 0; i < f.n; ++i)
    if (f.r[i].spad == spad && f.r[i].lo == lo && f.r[i].hi == hi && f.r[i].write == write) return true;
  return false;
}

RunGemm gemm(uint32_t param, uint32_t in, uint32_t in_stride, uint32_t out, uint32_t out_stride, uint16_t k,
             uint16_t n, uint32_t m, bool acc = false) {
  RunGemm g;
  g.flags = acc ? uint8_t(FLAG_ACCUMULATE) : 0;
  g.param_addr = param;
  g.in_addr = in;
  g.in_stride = in_stride;
  g.out_addr = out;
  g.out_stride = out_stride;
  g.k = k;
  g.n = n;
  g.m = m;
  return g;
}

RunVec vec(VecOp op, SpadId a, uint32_t a_addr, uint16_t a_stride, SpadId b, uint32_t b_addr, uint16_t b_stride,
           SpadId d, uint32_t d_addr, uint16_t d_stride, uint16_t channels, uint32_t length) {
  RunVec v;
  v.op = op;
  v.a_spad = a;
  v.a_addr = a_addr;
  v.a_stride = a_stride;
  v.b_spad = b;
  v.b_addr = b_addr;
  v.b_stride = b_stride;
  v.d_spad = d;
  v.d_addr = d_addr;
  v.d_stride = d_stride;
  v.channels = channels;
  v.length = length;
  return v;
}

}  // namespace

TEST_CASE("footprint: RUN_GEMM weight tile exact, strided rows as their hull", "[footprint]") {
  // k=4 x n=8 weights at 256: 128 bytes; 5 input rows of 4 words, 64 bytes apart; output
  // rows of 8 words, 96 bytes apart.
  const Footprint f = footprint(encode_run_gemm(gemm(256, 1024, 64, 2048, 96, 4, 8, 5)), 0, 0, kSpad);
  REQUIRE(f.n == 3);
  CHECK(has(f, SpadId::PARAM, 256, 256 + 128, false));
  CHECK(has(f, SpadId::INPUT, 1024, 1024 + 4 * 64 + 16, false));
  CHECK(has(f, SpadId::OUTPUT, 2048, 2048 + 4 * 96 + 32, true));
  // Contiguous rows (stride = row length): the hull is the exact set.
  const Footprint c = footprint(encode_run_gemm(gemm(0, 0, 16, 0, 32, 4, 8, 3)), 0, 0, kSpad);
  CHECK(has(c, SpadId::INPUT, 0, 48, false));
  CHECK(has(c, SpadId::OUTPUT, 0, 96, true));
}

TEST_CASE("footprint: LOAD_COEFFS reads its records, RUN_SSM's rows depend on the loaded segments",
          "[footprint]") {
  LoadCoeffs lc;
  lc.param_addr = 64;
  lc.n_seg = 3;
  lc.seg_len = 4;
  const Footprint l = footprint(encode_load_coeffs(lc), 0, 0, kSpad);
  REQUIRE(l.n == 1);
  CHECK(has(l, SpadId::PARAM, 64, 64 + 3 * 4 * 32, false));

  RunSsm r;
  r.in_addr = 100 * 4;
  r.in_stride = 512;
  r.out_addr = 8;
  r.out_stride = 1024;
  r.length = 50;
  const Footprint f = footprint(encode_run_ssm(r), 3, 0, kSpad);
  REQUIRE(f.n == 2);
  CHECK(has(f, SpadId::INPUT, 400, 400 + 2 * 512 + 200, false));
  CHECK(has(f, SpadId::OUTPUT, 8, 8 + 2 * 1024 + 200, true));
  // Mixed direction: 4 segments, the last 2 reversed on rows 0, 1, reading R = 20 steps
  // from rev_in_offset on; forward rows 0, 1 read 50 steps.
  r.rev_length = 20;
  r.rev_in_offset = 2048;
  const Footprint m = footprint(encode_run_ssm(r), 4, 2, kSpad);
  CHECK(has(m, SpadId::INPUT, 400, 400 + 2048 + 512 + 80, false));
  CHECK(has(m, SpadId::OUTPUT, 8, 8 + 1024 + 200, true));
  // All reversed: only the reversed rows.
  const Footprint a = footprint(encode_run_ssm(r), 2, 2, kSpad);
  CHECK(has(a, SpadId::INPUT, 400 + 2048, 400 + 2048 + 512 + 80, false));
}

TEST_CASE("footprint: RUN_VEC operands from vec_shape (rows, strides, history, unused)", "[footprint]") {
  // GLU: A has 2C rows; D C rows; B unused.
  const RunVec glu = vec(VecOp::GLU, SpadId::OUTPUT, 0, 16, SpadId::PARAM, 0, 0, SpadId::OUTPUT, 4096, 16, 3, 10);
  const Footprint g = footprint(encode_run_vec(glu), 0, 0, kSpad);
  REQUIRE(g.n == 2);
  CHECK(has(g, SpadId::OUTPUT, 0, 4 * (5 * 16 + 10), false));
  CHECK(has(g, SpadId::OUTPUT, 4096, 4096 + 4 * (2 * 16 + 10), true));
  // ZERO: only D.
  const RunVec z = vec(VecOp::ZERO, SpadId::INPUT, 0, 0, SpadId::INPUT, 0, 0, SpadId::INPUT, 40, 8, 2, 8);
  const Footprint zf = footprint(encode_run_vec(z), 0, 0, kSpad);
  REQUIRE(zf.n == 1);
  CHECK(has(zf, SpadId::INPUT, 40, 40 + 64, true));
  // AFFINE: B holds C scales then C shifts (one contiguous block).
  const RunVec af = vec(VecOp::AFFINE, SpadId::OUTPUT, 0, 8, SpadId::PARAM, 32, 0, SpadId::OUTPUT, 0, 8, 4, 8);
  CHECK(has(footprint(encode_run_vec(af), 0, 0, kSpad), SpadId::PARAM, 32, 32 + 32, false));
  // CONV1D with FLAG_HISTORY: K-1 words before each A row.
  RunVec cv = vec(VecOp::CONV1D, SpadId::INPUT, 64, 20, SpadId::PARAM, 0, 4, SpadId::OUTPUT, 0, 16, 2, 16);
  cv.flags = FLAG_HISTORY;
  const Footprint c = footprint(encode_run_vec(cv), 0, 0, kSpad);
  CHECK(has(c, SpadId::INPUT, 64 - 12, 64 + 4 * (20 + 16), false));
  CHECK(has(c, SpadId::PARAM, 0, 4 * 5 * 2, false));
  // EMBED: the whole table [vocab][C] (which rows depends on the token ids).
  const RunVec em = vec(VecOp::EMBED, SpadId::INPUT, 0, 0, SpadId::PARAM, 128, 50, SpadId::OUTPUT, 0, 6, 4, 6);
  CHECK(has(footprint(encode_run_vec(em), 0, 0, kSpad), SpadId::PARAM, 128, 128 + 4 * 50 * 4, false));
}

TEST_CASE("footprint: DMA, BARRIER, END, NOP touch nothing through the compute units", "[footprint]") {
  CHECK(footprint(encode_barrier(), 0, 0, kSpad).n == 0);
  CHECK(footprint(encode_end(), 0, 0, kSpad).n == 0);
  CHECK(footprint(encode_nop(), 0, 0, kSpad).n == 0);
  DmaDesc d;
  d.row_bytes = 64;
  CHECK(footprint(encode_dma(true, d), 0, 0, kSpad).n == 0);
}

TEST_CASE("footprints_conflict: RAW, WAR, WAW conflict, RAR, disjoint, other scratchpad do not", "[footprint]") {
  auto one = [](SpadId s, uint64_t lo, uint64_t hi, bool w) {
    Footprint f;
    f.r[0] = SpadRange{s, lo, hi, w};
    f.n = 1;
    return f;
  };
  const Footprint w = one(SpadId::OUTPUT, 100, 200, true), r = one(SpadId::OUTPUT, 150, 160, false);
  CHECK(footprints_conflict(w, r));  // read after write
  CHECK(footprints_conflict(r, w));  // write after read
  CHECK(footprints_conflict(w, one(SpadId::OUTPUT, 199, 300, true)));  // write after write, one byte
  CHECK_FALSE(footprints_conflict(r, one(SpadId::OUTPUT, 100, 200, false)));  // both read
  CHECK_FALSE(footprints_conflict(w, one(SpadId::OUTPUT, 200, 300, true)));   // adjacent
  CHECK_FALSE(footprints_conflict(w, one(SpadId::INPUT, 100, 200, true)));    // other scratchpad
  CHECK_FALSE(footprints_conflict(w, Footprint{}));

  // The tail's pattern: GELU of n-block 1 into its own block of g while the GEMM of n-block
  // 0 reads block 0: no hazard. The GEMM of block 1 after that GELU: read after write.
  const uint32_t H = 8, n = 4, g = 0, w_out = 4096, u = 0;
  const RunVec gelu1 = vec(VecOp::GELU, SpadId::INPUT, 0, 16, SpadId::PARAM, 0, 0, SpadId::PARAM, g + 4 * H * n, n,
                           H, n);
  const Footprint fg1 = footprint(encode_run_vec(gelu1), 0, 0, kSpad);
  const Footprint fm0 = footprint(encode_run_gemm(gemm(g, w_out, 4 * H, u, 4 * 16, H, n, 2 * H)), 0, 0, kSpad);
  const Footprint fm1 =
      footprint(encode_run_gemm(gemm(g + 4 * H * n, w_out, 4 * H, u + 4 * n, 4 * 16, H, n, 2 * H)), 0, 0, kSpad);
  CHECK_FALSE(footprints_conflict(fg1, fm0));
  CHECK(footprints_conflict(fg1, fm1));
}

TEST_CASE("compute queue timing: one queue serialises, two queues overlap unless a hazard", "[footprint][timing]") {
  using timing::QueuedCommand;
  // G(10) V(7) G(10) V(7), overhead 1, V_k after G_k (hazard), G_{k+1} free of V_k.
  std::vector<QueuedCommand> c = {{true, 10, 1, false}, {false, 7, 1, true}, {true, 10, 1, false}, {false, 7, 1, true}};
  const timing::QueueSchedule one = timing::compute_queue_schedule(c, false);
  CHECK(one.start == std::vector<uint64_t>{1, 11, 18, 28});
  CHECK(one.last_end == 35);
  const timing::QueueSchedule two = timing::compute_queue_schedule(c, true);
  CHECK(two.start == std::vector<uint64_t>{1, 11, 12, 22});
  CHECK(two.last_end == 29);
  // The pipeline formula from G_0's issue: 10 + max(10 + 1, 7) + 7 = 28 = 29 - 1.
  CHECK(timing::two_stage_pipeline_cycles({10, 10}, {7, 7}, 1, true) == 28);
  CHECK(timing::two_stage_pipeline_cycles({10, 10}, {7, 7}, 1, false) == 34);
  // A hazard on G_1 (it overwrites what V_0 reads): back to serial for that step.
  c[2].hazard = true;
  CHECK(timing::compute_queue_schedule(c, true).start == std::vector<uint64_t>{1, 11, 18, 28});
  // In order: a blocked command blocks the one behind it even if that one's unit is free.
  std::vector<QueuedCommand> b = {{true, 50, 1, false}, {false, 5, 1, true}, {true, 3, 1, false}};
  CHECK(timing::compute_queue_schedule(b, true).start == std::vector<uint64_t>{1, 51, 52});
}

TEST_CASE("two-stage pipeline formula equals the schedule for random tiles", "[footprint][timing]") {
  uint64_t x = 12345;
  auto next = [&x](uint64_t lo, uint64_t span) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (x >> 33) % span;
  };
  for (int trial = 0; trial < 200; ++trial) {
    const size_t T = size_t(next(1, 12));
    const uint64_t o = next(1, 4);
    std::vector<uint64_t> g(T), v(T);
    std::vector<timing::QueuedCommand> c;
    for (size_t k = 0; k < T; ++k) {
      g[k] = next(o, 60);
      v[k] = next(o, 60);
      c.push_back({true, g[k], o, false});
      c.push_back({false, v[k], o, true});
    }
    for (bool two : {false, true}) {
      const timing::QueueSchedule s = timing::compute_queue_schedule(c, two);
      INFO("trial " << trial << " two " << two);
      CHECK(s.last_end - s.start[0] == timing::two_stage_pipeline_cycles(g, v, o, two));
    }
    // Overheads of any size (record fetches), and units faster than the overhead.
    std::vector<uint64_t> og(T), ov(T);
    for (size_t k = 0; k < T; ++k) {
      og[k] = next(1, 50);
      ov[k] = next(1, 50);
      g[k] = next(1, 60);
      v[k] = next(1, 60);
      c[2 * k] = {true, g[k], og[k], false};
      c[2 * k + 1] = {false, v[k], ov[k], true};
    }
    for (bool two : {false, true}) {
      const timing::QueueSchedule s = timing::compute_queue_schedule(c, two);
      INFO("trial " << trial << " two " << two << " (overheads)");
      CHECK(s.last_end - s.start[0] == timing::two_stage_pipeline_cycles(g, v, og, ov, two));
    }
  }
}
