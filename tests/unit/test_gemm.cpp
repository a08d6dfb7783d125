// RUN_GEMM (command format and validation), its timing against the baseline's closed form
// and SCALE-Sim's published figures, and the firmware GEMM kernel's plan and stream,
// executed by a small interpreter of the documented command semantics.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "epochcore/firmware/kernels/gemm.h"
#include "epochcore/maths/timing/prodf_timing.h"
#include "epochcore/maths/baseline/ws_timing.h"
#include "epochcore/contract/commands.h"

using namespace epochcore;
using namespace epochcore::cmd;
using regs::ErrorCause;

namespace {

HwLimits limits() {
  HwLimits hw;
  hw.rows = 4;
  hw.cols = 8;
  hw.spad_bytes[0] = 4096;
  hw.spad_bytes[1] = 2048;
  hw.spad_bytes[2] = 4096;
  return hw;
}

RunGemm good_gemm() {
  RunGemm g;
  g.flags = FLAG_ACCUMULATE;
  g.param_addr = 64;
  g.in_addr = 16;
  g.in_stride = 16;  // 4 words = k
  g.out_addr = 32;
  g.out_stride = 40;
  g.k = 4;
  g.n = 8;
  g.m = 10;
  return g;
}

ErrorCause check(const RunGemm& g, std::string* why = nullptr) {
  std::string w;
  return validate(encode_run_gemm(g), limits(), 0, why ? why : &w);
}

}  // namespace

TEST_CASE("RUN_GEMM encodes into the documented words and decodes back", "[gemm][commands]") {
  const RunGemm g = good_gemm();
  const Record r = encode_run_gemm(g);
  CHECK(r.w[0] == (0x07u | (1u << 8)));
  CHECK(r.w[1] == 64);
  CHECK(r.w[2] == 16);
  CHECK(r.w[3] == 16);
  CHECK(r.w[4] == 32);
  CHECK(r.w[5] == 40);
  CHECK(r.w[6] == (4u | (8u << 16)));
  CHECK(r.w[7] == 10);
  uint8_t bytes[kRecordBytes];
  pack(r, bytes);
  const RunGemm d = decode_run_gemm(unpack(bytes));
  CHECK(d.flags == g.flags);
  CHECK(d.param_addr == g.param_addr);
  CHECK(d.in_addr == g.in_addr);
  CHECK(d.in_stride == g.in_stride);
  CHECK(d.out_addr == g.out_addr);
  CHECK(d.out_stride == g.out_stride);
  CHECK(d.k == g.k);
  CHECK(d.n == g.n);
  CHECK(d.m == g.m);
  CHECK(opcode_of(r) == Opcode::RUN_GEMM);
  CHECK(std::string(opcode_name(0x07)) == "RUN_GEMM");
  CHECK(std::string(opcode_name(cmd::kNumOpcodes)) == "UNKNOWN");
}

TEST_CASE("RUN_GEMM validation names every bad field", "[gemm][commands]") {
  std::string why;
  CHECK(check(good_gemm()) == ErrorCause::NONE);
  // Valid without any LOAD_COEFFS (loaded segments 0): GEMM does not use them.
  CHECK(validate(encode_run_gemm(good_gemm()), limits()) == ErrorCause::NONE);

  RunGemm g = good_gemm();
  g.flags = FLAG_RESET_STATE;
  CHECK(check(g, &why) == ErrorCause::BAD_FIELD);
  CHECK(why.find("flag") != std::string::npos);
  for (uint16_t k : {0, 5}) {
    g = good_gemm();
    g.k = k;
    CHECK(check(g, &why) == ErrorCause::BAD_FIELD);
    CHECK(why.find("k (word 6") != std::string::npos);
  }
  for (uint16_t n : {0, 9}) {
    g = good_gemm();
    g.n = n;
    CHECK(check(g, &why) == ErrorCause::BAD_FIELD);
    CHECK(why.find("n (word 6") != std::string::npos);
  }
  g = good_gemm();
  g.m = 0;
  CHECK(check(g, &why) == ErrorCause::BAD_FIELD);
  g = good_gemm();
  g.in_stride = 12;  // < 4k
  CHECK(check(g, &why) == ErrorCause::BAD_FIELD);
  CHECK(why.find("strides") != std::string::npos);
  g.m = 1;  // strides unused for one row
  CHECK(check(g) == ErrorCause::NONE);
  g = good_gemm();
  g.out_stride = 28;  // < 4n
  CHECK(check(g) == ErrorCause::BAD_FIELD);

  // Ranges: the weight tile k*n*4 = 128 bytes ends exactly at 2048.
  g = good_gemm();
  g.param_addr = 2048 - 128;
  CHECK(check(g) == ErrorCause::NONE);
  g.param_addr += 4;
  CHECK(check(g, &why) == ErrorCause::BAD_SPAD_ADDRESS);
  CHECK(why.find("parameter") != std::string::npos);
  g.param_addr = 2;
  CHECK(check(g) == ErrorCause::BAD_SPAD_ADDRESS);
  // Input: in_addr + (m-1)*in_stride + 16 <= 4096.
  g = good_gemm();
  g.in_addr = 4096 - 9 * 16 - 16;
  CHECK(check(g) == ErrorCause::NONE);
  g.in_addr += 4;
  CHECK(check(g, &why) == ErrorCause::BAD_SPAD_ADDRESS);
  CHECK(why.find("input") != std::string::npos);
  g = good_gemm();
  g.in_stride = 18;
  CHECK(check(g) == ErrorCause::BAD_SPAD_ADDRESS);
  // Output: out_addr + 9*40 + 32 <= 4096.
  g = good_gemm();
  g.out_addr = 4096 - 9 * 40 - 32;
  CHECK(check(g) == ErrorCause::NONE);
  g.out_addr += 4;
  CHECK(check(g, &why) == ErrorCause::BAD_SPAD_ADDRESS);
  CHECK(why.find("output") != std::string::npos);
  // Reserved bits of word 0.
  Record r = encode_run_gemm(good_gemm());
  r.w[0] |= 1u << 30;
  CHECK(validate(r, limits()) == ErrorCause::BAD_FIELD);
}

TEST_CASE("RUN_GEMM fold cycles are the baseline's and reproduce SCALE-Sim", "[gemm][timing]") {
  // 2R + C + m - 2 with the full array, checked against the closed form by hand.
  CHECK(timing::gemm_fold_cycles(256, 32, 32) == 64 + 32 + 256 - 2);
  CHECK(timing::gemm_fold_cycles(1, 1, 1) == 2);
  CHECK(timing::gemm_fold_cycles(5, 4, 8) == 8 + 8 + 5 - 2);
  // Summed over the firmware's folds (one M chunk), equal to ws_gemm, partial folds included.
  struct Case { uint32_t M, N, K, R, C; };
  for (const Case& c : {Case{256, 128, 256, 32, 32}, Case{64, 64, 64, 16, 16}, Case{5, 7, 3, 4, 4},
                        Case{1, 1, 1, 1, 1}, Case{9, 13, 17, 4, 8}, Case{3, 33, 65, 32, 32}}) {
    const uint64_t folds = uint64_t((c.K + c.R - 1) / c.R) * ((c.N + c.C - 1) / c.C);
    const baseline::GemmTiming b = baseline::ws_gemm(c.M, c.N, c.K, c.R, c.C);
    CHECK(folds * timing::gemm_fold_cycles(c.M, c.R, c.C) == b.cycles);
    CHECK(folds == b.folds);
  }
  // SCALE-Sim's published numbers: 11199 and 1759 reported (cycles - 1).
  CHECK(32 * timing::gemm_fold_cycles(256, 32, 32) == 11199 + 1);
  CHECK(16 * timing::gemm_fold_cycles(64, 16, 16) == 1759 + 1);
}

namespace {

fw::AccelInfo accel(uint32_t rows, uint32_t cols, uint32_t in_b, uint32_t param_b, uint32_t out_b) {
  fw::AccelInfo a;
  a.rows = rows;
  a.cols = cols;
  a.spad_bytes[0] = in_b;
  a.spad_bytes[1] = param_b;
  a.spad_bytes[2] = out_b;
  return a;
}

// Executes a stream by the semantics of docs/commands.md on plain byte buffers.
struct StreamMachine {
  std::vector<uint8_t> mem;
  std::vector<uint8_t> spad[3];
  uint64_t run_gemms = 0;

  float* f(std::vector<uint8_t>& b, uint64_t addr) { return reinterpret_cast<float*>(&b[addr]); }

  void run(const std::vector<Record>& stream, const fw::AccelInfo& hw) {
    const HwLimits lim = fw::hw_limits(hw);
    for (const Record& r : stream) {
      std::string why;
      REQUIRE(validate(r, lim, 0, &why) == ErrorCause::NONE);
      switch (opcode_of(r)) {
        case Opcode::DMA_IN:
        case Opcode::DMA_OUT: {
          const DmaDesc d = decode_dma(r);
          std::vector<uint8_t>& sp = spad[uint8_t(d.spad)];
          for (uint32_t row = 0; row < d.rows; ++row) {
            uint8_t* s = &mem[d.sys_addr + uint64_t(row) * d.sys_stride];
            uint8_t* p = &sp[d.spad_addr + uint64_t(row) * d.spad_stride];
            REQUIRE(d.sys_addr + uint64_t(row) * d.sys_stride + d.row_bytes <= mem.size());
            if (opcode_of(r) == Opcode::DMA_IN) std::memcpy(p, s, d.row_bytes);
            else std::memcpy(s, p, d.row_bytes);
          }
          break;
        }
        case Opcode::RUN_GEMM: {
          const RunGemm g = decode_run_gemm(r);
          ++run_gemms;
          for (uint32_t i = 0; i < g.m; ++i)
            for (uint32_t j = 0; j < g.n; ++j) {
              float sum = 0.0f;
              for (uint32_t kk = 0; kk < g.k; ++kk)
                sum = sum + *f(spad[1], g.param_addr + 4 * (kk * g.n + j)) *
                                *f(spad[0], g.in_addr + uint64_t(i) * g.in_stride + 4 * kk);
              float& o = *f(spad[2], g.out_addr + uint64_t(i) * g.out_stride + 4 * j);
              o = (g.flags & FLAG_ACCUMULATE) ? o + sum : sum;
            }
          break;
        }
        default:
          break;
      }
    }
  }
};

// C by K blocks of R: each block's sum from 0.0f in k order, added to C block by block.
std::vector<float> blocked_reference(const std::vector<float>& a, const std::vector<float>& b, uint32_t M,
                                     uint32_t N, uint32_t K, uint32_t R) {
  std::vector<float> c(size_t(M) * N);
  for (uint32_t i = 0; i < M; ++i)
    for (uint32_t j = 0; j < N; ++j)
      for (uint32_t k0 = 0; k0 < K; k0 += R) {
        float s = 0.0f;
        for (uint32_t k = k0; k < std::min(K, k0 + R); ++k) s = s + b[size_t(k) * N + j] * a[size_t(i) * K + k];
        c[size_t(i) * N + j] = k0 ? c[size_t(i) * N + j] + s : s;
      }
  return c;
}

}  // namespace

TEST_CASE("gemm plan: folds, chunks and weight residency in closed form", "[gemm][firmware]") {
  char why[256];
  fw::GemmJob job;
  job.M = 256;
  job.N = 128;
  job.K = 256;
  job.workspace_addr = 0x100000;
  job.workspace_bytes = 1 << 20;
  fw::GemmPlan p;
  REQUIRE(fw::plan_gemm(accel(32, 32, 4 << 20, 512 << 10, 4 << 20), job, &p, why, sizeof why));
  CHECK(p.k_blocks == 8);
  CHECK(p.n_blocks == 4);
  CHECK(p.m_chunk == 256);
  CHECK(p.m_chunks == 1);
  CHECK(p.weights_resident);
  CHECK(p.folds == 32);
  CHECK(p.commands == 4 + 32 + 32 + 2);
  // Input scratchpad of 10 rows of A (K=256 -> 1 KiB per row), output large: 26 chunks.
  REQUIRE(fw::plan_gemm(accel(32, 32, 10 * 1024 + 100, 512 << 10, 4 << 20), job, &p, why, sizeof why));
  CHECK(p.m_chunk == 10);
  CHECK(p.m_chunks == 26);
  CHECK(p.folds == 26 * 32);
  // B (128 KiB) does not fit 64 KiB of parameters: per-fold tiles in two 4 KiB slots.
  REQUIRE(fw::plan_gemm(accel(32, 32, 4 << 20, 64 << 10, 4 << 20), job, &p, why, sizeof why));
  CHECK_FALSE(p.weights_resident);
  CHECK(p.commands == 4 + 3 * 32 + 2);
  // Refusals name the reason.
  CHECK_FALSE(fw::plan_gemm(accel(32, 32, 1000, 512 << 10, 4 << 20), job, &p, why, sizeof why));
  CHECK(std::string(why).find("input") != std::string::npos);
  CHECK_FALSE(fw::plan_gemm(accel(32, 32, 4 << 20, 4096, 4 << 20), job, &p, why, sizeof why));
  CHECK(std::string(why).find("two weight tiles") != std::string::npos);
  job.workspace_bytes = 100;
  CHECK_FALSE(fw::plan_gemm(accel(32, 32, 4 << 20, 512 << 10, 4 << 20), job, &p, why, sizeof why));
  CHECK(std::string(why).find("workspace") != std::string::npos);
  job.workspace_bytes = 1 << 20;
  job.K = 0;
  CHECK_FALSE(fw::plan_gemm(accel(32, 32, 4 << 20, 512 << 10, 4 << 20), job, &p, why, sizeof why));
}

TEST_CASE("gemm stream computes C = A*B by the command semantics, partial folds and chunks included",
          "[gemm][firmware]") {
  struct Case { uint32_t M, N, K, R, C, in_bytes, param_bytes, out_bytes; };
  const Case cases[] = {
      {5, 7, 3, 4, 4, 4096, 4096, 4096},       // K < R, N % C != 0
      {9, 13, 17, 4, 8, 4096, 4096, 4096},     // partial folds both ways
      {9, 13, 17, 4, 8, 3 * 68, 4096, 4096},   // 3 rows of A per chunk
      {9, 13, 17, 4, 8, 4096, 2 * 128, 4096},  // B not resident: 2 tile slots
      {1, 1, 1, 1, 1, 64, 64, 64},
      {6, 3, 40, 8, 2, 4096, 4096, 5 * 12},    // output limits the chunk to 5 rows
  };
  for (const Case& c : cases) {
    CAPTURE(c.M, c.N, c.K, c.R, c.C, c.in_bytes, c.param_bytes);
    const fw::AccelInfo hw = accel(c.R, c.C, c.in_bytes, c.param_bytes, c.out_bytes);
    fw::GemmJob job;
    job.M = c.M;
    job.N = c.N;
    job.K = c.K;
    job.a_addr = 0;
    job.b_addr = 4 * uint64_t(c.M) * c.K;
    job.c_addr = job.b_addr + 4 * uint64_t(c.K) * c.N;
    job.workspace_addr = (job.c_addr + 4 * uint64_t(c.M) * c.N + 7) / 8 * 8;
    job.workspace_bytes = 1 << 20;
    fw::GemmPlan plan;
    char why[256];
    REQUIRE(fw::plan_gemm(hw, job, &plan, why, sizeof why));
    const std::vector<Record> stream = fw::build_gemm_stream(hw, plan, job);
    CHECK(stream.size() == plan.commands);
    CHECK(opcode_of(stream.back()) == Opcode::END);

    StreamMachine sm;
    sm.mem.assign(job.workspace_addr, 0);
    for (auto& sp : sm.spad) sp.clear();
    sm.spad[0].assign(c.in_bytes, 0);
    sm.spad[1].assign(c.param_bytes, 0);
    sm.spad[2].assign(c.out_bytes, 0);
    std::vector<float> a(size_t(c.M) * c.K), b(size_t(c.K) * c.N);
    // Small integers: every float sum is exact, so the result must equal the integer product.
    for (size_t i = 0; i < a.size(); ++i) a[i] = float(int(i * 7 % 11) - 5);
    for (size_t i = 0; i < b.size(); ++i) b[i] = float(int(i * 5 % 9) - 4) * 0.5f;
    std::memcpy(&sm.mem[job.a_addr], a.data(), a.size() * 4);
    std::memcpy(&sm.mem[job.b_addr], b.data(), b.size() * 4);
    sm.run(stream, hw);
    CHECK(sm.run_gemms == plan.folds);
    std::vector<float> got(size_t(c.M) * c.N);
    std::memcpy(got.data(), &sm.mem[job.c_addr], got.size() * 4);
    const std::vector<float> blocked = blocked_reference(a, b, c.M, c.N, c.K, c.R);
    for (uint32_t i = 0; i < c.M; ++i)
      for (uint32_t j = 0; j < c.N; ++j) {
        double exact = 0;
        for (uint32_t k = 0; k < c.K; ++k) exact += double(a[size_t(i) * c.K + k]) * b[size_t(k) * c.N + j];
        CHECK(got[size_t(i) * c.N + j] == blocked[size_t(i) * c.N + j]);
        CHECK(double(got[size_t(i) * c.N + j]) == exact);
      }
  }
}
