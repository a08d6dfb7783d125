// Firmware tests: the driver and the S4D layer kernel against the functional fake
// accelerator, checked with an independent double-precision S4D recurrence.
#include <catch2/catch.hpp>

#include <cmath>
#include <complex>
#include <cstring>
#include <random>
#include <string>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/s4d_layer.h"
#include "epochcore/maths/timing/prodf_timing.h"
#include "epochcore/tests/unit/fake_accelerator.h"

using namespace epochcore;
using fw::DriverStatus;
using test::FakeAccelConfig;
using test::FakeAccelerator;

namespace {

// S4D-Lin initialisation (ssm.md), or S4D-Real when `real`; with directions = 2 a backward
// C is drawn after everything else.
S4dParams make_params(uint32_t H, uint32_t M, uint32_t seed, bool real = false, uint32_t directions = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> log_dt(std::log(1e-3), std::log(1e-1));
  S4dParams p;
  p.H = H;
  p.M = M;
  for (uint32_t h = 0; h < H; ++h) {
    p.log_dt.push_back(log_dt(rng));
    p.D.push_back(normal(rng));
    for (uint32_t n = 0; n < M; ++n) {
      p.log_A_real.push_back(real ? std::log(n + 1.0) : std::log(0.5));
      p.A_imag.push_back(real ? 0.0 : M_PI * n);
      p.C.push_back(normal(rng));
      p.C.push_back(real ? 0.0 : normal(rng));
    }
  }
  p.directions = directions;
  for (size_t i = 0, n = p.C.size(); directions == 2 && i < n; i += 2) {
    p.C.push_back(normal(rng));
    p.C.push_back(real ? 0.0 : normal(rng));
  }
  return p;
}

// y_k = 2 Re(sum_n C'_n x_k[n]) + D u_k, x_k = Abar x_{k-1} + u_k, per item c = b*H + h.
// Bidirectional: plus the backward recurrence z_k = Abar z_{k+1} + u_{k+1} (z_{L-1} = 0),
// y_k += 2 Re(sum_n C1'_n z_k[n]), i.e. sum_{s>k} K1[s-k-1] u_s.
std::vector<double> reference(const S4dParams& p, const std::vector<float>& u, uint32_t L, uint32_t B) {
  std::vector<double> y(u.size(), 0.0);
  for (uint32_t b = 0; b < B; ++b)
    for (uint32_t h = 0; h < p.H; ++h) {
      const size_t row = (size_t(b) * p.H + h) * L;
      const double dt = std::exp(p.log_dt[h]);
      for (uint32_t n = 0; n < p.M; ++n) {
        const size_t i = size_t(h) * p.M + n;
        const std::complex<double> A(-std::exp(p.log_A_real[i]), p.A_imag[i]);
        const std::complex<double> Ab = std::exp(dt * A);
        const std::complex<double> Cp = std::complex<double>(p.C[2 * i], p.C[2 * i + 1]) * (Ab - 1.0) / A;
        std::complex<double> x = 0.0;
        for (uint32_t k = 0; k < L; ++k) {
          x = Ab * x + double(u[row + k]);
          y[row + k] += 2.0 * (Cp * x).real();
        }
        if (p.directions != 2) continue;
        const size_t j = size_t(p.H) * p.M + i;  // backward C
        const std::complex<double> C1p = std::complex<double>(p.C[2 * j], p.C[2 * j + 1]) * (Ab - 1.0) / A;
        std::complex<double> z = 0.0;
        for (uint32_t k = L - 1; k >= 1; --k) {
          z = Ab * z + double(u[row + k]);  // z_{k-1}, which has taken in u_k
          y[row + k - 1] += 2.0 * (C1p * z).real();
        }
      }
      for (uint32_t k = 0; k < L; ++k) y[row + k] += p.D[h] * u[row + k];
    }
  return y;
}

struct LayerCase {
  const char* name;
  uint32_t rows, cols;
  bool segments;
  uint32_t spad_kib[3], banks;
  uint32_t H, M, L, B;
  uint32_t directions = 1;
};

struct LayerRun {
  fw::S4dLayerResult result;
  double rel_error = 1e9;
  std::vector<float> y;  // the layer's output as the accelerator wrote it
};

// The parameters and input of a layer case (the same for every run of the case).
S4dParams layer_params(const LayerCase& lc, bool real = false) {
  return make_params(lc.H, lc.M, lc.H * 131 + lc.M * 7 + lc.L, real, lc.directions);
}
std::vector<float> layer_input(const LayerCase& lc) {
  std::vector<float> u(size_t(lc.B) * lc.H * lc.L);
  std::mt19937 rng(lc.L);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : u) v = normal(rng);
  return u;
}

LayerRun run_layer(const LayerCase& lc, bool real = false, bool real_only_hw = false, bool single_buffer = false,
                   uint8_t number_format = 0) {
  FakeAccelConfig cfg;
  cfg.rows = lc.rows;
  cfg.cols = lc.cols;
  cfg.segments = lc.segments;
  cfg.real_only = real_only_hw;
  cfg.number_format = number_format;
  for (int s = 0; s < 3; ++s) {
    cfg.spad_kib[s] = lc.spad_kib[s];
    cfg.banks[s] = lc.banks;
  }
  cfg.mem_bytes = 8 << 20;
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == DriverStatus::OK);

  const S4dParams params = layer_params(lc, real);
  const std::vector<uint8_t> block = fw::encode_s4d_param_block(params);
  const std::vector<float> u = layer_input(lc);

  fw::S4dLayerJob job{lc.H, lc.M, lc.L, lc.B};
  job.directions = lc.directions;
  job.single_buffer = single_buffer;
  job.params_addr = cfg.mem_base;
  job.input_addr = job.params_addr + ((block.size() + 63) / 64) * 64;
  job.output_addr = job.input_addr + u.size() * 4 + 64;
  job.workspace_addr = job.output_addr + u.size() * 4 + 64;
  job.workspace_bytes = cfg.mem_base + cfg.mem_bytes - job.workspace_addr;
  REQUIRE(fake.mem_write(job.params_addr, block.data(), block.size()) == fw::HalStatus::OK);
  REQUIRE(fake.mem_write(job.input_addr, u.data(), u.size() * 4) == fw::HalStatus::OK);

  LayerRun run;
  fw::s4d_layer_run(fake, driver, info, job, &run.result);
  if (!run.result.ok) return run;
  std::vector<float> y(u.size());
  REQUIRE(fake.mem_read(job.output_addr, y.data(), y.size() * 4) == fw::HalStatus::OK);
  const std::vector<double> ref = reference(params, u, lc.L, lc.B);
  double max_err = 0.0, max_ref = 0.0;
  for (size_t i = 0; i < y.size(); ++i) {
    max_err = std::max(max_err, std::abs(double(y[i]) - ref[i]));
    max_ref = std::max(max_ref, std::abs(ref[i]));
  }
  run.rel_error = max_err / max_ref;
  run.y = std::move(y);
  return run;
}

fw::AccelInfo make_info(uint32_t rows, uint32_t cols, bool segments, uint32_t in_kib,
                        uint32_t param_kib, uint32_t out_kib, uint32_t banks) {
  fw::AccelInfo info;
  info.rows = rows;
  info.cols = cols;
  info.segments = segments;
  const uint32_t kib[3] = {in_kib, param_kib, out_kib};
  for (int s = 0; s < 3; ++s) {
    info.spad_bytes[s] = kib[s] * 1024;
    info.spad_banks[s] = banks;
  }
  return info;
}

fw::S4dLayerJob make_job(uint32_t H, uint32_t M, uint32_t L, uint32_t B, uint32_t directions = 1,
                         bool single_buffer = false) {
  fw::S4dLayerJob job{H, M, L, B};
  job.directions = directions;
  job.single_buffer = single_buffer;
  job.params_addr = 0x1000;
  job.input_addr = 0x100000;
  job.output_addr = 0x200000;
  job.workspace_addr = 0x300000;
  job.workspace_bytes = 64 << 20;
  return job;
}

// Ordering check of a stream under the documented model: DMA commands run on their own
// queue, concurrently with compute, until a BARRIER. Returns the index of the first
// command that touches (write/read or write/write) what an in-flight command on the
// other unit touches, or of an END with DMA in flight; -1 if the stream is safe.
// DMA-vs-DMA conflicts are flagged too, so the stream does not rely on queue order.
// An access is `rows` byte ranges [lo + i*stride, lo + i*stride + bytes): 2-D DMA
// windows of different time chunks interleave in memory without touching.
int first_hazard(const std::vector<cmd::Record>& stream) {
  struct Access {
    int space = -1;
    uint64_t lo = 0, bytes = 0, stride = 0;
    uint32_t rows = 1;
    bool write = false;
  };
  auto touch = [](const Access& a, const Access& b) {
    for (uint32_t i = 0; i < a.rows; ++i)
      for (uint32_t j = 0; j < b.rows; ++j) {
        const uint64_t alo = a.lo + i * a.stride, blo = b.lo + j * b.stride;
        if (alo < blo + b.bytes && blo < alo + a.bytes) return true;
      }
    return false;
  };
  struct InFlight { bool dma = false; Access acc[2]; };  // space -1: unused slot
  std::vector<InFlight> pending;
  uint32_t loaded = 0;
  for (size_t i = 0; i < stream.size(); ++i) {
    const cmd::Record& r = stream[i];
    InFlight now;
    switch (cmd::opcode_of(r)) {
      case cmd::Opcode::BARRIER: pending.clear(); continue;
      case cmd::Opcode::END: if (!pending.empty()) return int(i); continue;
      case cmd::Opcode::DMA_IN:
      case cmd::Opcode::DMA_OUT: {
        const cmd::DmaDesc d = cmd::decode_dma(r);
        const bool in = cmd::opcode_of(r) == cmd::Opcode::DMA_IN;
        now.dma = true;
        now.acc[0] = {0, d.sys_addr, d.row_bytes, d.sys_stride, d.rows, !in};
        now.acc[1] = {1 + int(d.spad), d.spad_addr, d.row_bytes, d.spad_stride, d.rows, in};
        break;
      }
      case cmd::Opcode::LOAD_COEFFS: {
        const cmd::LoadCoeffs c = cmd::decode_load_coeffs(r);
        loaded = c.n_seg;
        now.acc[0] = {2, c.param_addr, uint64_t(c.n_seg) * c.seg_len * 32, 0, 1, false};
        break;
      }
      case cmd::Opcode::RUN_SSM: {
        const cmd::RunSsm c = cmd::decode_run_ssm(r);
        now.acc[0] = {1, c.in_addr, 4ull * c.length, c.in_stride, loaded, false};
        now.acc[1] = {3, c.out_addr, 4ull * c.length, c.out_stride, loaded, true};
        break;
      }
      default: continue;
    }
    for (const InFlight& p : pending) {
      if (!p.dma && !now.dma) continue;  // compute commands execute in order
      for (const Access& a : p.acc)
        for (const Access& b : now.acc)
          if (a.space >= 0 && a.space == b.space && (a.write || b.write) && touch(a, b)) return int(i);
    }
    pending.push_back(now);
  }
  return -1;
}

}  // namespace

TEST_CASE("s4d layer on the fake accelerator matches the double-precision recurrence", "[firmware]") {
  const LayerCase cases[] = {
      {"M < C, segments", 2, 8, true, {64, 64, 64}, 8, 6, 2, 40, 1},
      {"M < C, no segments", 2, 8, false, {64, 64, 64}, 8, 6, 2, 40, 1},
      {"M == C", 2, 8, true, {64, 64, 64}, 8, 3, 8, 30, 1},
      {"M > C, multiple of C", 2, 8, true, {64, 64, 64}, 8, 3, 16, 30, 1},
      {"M > C, not a multiple (padding)", 2, 8, true, {64, 64, 64}, 8, 3, 20, 30, 1},
      {"M > C, segments off, cols 6", 3, 6, false, {64, 64, 64}, 4, 4, 7, 25, 1},
      {"H*M > R*C: folds", 2, 4, true, {64, 64, 64}, 8, 10, 4, 30, 1},
      {"B > 1, fold across the batch boundary", 2, 8, true, {64, 64, 64}, 8, 3, 2, 50, 3},
      {"time chunks (1 KiB scratchpads, 4 banks)", 4, 8, true, {1, 1, 1}, 4, 8, 4, 500, 2},
      {"chunks and passes", 2, 8, true, {1, 2, 1}, 4, 5, 12, 300, 2},
      {"small parameter scratchpad caps the fold", 4, 8, true, {2, 1, 2}, 8, 6, 8, 100, 1},
      {"one bank, L = 1", 2, 4, true, {64, 64, 64}, 1, 5, 3, 1, 2},
      {"3 banks, odd sizes", 3, 5, true, {1, 1, 1}, 3, 7, 3, 77, 2},
  };
  for (const LayerCase& lc : cases) {
    INFO("case: " << lc.name);
    const LayerRun run = run_layer(lc);
    INFO("message: " << run.result.message);
    REQUIRE(run.result.ok);
    CHECK(run.rel_error <= 1e-5);
    CHECK(run.result.job.commands_done == run.result.commands);
  }
}

TEST_CASE("the test grid exercises passes, folds, segments and chunks", "[firmware]") {
  char why[256];
  fw::S4dPlan p;
  // M < C with segments: 4 segments of 2 per row of 8, 6 channels in one fold.
  REQUIRE(fw::plan_s4d_layer(make_info(2, 8, true, 64, 64, 64, 8), make_job(6, 2, 40, 1), &p, why, sizeof why));
  CHECK((p.passes == 1 && p.seg_len == 2 && p.spr == 4 && p.segs_per_fold == 6 && p.folds_per_pass == 1));
  // Without segments one channel per row: 3 folds.
  REQUIRE(fw::plan_s4d_layer(make_info(2, 8, false, 64, 64, 64, 8), make_job(6, 2, 40, 1), &p, why, sizeof why));
  CHECK((p.spr == 1 && p.segs_per_fold == 2 && p.folds_per_pass == 3));
  // M = 20 on 8 columns: 3 passes of 7 PEs (one padding mode).
  REQUIRE(fw::plan_s4d_layer(make_info(2, 8, true, 64, 64, 64, 8), make_job(3, 20, 30, 1), &p, why, sizeof why));
  CHECK((p.passes == 3 && p.seg_len == 7 && p.spr == 1 && p.folds_per_pass == 2));
  // Folds: 10 channels of 4 modes on 2x4.
  REQUIRE(fw::plan_s4d_layer(make_info(2, 4, true, 64, 64, 64, 8), make_job(10, 4, 30, 1), &p, why, sizeof why));
  CHECK((p.segs_per_fold == 2 && p.folds_per_pass == 5));
  // 1 KiB scratchpads, 4 banks, 8 segments: (8-1)*4*stride + 4c <= 1024 gives c = 29
  // (stride 29 words); c = 30 needs stride 33 (1044 bytes).
  REQUIRE(fw::plan_s4d_layer(make_info(4, 8, true, 1, 1, 1, 4), make_job(8, 4, 500, 2, 1, true), &p, why, sizeof why));
  CHECK((p.spr == 2 && p.segs_per_fold == 8 && p.items == 16 && p.folds_per_pass == 2 && !p.double_buffered));
  CHECK((p.chunk_len == 29 && p.in_stride == 116 && p.out_stride == 116 && p.chunks == 18));
  // Parameter scratchpad of 1 KiB = 32 records holds 4 segments of 8.
  REQUIRE(fw::plan_s4d_layer(make_info(4, 8, true, 2, 1, 2, 8), make_job(6, 8, 100, 1), &p, why, sizeof why));
  CHECK((p.segs_per_fold == 4 && p.folds_per_pass == 2));
}

TEST_CASE("conflict-free strides", "[firmware]") {
  CHECK(fw::conflict_free_stride_words(28, 4) == 29);
  CHECK(fw::conflict_free_stride_words(29, 4) == 29);
  CHECK(fw::conflict_free_stride_words(30, 4) == 33);
  CHECK(fw::conflict_free_stride_words(8, 8) == 9);
  CHECK(fw::conflict_free_stride_words(1, 8) == 1);
  CHECK(fw::conflict_free_stride_words(5, 1) == 5);
  // Planned strides: stride % banks == 1, the chunk is the longest that fits, and the
  // bank model of the timing code sees no conflict (busiest bank = ceil(n / banks)).
  for (uint32_t banks : {1u, 2u, 3u, 4u, 8u, 16u})
    for (uint32_t L : {1u, 7u, 100u, 1000u}) {
      fw::S4dPlan p;
      char why[256];
      const fw::AccelInfo info = make_info(4, 8, true, 2, 64, 3, banks);
      REQUIRE(fw::plan_s4d_layer(info, make_job(16, 3, L, 1, 1, true), &p, why, sizeof why));
      INFO("banks " << banks << " L " << L);
      const uint32_t sw = p.in_stride / 4, ow = p.out_stride / 4, n = p.segs_per_fold;
      if (banks > 1) CHECK((sw % banks == 1 && ow % banks == 1));
      CHECK((sw >= p.chunk_len && ow >= p.chunk_len));
      CHECK(uint64_t(n - 1) * p.in_stride + 4 * p.chunk_len <= info.spad_bytes[0]);
      CHECK(uint64_t(n - 1) * p.out_stride + 4 * p.chunk_len <= info.spad_bytes[2]);
      if (p.chunk_len < L) {  // one more step would not fit one of the two scratchpads
        uint32_t s = p.chunk_len + 1;
        while (banks > 1 && s % banks != 1) ++s;
        CHECK(uint64_t(n - 1) * 4 * s + 4 * (p.chunk_len + 1) > std::min(info.spad_bytes[0], info.spad_bytes[2]));
      }
      const timing::FeedGeometry g{banks, 1};
      CHECK(timing::bank_access_cycles(0, sw, n, g) == (n + banks - 1) / banks);
    }
}

TEST_CASE("plan refuses what cannot run, with a reason", "[firmware]") {
  char why[256] = {};
  fw::S4dPlan p;
  const fw::AccelInfo info = make_info(2, 8, true, 64, 64, 64, 8);
  CHECK_FALSE(fw::plan_s4d_layer(info, make_job(0, 2, 10, 1), &p, why, sizeof why));
  CHECK(std::string(why).find("H, M, L and B") != std::string::npos);
  fw::S4dLayerJob small = make_job(4, 2, 10, 1);
  small.workspace_bytes = 100;
  CHECK_FALSE(fw::plan_s4d_layer(info, small, &p, why, sizeof why));
  CHECK(std::string(why).find("workspace of 100 bytes too small") != std::string::npos);
  fw::S4dLayerJob odd = make_job(4, 2, 10, 1);
  odd.workspace_addr += 4;
  CHECK_FALSE(fw::plan_s4d_layer(info, odd, &p, why, sizeof why));
  CHECK(std::string(why).find("8-byte aligned") != std::string::npos);
  // 64 records of 32 bytes per segment do not fit a 1 KiB parameter scratchpad.
  CHECK_FALSE(fw::plan_s4d_layer(make_info(2, 64, true, 64, 1, 64, 8), make_job(4, 64, 10, 1), &p, why, sizeof why));
  CHECK(std::string(why).find("parameter scratchpad") != std::string::npos);
}

TEST_CASE("stream shape, validity and ordering", "[firmware]") {
  struct Shape { uint32_t rows, cols; bool seg; uint32_t kib, H, M, L, B; };
  for (const Shape& s : {Shape{2, 8, true, 64, 6, 2, 40, 1}, Shape{2, 8, true, 1, 3, 20, 300, 2},
                         Shape{2, 4, false, 1, 10, 4, 200, 1}})
  for (bool single : {true, false}) {
    INFO("H=" << s.H << " M=" << s.M << " L=" << s.L << (single ? " single" : " double") << "-buffered");
    fw::S4dPlan p;
    char why[256];
    const fw::AccelInfo info = make_info(s.rows, s.cols, s.seg, s.kib, 64, s.kib, 4);
    const fw::S4dLayerJob job = make_job(s.H, s.M, s.L, s.B, 1, single);
    REQUIRE(fw::plan_s4d_layer(info, job, &p, why, sizeof why));
    CHECK(p.double_buffered == !single);
    const std::vector<cmd::Record> st = fw::build_s4d_stream(p, job);
    REQUIRE(st.size() * cmd::kRecordBytes == p.stream_bytes);
    CHECK(cmd::opcode_of(st.back()) == cmd::Opcode::END);
    CHECK(first_hazard(st) == -1);
    size_t runs = 0, loads = 0, loaded = 0, pass_of_load = 0;
    std::string err;
    for (const cmd::Record& r : st) {
      REQUIRE(cmd::validate(r, fw::hw_limits(info), uint32_t(loaded), &err) == regs::ErrorCause::NONE);
      if (cmd::opcode_of(r) == cmd::Opcode::LOAD_COEFFS) {
        loaded = cmd::decode_load_coeffs(r).n_seg;
        pass_of_load = loads++ / p.folds_per_pass;
      }
      if (cmd::opcode_of(r) == cmd::Opcode::RUN_SSM) {
        const uint8_t f = cmd::flags_of(r);
        CHECK(bool(f & cmd::FLAG_RESET_STATE) == (runs % p.chunks == 0));
        CHECK(bool(f & cmd::FLAG_ACCUMULATE) == (pass_of_load > 0));
        ++runs;
      }
    }
    CHECK(loads == size_t(p.passes) * p.folds_per_pass);
    CHECK(runs == size_t(p.passes) * p.folds_per_pass * p.chunks);
    CHECK(runs == p.runs);
    // The ordering check itself catches a missing barrier before the first RUN_SSM.
    std::vector<cmd::Record> broken = st;
    size_t first_run = 0, last_barrier = 0;
    while (cmd::opcode_of(broken[first_run]) != cmd::Opcode::RUN_SSM) ++first_run;
    for (size_t i = 0; i < first_run; ++i)
      if (cmd::opcode_of(broken[i]) == cmd::Opcode::BARRIER) last_barrier = i;
    broken.erase(broken.begin() + long(last_barrier));
    CHECK(first_hazard(broken) != -1);
  }
}

TEST_CASE("discretise_zoh records", "[firmware]") {
  const S4dParams prm = make_params(2, 5, 3);
  std::vector<cmd::CoeffRecord> rec;
  char why[256];
  REQUIRE(fw::discretise_zoh(prm, 2, 3, false, &rec, why, sizeof why));
  REQUIRE(rec.size() == 2 * 2 * 3);  // [pass][h][s]
  for (uint32_t p = 0; p < 2; ++p)
    for (uint32_t h = 0; h < 2; ++h)
      for (uint32_t s = 0; s < 3; ++s) {
        const cmd::CoeffRecord& r = rec[(p * 2 + h) * 3 + s];
        const uint32_t n = p * 3 + s;
        if (n >= 5) {  // padding mode
          CHECK((r.a_re == 0 && r.a_im == 0 && r.b_re == 0 && r.c_re == 0 && r.c_im == 0 && r.d == 0));
          continue;
        }
        const double dt = std::exp(prm.log_dt[h]);
        const std::complex<double> A(-0.5, M_PI * n);  // S4D-Lin
        const std::complex<double> Ab = std::exp(dt * A);
        const std::complex<double> c = 2.0 * std::complex<double>(prm.C[2 * (h * 5 + n)], prm.C[2 * (h * 5 + n) + 1]) * (Ab - 1.0) / A;
        CHECK(r.a_re == Approx(Ab.real()).epsilon(1e-6));
        CHECK(r.a_im == Approx(Ab.imag()).margin(1e-7));
        CHECK((r.b_re == 1.0f && r.b_im == 0.0f));
        CHECK(r.c_re == Approx(c.real()).epsilon(1e-6).margin(1e-9));
        CHECK(r.c_im == Approx(c.imag()).epsilon(1e-6).margin(1e-9));
        CHECK(r.d == (n == 0 ? float(prm.D[h]) : 0.0f));
      }
  S4dParams real_c = prm;
  CHECK_FALSE(fw::discretise_zoh(real_c, 2, 3, true, &rec, why, sizeof why));
  CHECK(std::string(why).find("real-only accelerator: A_imag[1] (channel 0)") != std::string::npos);
  for (double& v : real_c.A_imag) v = 0.0;
  CHECK(fw::discretise_zoh(real_c, 2, 3, true, &rec, why, sizeof why));  // Im(C) != 0 is fine
  for (const auto& r : rec) CHECK((r.a_im == 0.0f && r.c_im == 0.0f));
}

TEST_CASE("parameter block round trip and checks", "[firmware]") {
  FakeAccelerator fake(FakeAccelConfig{});
  const S4dParams prm = make_params(3, 2, 9);
  std::vector<uint8_t> block = fw::encode_s4d_param_block(prm);
  REQUIRE(block.size() == fw::s4d_param_block_bytes(3, 2));
  REQUIRE(block.size() == 8 * (3 + 6 + 6 + 12 + 3));
  const uint64_t addr = FakeAccelConfig{}.mem_base + 64;
  fake.mem_write(addr, block.data(), block.size());
  S4dParams back;
  char why[256];
  REQUIRE(fw::read_s4d_param_block(fake, addr, 3, 2, 1, &back, why, sizeof why));
  CHECK((back.log_dt == prm.log_dt && back.log_A_real == prm.log_A_real && back.A_imag == prm.A_imag &&
         back.C == prm.C && back.D == prm.D));
  // NaN in log_A_real[4] (channel 2): the message names tensor, index and channel.
  const double nan = std::nan("");
  std::memcpy(&block[8 * (3 + 4)], &nan, 8);
  fake.mem_write(addr, block.data(), block.size());
  CHECK_FALSE(fw::read_s4d_param_block(fake, addr, 3, 2, 1, &back, why, sizeof why));
  CHECK(std::string(why) == "parameter block: log_A_real[4] (channel 2) is not finite");
  CHECK_FALSE(fw::read_s4d_param_block(fake, 0x10, 3, 2, 1, &back, why, sizeof why));
  CHECK(std::string(why).find("system memory read failed") != std::string::npos);
}

TEST_CASE("real-only accelerator: S4D-Real runs, complex parameters are refused", "[firmware]") {
  const LayerCase lc{"real", 2, 8, true, {64, 64, 64}, 8, 5, 3, 60, 2};
  const LayerRun ok = run_layer(lc, /*real=*/true, /*real_only_hw=*/true);
  INFO(ok.result.message);
  REQUIRE(ok.result.ok);
  CHECK(ok.rel_error <= 1e-5);
  const LayerRun refused = run_layer(lc, /*real=*/false, /*real_only_hw=*/true);
  CHECK_FALSE(refused.result.ok);
  CHECK(std::string(refused.result.message).find("real-only accelerator") != std::string::npos);
}

TEST_CASE("driver: probe, run, cycles per job, error paths", "[firmware]") {
  FakeAccelConfig cfg;
  cfg.rows = 3, cfg.cols = 5, cfg.segments = false, cfg.real_only = true;
  cfg.spad_kib[1] = 7, cfg.banks[2] = 4, cfg.ports[2] = 2;
  FakeAccelerator fake(cfg);
  fw::Driver drv(fake);
  fw::AccelInfo info;
  REQUIRE(drv.probe(&info) == DriverStatus::OK);
  CHECK((info.rows == 3 && info.cols == 5 && !info.segments && info.real_only));
  CHECK((info.spad_bytes[0] == 64 * 1024 && info.spad_bytes[1] == 7 * 1024));
  CHECK((info.spad_banks[2] == 4 && info.spad_ports[2] == 2 && info.spad_ports[0] == 1));

  auto put_stream = [&](const std::vector<cmd::Record>& st) {
    const uint64_t addr = cfg.mem_base + 0x1000;
    for (size_t i = 0; i < st.size(); ++i) {
      uint8_t b[cmd::kRecordBytes];
      cmd::pack(st[i], b);
      fake.mem_write(addr + i * cmd::kRecordBytes, b, sizeof b);
    }
    return addr;
  };
  fw::JobResult r;
  uint64_t a = put_stream({cmd::encode_nop(), cmd::encode_barrier(), cmd::encode_end()});
  REQUIRE(drv.run(a, 3 * 32, &r) == DriverStatus::OK);
  CHECK((r.ok && r.commands_done == 3 && r.cycles == 3));
  CHECK_FALSE(fake.irq_line());  // acknowledged
  a = put_stream({cmd::encode_nop(), cmd::encode_end()});
  REQUIRE(drv.run(a, 2 * 32, &r) == DriverStatus::OK);
  CHECK(r.cycles == 2);  // this job's cycles, not the cumulative counter

  cmd::Record bad = cmd::encode_nop();
  bad.w[0] = 0x7F;
  a = put_stream({cmd::encode_nop(), cmd::encode_nop(), bad, cmd::encode_end()});
  CHECK(drv.run(a, 4 * 32, &r) == DriverStatus::JOB_ERROR);
  CHECK((!r.ok && r.cause == regs::ErrorCause::UNKNOWN_OPCODE && r.cmd_index == 2 && r.commands_done == 2));
  REQUIRE_FALSE(fake.logs.empty());
  CHECK(fake.logs.back() == "epochcore: job error UNKNOWN_OPCODE at command 2");
  CHECK_FALSE(fake.irq_line());

  a = put_stream({cmd::encode_nop()});
  CHECK(drv.run(a, 32, &r) == DriverStatus::JOB_ERROR);
  CHECK((r.cause == regs::ErrorCause::MISSING_END && r.cmd_index == 1u));

  CHECK(drv.run(a, 0, &r) == DriverStatus::BAD_ARGUMENT);
  CHECK(drv.run(a, 33, &r) == DriverStatus::BAD_ARGUMENT);
  CHECK(drv.run(a + 4, 32, &r) == DriverStatus::BAD_ARGUMENT);
  CHECK(drv.wait(&r) == DriverStatus::NOT_SUBMITTED);
  CHECK(fake.waits_with_line_low == 0);

  FakeAccelConfig wrong = cfg;
  wrong.id = 0x12345678;
  FakeAccelerator not_ours(wrong);
  CHECK(fw::Driver(not_ours).probe(&info) == DriverStatus::BAD_ID);
  wrong = cfg;
  wrong.version = 0x00020000;
  FakeAccelerator newer(wrong);
  CHECK(fw::Driver(newer).probe(&info) == DriverStatus::BAD_VERSION);
  wrong.version = 0x00010003;  // a newer minor version is compatible
  FakeAccelerator minor(wrong);
  CHECK(fw::Driver(minor).probe(&info) == DriverStatus::OK);
  wrong = cfg;
  wrong.banks[0] = 0;
  FakeAccelerator no_banks(wrong);
  CHECK(fw::Driver(no_banks).probe(&info) == DriverStatus::BAD_CONFIG);

  for (DriverStatus s : {DriverStatus::OK, DriverStatus::BUS_ERROR, DriverStatus::BAD_ID, DriverStatus::BAD_VERSION,
                         DriverStatus::BAD_CONFIG, DriverStatus::BAD_ARGUMENT, DriverStatus::BUSY,
                         DriverStatus::NOT_SUBMITTED, DriverStatus::NO_COMPLETION, DriverStatus::JOB_ERROR})
    CHECK(std::string(fw::driver_status_name(s)) != "UNKNOWN");
}

TEST_CASE("s4d layer reports accelerator errors with cause, index and opcode", "[firmware]") {
  // An output buffer outside system memory: the first DMA_OUT fails on the bus.
  FakeAccelConfig cfg;
  FakeAccelerator fake(cfg);
  fw::Driver drv(fake);
  fw::AccelInfo info;
  REQUIRE(drv.probe(&info) == DriverStatus::OK);
  const S4dParams prm = make_params(4, 2, 1);
  const std::vector<uint8_t> block = fw::encode_s4d_param_block(prm);
  fw::S4dLayerJob job{4, 2, 16, 1};
  job.params_addr = cfg.mem_base;
  job.input_addr = cfg.mem_base + 0x1000;
  job.output_addr = cfg.mem_base + cfg.mem_bytes + 0x1000;
  job.workspace_addr = cfg.mem_base + 0x2000;
  job.workspace_bytes = 0x10000;
  fake.mem_write(job.params_addr, block.data(), block.size());
  fw::S4dLayerResult res;
  CHECK_FALSE(fw::s4d_layer_run(fake, drv, info, job, &res));
  const std::vector<cmd::Record> st = fw::build_s4d_stream(res.plan, job);
  size_t first_out = 0;
  while (cmd::opcode_of(st[first_out]) != cmd::Opcode::DMA_OUT) ++first_out;
  CHECK(std::string(res.message) ==
        "accelerator error DMA_BUS_ERROR at command " + std::to_string(first_out) + " (DMA_OUT)");
  CHECK(res.job.cmd_index == first_out);
}

// ---------------------------------------------------------------------------------------
// Bidirectional layers: forward passes, then backward passes with FLAG_REVERSE.

TEST_CASE("fake accelerator: FLAG_REVERSE runs the sequence backwards", "[firmware][bidir]") {
  FakeAccelConfig cfg;
  FakeAccelerator fake(cfg);
  fw::Driver drv(fake);
  fw::AccelInfo info;
  REQUIRE(drv.probe(&info) == DriverStatus::OK);
  // One PE: x = 0.5 x + u, y = x (c = 1, d = 0). Input 1, 2, 3, 4 at system address A.
  const uint64_t data = cfg.mem_base + 0x100, stream_addr = cfg.mem_base + 0x1000;
  const float rec[8] = {0.5f, 0, 1, 0, 1, 0, 0, 0}, u[4] = {1, 2, 3, 4}, y0[4] = {10, 20, 30, 40};
  fake.mem_write(data, rec, sizeof rec);
  fake.mem_write(data + 32, u, sizeof u);
  fake.mem_write(data + 64, y0, sizeof y0);
  auto run = [&](uint8_t flags) {
    cmd::RunSsm r;
    r.flags = flags;
    r.length = 4;
    const std::vector<cmd::Record> st = {
        cmd::encode_dma(true, {data, cmd::SpadId::PARAM, 0, 32, 1, 0, 0}),
        cmd::encode_dma(true, {data + 32, cmd::SpadId::INPUT, 0, 16, 1, 0, 0}),
        cmd::encode_dma(true, {data + 64, cmd::SpadId::OUTPUT, 0, 16, 1, 0, 0}),
        cmd::encode_barrier(), cmd::encode_load_coeffs({0, 1, 1}), cmd::encode_run_ssm(r),
        cmd::encode_barrier(), cmd::encode_dma(false, {data + 96, cmd::SpadId::OUTPUT, 0, 16, 1, 0, 0}),
        cmd::encode_barrier(), cmd::encode_end()};
    for (size_t i = 0; i < st.size(); ++i) {
      uint8_t b[cmd::kRecordBytes];
      cmd::pack(st[i], b);
      fake.mem_write(stream_addr + i * cmd::kRecordBytes, b, sizeof b);
    }
    fw::JobResult res;
    REQUIRE(drv.run(stream_addr, uint32_t(st.size() * cmd::kRecordBytes), &res) == DriverStatus::OK);
    std::vector<float> y(4);
    fake.mem_read(data + 96, y.data(), 16);
    return y;
  };
  // Forward: 1, 2.5, 4.25, 6.125. Reverse: x = 4, 5, 4.5, 3.25 written to elements 3, 2, 1, 0.
  CHECK(run(0) == std::vector<float>{1.0f, 2.5f, 4.25f, 6.125f});
  CHECK(run(cmd::FLAG_REVERSE) == std::vector<float>{3.25f, 4.5f, 5.0f, 4.0f});
  CHECK(run(cmd::FLAG_REVERSE | cmd::FLAG_ACCUMULATE) == std::vector<float>{13.25f, 24.5f, 35.0f, 44.0f});
}

TEST_CASE("bidirectional s4d layer on the fake accelerator matches the double recurrence", "[firmware][bidir]") {
  const LayerCase cases[] = {
      {"M < C, segments", 2, 8, true, {64, 64, 64}, 8, 6, 2, 40, 1, 2},
      {"M < C, no segments", 2, 8, false, {64, 64, 64}, 8, 6, 2, 40, 1, 2},
      {"M == C", 2, 8, true, {64, 64, 64}, 8, 3, 8, 30, 1, 2},
      {"M > C, passes with padding", 2, 8, true, {64, 64, 64}, 8, 3, 20, 30, 1, 2},
      {"M > C, segments off, cols 6", 3, 6, false, {64, 64, 64}, 4, 4, 7, 25, 1, 2},
      {"folds", 2, 4, true, {64, 64, 64}, 8, 10, 4, 30, 1, 2},
      {"B > 1, fold across the batch boundary", 2, 8, true, {64, 64, 64}, 8, 3, 2, 50, 3, 2},
      {"time chunks", 4, 8, true, {1, 1, 1}, 4, 8, 4, 500, 2, 2},
      {"chunks, L - 1 a multiple of the chunk (29)", 4, 8, true, {1, 1, 1}, 4, 8, 4, 59, 2, 2},
      {"chunks, backward fits one chunk, forward two", 4, 8, true, {1, 1, 1}, 4, 8, 4, 30, 2, 2},
      {"chunks and passes", 2, 8, true, {1, 2, 1}, 4, 5, 12, 300, 2, 2},
      {"chunks, passes, segments off", 3, 6, false, {1, 1, 1}, 4, 4, 7, 100, 1, 2},
      {"small parameter scratchpad caps the fold", 4, 8, true, {2, 1, 2}, 8, 6, 8, 100, 1, 2},
      {"L = 1 (no backward runs)", 2, 4, true, {64, 64, 64}, 1, 5, 3, 1, 2, 2},
      {"L = 2", 2, 4, true, {64, 64, 64}, 8, 5, 3, 2, 2, 2},
      {"L = 2, passes and folds", 2, 4, true, {64, 64, 64}, 4, 5, 9, 2, 1, 2},
      {"3 banks, odd sizes", 3, 5, true, {1, 1, 1}, 3, 7, 3, 77, 2, 2},
  };
  for (const LayerCase& lc : cases) {
    INFO("case: " << lc.name);
    const LayerRun run = run_layer(lc);
    INFO("message: " << run.result.message);
    REQUIRE(run.result.ok);
    CHECK(run.rel_error <= 1e-5);
    CHECK(run.result.job.commands_done == run.result.commands);
    CHECK(run.result.plan.directions == 2);
  }
  // The comparison sees the backward half: the same layer checked against a forward-only
  // reference is far off (unless L = 1, where there is nothing after the only step).
  LayerCase lc = cases[0];
  lc.directions = 1;
  const LayerRun uni = run_layer(lc);
  REQUIRE(uni.result.ok);
  CHECK(uni.rel_error <= 1e-5);
  CHECK(uni.result.plan.reverse_chunks == 0);
  CHECK(uni.result.commands < run_layer(cases[0]).result.commands);
}

TEST_CASE("bidirectional plan: backward chunks, commands, coefficient records", "[firmware][bidir]") {
  char why[256];
  fw::S4dPlan p;
  // 1 KiB scratchpads, chunk_len 29 (see above): forward 500 = 17*29 + 7 -> 18 chunks,
  // backward 499 = 17*29 + 6 -> 18 chunks. 16 items, 8 per fold, 1 pass of 4 PEs.
  const fw::AccelInfo small = make_info(4, 8, true, 1, 1, 1, 4);
  REQUIRE(fw::plan_s4d_layer(small, make_job(8, 4, 500, 2, 2, true), &p, why, sizeof why));
  CHECK((p.directions == 2 && p.chunk_len == 29 && p.chunks == 18 && p.reverse_len == 499 && p.reverse_chunks == 18));
  CHECK(p.coeff_bytes == 2ull * 1 * 16 * 4 * 32);
  // Per fold: forward 3 + 18*6, backward 3 + 18*7; 2 folds; END.
  CHECK(p.commands == 2 * ((3 + 18 * 6) + (3 + 18 * 7)) + 1);
  CHECK(p.stream_bytes == 32 * p.commands);
  REQUIRE(fw::plan_s4d_layer(small, make_job(8, 4, 59, 2, 2, true), &p, why, sizeof why));
  CHECK((p.chunks == 3 && p.reverse_len == 58 && p.reverse_chunks == 2));
  REQUIRE(fw::plan_s4d_layer(small, make_job(8, 4, 30, 2, 2, true), &p, why, sizeof why));
  CHECK((p.chunks == 2 && p.reverse_chunks == 1));
  // M = 20 on 8 columns: 3 passes, forward 3*3 + 1*(7*3-1), backward 3*3 + 1*7*3, 2 folds.
  REQUIRE(fw::plan_s4d_layer(make_info(2, 8, true, 64, 64, 64, 8), make_job(3, 20, 30, 1, 2, true), &p, why, sizeof why));
  CHECK((p.passes == 3 && p.folds_per_pass == 2 && p.reverse_chunks == 1));
  CHECK(p.commands == 2 * ((9 + 20) + (9 + 21)) + 1);
  CHECK(p.coeff_bytes == 2ull * 3 * 3 * 7 * 32);
  // L = 1: no backward runs, the stream is the unidirectional one.
  REQUIRE(fw::plan_s4d_layer(make_info(2, 4, true, 64, 64, 64, 1), make_job(5, 3, 1, 2, 2), &p, why, sizeof why));
  CHECK((p.reverse_len == 0 && p.reverse_chunks == 0));
  fw::S4dPlan uni;
  REQUIRE(fw::plan_s4d_layer(make_info(2, 4, true, 64, 64, 64, 1), make_job(5, 3, 1, 2), &uni, why, sizeof why));
  CHECK((uni.directions == 1 && p.commands == uni.commands && p.coeff_bytes == 2 * uni.coeff_bytes));
  // directions must be 1 or 2.
  CHECK_FALSE(fw::plan_s4d_layer(small, make_job(8, 4, 30, 1, 3), &p, why, sizeof why));
  CHECK(std::string(why) == "S4D layer job: directions = 3 (expected 1, or 2 for a bidirectional layer)");
  CHECK_FALSE(fw::plan_s4d_layer(small, make_job(8, 4, 30, 1, 0), &p, why, sizeof why));
}

TEST_CASE("bidirectional stream: forward part unchanged, backward windows, flags and ordering",
          "[firmware][bidir]") {
  struct Shape { uint32_t rows, cols; bool seg; uint32_t kib, H, M, L, B; };
  for (const Shape& s : {Shape{2, 8, true, 64, 6, 2, 40, 1}, Shape{2, 8, true, 1, 3, 20, 300, 2},
                         Shape{2, 4, false, 1, 10, 4, 200, 1}, Shape{4, 8, true, 1, 8, 4, 59, 2},
                         Shape{2, 4, true, 64, 5, 3, 2, 2}, Shape{2, 4, true, 64, 5, 3, 1, 1}})
  for (bool single : {true, false}) {
    INFO("H=" << s.H << " M=" << s.M << " L=" << s.L << " B=" << s.B << " kib=" << s.kib
              << (single ? " single" : " double") << "-buffered");
    fw::S4dPlan p, pu;
    char why[256];
    const fw::AccelInfo info = make_info(s.rows, s.cols, s.seg, s.kib, 64, s.kib, 4);
    const fw::S4dLayerJob job = make_job(s.H, s.M, s.L, s.B, 2, single),
                          uni_job = make_job(s.H, s.M, s.L, s.B, 1, single);
    REQUIRE(fw::plan_s4d_layer(info, job, &p, why, sizeof why));
    REQUIRE(fw::plan_s4d_layer(info, uni_job, &pu, why, sizeof why));
    const std::vector<cmd::Record> st = fw::build_s4d_stream(p, job);
    const std::vector<cmd::Record> uni = fw::build_s4d_stream(pu, uni_job);
    REQUIRE(st.size() == p.commands);
    REQUIRE(st.size() * cmd::kRecordBytes == p.stream_bytes);
    CHECK(cmd::opcode_of(st.back()) == cmd::Opcode::END);
    CHECK(first_hazard(st) == -1);
    // Single-buffered, the forward part is the unidirectional stream without its END.
    // (Double-buffered, the backward half's first prefetches overlap the last forward runs
    // and a bidirectional plan may pick shorter chunks.)
    CHECK(p.double_buffered == !single);
    for (size_t i = 0; single && i + 1 < uni.size(); ++i)
      REQUIRE(std::equal(std::begin(st[i].w), std::end(st[i].w), std::begin(uni[i].w)));

    // Backward part: per fold, the windows run from the end of the sequence to its start,
    // input = output + 1 step, and together cover outputs 0 .. L-2 of every item once per
    // pass. A run's windows are the last input and output DMA_IN before it.
    const uint64_t row = 4ull * s.L;
    size_t runs = 0, loaded = 0;
    std::vector<int> covered(size_t(s.B) * s.H * s.L, 0);
    uint64_t last_in = 0, last_out = 0, cur_in = 0, cur_out = 0;
    uint32_t cur_rows = 0;
    bool fold_start = false;
    std::string err;
    for (size_t i = 0; i < st.size(); ++i) {
      const cmd::Record& r = st[i];
      REQUIRE(cmd::validate(r, fw::hw_limits(info), uint32_t(loaded), &err) == regs::ErrorCause::NONE);
      switch (cmd::opcode_of(r)) {
        case cmd::Opcode::LOAD_COEFFS: loaded = cmd::decode_load_coeffs(r).n_seg; fold_start = true; break;
        case cmd::Opcode::DMA_IN: {
          const cmd::DmaDesc d = cmd::decode_dma(r);
          if (d.spad == cmd::SpadId::INPUT) cur_in = d.sys_addr - job.input_addr, cur_rows = d.rows;
          if (d.spad == cmd::SpadId::OUTPUT) cur_out = d.sys_addr - job.output_addr;
          break;
        }
        case cmd::Opcode::RUN_SSM: {
          const cmd::RunSsm c = cmd::decode_run_ssm(r);
          if (!(c.flags & cmd::FLAG_REVERSE)) {
            fold_start = false;
            break;
          }
          CHECK(c.flags == (cmd::FLAG_REVERSE | cmd::FLAG_ACCUMULATE | (fold_start ? cmd::FLAG_RESET_STATE : 0)));
          CHECK(cur_in == cur_out + 4);
          CHECK(cur_rows == loaded);
          if (!fold_start) CHECK((cur_in < last_in && cur_out < last_out));
          const uint64_t item0 = cur_out / row, step0 = cur_out % row / 4;
          for (uint64_t it = item0; it < item0 + loaded; ++it)
            for (uint64_t k = step0; k < step0 + c.length; ++k) ++covered[it * s.L + k];
          last_in = cur_in, last_out = cur_out, fold_start = false;
          ++runs;
          break;
        }
        default: break;
      }
    }
    CHECK(runs == size_t(p.passes) * p.folds_per_pass * p.reverse_chunks);
    for (size_t it = 0; it < size_t(s.B) * s.H; ++it)
      for (uint32_t k = 0; k < s.L; ++k)
        REQUIRE(covered[it * s.L + k] == (k + 1 < s.L ? int(p.passes) : 0));
  }
}

TEST_CASE("bidirectional parameters: block layout and discretised records", "[firmware][bidir]") {
  const S4dParams prm = make_params(3, 2, 9, false, 2);
  REQUIRE(prm.C.size() == 24);
  std::vector<uint8_t> block = fw::encode_s4d_param_block(prm);
  REQUIRE(block.size() == fw::s4d_param_block_bytes(3, 2, 2));
  REQUIRE(block.size() == 8 * (3 + 6 + 6 + 24 + 3));
  CHECK(fw::s4d_param_block_bytes(3, 2) == 8 * (3 + 6 + 6 + 12 + 3));
  double first_backward_c, d0;
  std::memcpy(&first_backward_c, &block[8 * (3 + 6 + 6 + 12)], 8);
  std::memcpy(&d0, &block[8 * (3 + 6 + 6 + 24)], 8);
  CHECK((first_backward_c == prm.C[12] && d0 == prm.D[0]));
  FakeAccelerator fake(FakeAccelConfig{});
  const uint64_t addr = FakeAccelConfig{}.mem_base + 64;
  fake.mem_write(addr, block.data(), block.size());
  S4dParams back;
  char why[256];
  REQUIRE(fw::read_s4d_param_block(fake, addr, 3, 2, 2, &back, why, sizeof why));
  CHECK((back.directions == 2 && back.C == prm.C && back.D == prm.D && back.log_dt == prm.log_dt));
  const double nan = std::nan("");
  std::memcpy(&block[8 * (3 + 6 + 6 + 12 + 5)], &nan, 8);  // C[17]: backward, channel 1
  fake.mem_write(addr, block.data(), block.size());
  CHECK_FALSE(fw::read_s4d_param_block(fake, addr, 3, 2, 2, &back, why, sizeof why));
  CHECK(std::string(why) == "parameter block: C[17] (backward, channel 1) is not finite");
  CHECK_FALSE(fw::read_s4d_param_block(fake, addr, 3, 2, 0, &back, why, sizeof why));
  CHECK(std::string(why).find("directions = 0") != std::string::npos);

  // Records [dir][pass][h][s]: the backward ones share a, take c from the backward C, d = 0.
  const S4dParams p5 = make_params(2, 5, 3, false, 2);
  std::vector<cmd::CoeffRecord> rec;
  REQUIRE(fw::discretise_zoh(p5, 2, 3, false, &rec, why, sizeof why));
  REQUIRE(rec.size() == 2 * 2 * 2 * 3);
  for (uint32_t dir = 0; dir < 2; ++dir)
    for (uint32_t p = 0; p < 2; ++p)
      for (uint32_t h = 0; h < 2; ++h)
        for (uint32_t s = 0; s < 3; ++s) {
          const cmd::CoeffRecord& r = rec[((dir * 2 + p) * 2 + h) * 3 + s];
          const uint32_t n = p * 3 + s;
          INFO("dir " << dir << " pass " << p << " h " << h << " s " << s);
          if (n >= 5) {
            CHECK((r.a_re == 0 && r.a_im == 0 && r.b_re == 0 && r.c_re == 0 && r.c_im == 0 && r.d == 0));
            continue;
          }
          const double dt = std::exp(p5.log_dt[h]);
          const std::complex<double> A(-0.5, M_PI * n);
          const std::complex<double> Ab = std::exp(dt * A);
          const size_t ci = dir * 10 + h * 5 + n;
          const std::complex<double> c = 2.0 * std::complex<double>(p5.C[2 * ci], p5.C[2 * ci + 1]) * (Ab - 1.0) / A;
          CHECK(r.a_re == Approx(Ab.real()).epsilon(1e-6));
          CHECK(r.a_im == Approx(Ab.imag()).margin(1e-7));
          CHECK((r.b_re == 1.0f && r.b_im == 0.0f));
          CHECK(r.c_re == Approx(c.real()).epsilon(1e-6).margin(1e-9));
          CHECK(r.c_im == Approx(c.imag()).epsilon(1e-6).margin(1e-9));
          CHECK(r.d == (dir == 0 && n == 0 ? float(p5.D[h]) : 0.0f));
        }
  S4dParams bad = p5;
  bad.C.resize(20);
  CHECK_FALSE(fw::discretise_zoh(bad, 2, 3, false, &rec, why, sizeof why));
  CHECK(std::string(why).find("directions=2") != std::string::npos);
}

TEST_CASE("bidirectional on a real-only accelerator", "[firmware][bidir]") {
  LayerCase lc{"real bidir", 2, 8, true, {1, 1, 1}, 8, 5, 3, 200, 2, 2};
  const LayerRun ok = run_layer(lc, /*real=*/true, /*real_only_hw=*/true);
  INFO(ok.result.message);
  REQUIRE(ok.result.ok);
  CHECK(ok.result.plan.reverse_chunks > 1);
  CHECK(ok.rel_error <= 1e-5);
  const LayerRun refused = run_layer(lc, /*real=*/false, /*real_only_hw=*/true);
  CHECK_FALSE(refused.result.ok);
  CHECK(std::string(refused.result.message).find("real-only accelerator") != std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Double-buffered streams: the next run's DMA_IN and the previous run's DMA_OUT overlap
// this run's RUN_SSM.

TEST_CASE("double-buffered streams give the single-buffered results bit for bit", "[firmware][double]") {
  const LayerCase cases[] = {
      {"one fold, one chunk (split into 4 runs)", 2, 8, true, {64, 64, 64}, 8, 6, 2, 40, 1},
      {"no segments: folds", 2, 8, false, {64, 64, 64}, 8, 6, 2, 40, 1},
      {"passes, one fold: partial sums after the write-back", 2, 8, true, {64, 64, 64}, 8, 3, 16, 30, 1},
      {"passes with padding, folds", 2, 8, true, {64, 64, 64}, 8, 3, 20, 30, 1},
      {"folds", 2, 4, true, {64, 64, 64}, 8, 10, 4, 30, 1},
      {"B > 1 across a fold", 2, 8, true, {64, 64, 64}, 8, 3, 2, 50, 3},
      {"time chunks, 1 KiB (2 KiB for two parameter slots)", 4, 8, true, {1, 2, 1}, 4, 8, 4, 500, 2},
      {"chunks and passes", 2, 8, true, {1, 2, 1}, 4, 5, 12, 300, 2},
      {"one bank, L = 1", 2, 4, true, {64, 64, 64}, 1, 5, 3, 1, 2},
      {"3 banks, odd sizes", 3, 5, true, {1, 1, 1}, 3, 7, 3, 77, 2},
      {"bidirectional, 3 banks, odd sizes", 3, 5, true, {1, 1, 1}, 3, 7, 3, 77, 2, 2},
      {"bidirectional, one fold", 2, 8, true, {64, 64, 64}, 8, 6, 2, 40, 1, 2},
      {"bidirectional, passes", 2, 8, true, {64, 64, 64}, 8, 3, 20, 30, 1, 2},
      {"bidirectional, chunks", 4, 8, true, {1, 2, 1}, 4, 8, 4, 59, 2, 2},
      {"bidirectional, chunks and passes, no segments", 3, 6, false, {1, 1, 1}, 4, 4, 7, 100, 1, 2},
      {"bidirectional, L = 2", 2, 4, true, {64, 64, 64}, 4, 5, 9, 2, 1, 2},
      {"bidirectional, L = 1", 2, 4, true, {64, 64, 64}, 1, 5, 3, 1, 2, 2},
  };
  for (const LayerCase& lc : cases) {
    INFO("case: " << lc.name << (lc.directions == 2 ? " (bidirectional)" : ""));
    const LayerRun single = run_layer(lc, false, false, /*single_buffer=*/true);
    const LayerRun dbl = run_layer(lc);
    INFO("messages: " << single.result.message << " / " << dbl.result.message);
    REQUIRE(single.result.ok);
    REQUIRE(dbl.result.ok);
    CHECK_FALSE(single.result.plan.double_buffered);
    CHECK(dbl.result.plan.double_buffered);
    CHECK(dbl.result.plan.runs >= std::min<uint64_t>(fw::kMinDoubleBufferedRuns, lc.L));
    CHECK(dbl.result.job.commands_done == dbl.result.commands);
    CHECK(dbl.rel_error <= 1e-5);
    REQUIRE(single.y.size() == dbl.y.size());
    CHECK(std::memcmp(single.y.data(), dbl.y.data(), single.y.size() * 4) == 0);
  }
}

TEST_CASE("double-buffered plan: buffers, rotation, overlap and ordering", "[firmware][double]") {
  struct Shape { uint32_t rows, cols; bool seg; uint32_t kib, banks, H, M, L, B, dirs; };
  for (const Shape& s : {Shape{2, 8, true, 64, 4, 6, 2, 40, 1, 1}, Shape{2, 8, true, 1, 4, 3, 20, 300, 2, 1},
                         Shape{2, 4, false, 1, 4, 10, 4, 200, 1, 1}, Shape{4, 8, true, 1, 4, 8, 4, 59, 2, 2},
                         Shape{2, 8, true, 64, 8, 3, 16, 30, 1, 2}, Shape{3, 5, true, 1, 3, 7, 3, 77, 2, 1},
                         Shape{2, 4, true, 64, 1, 5, 3, 2, 2, 2}}) {
    INFO("H=" << s.H << " M=" << s.M << " L=" << s.L << " B=" << s.B << " dirs=" << s.dirs << " kib=" << s.kib);
    const fw::AccelInfo info = make_info(s.rows, s.cols, s.seg, s.kib, 64, s.kib, s.banks);
    const fw::S4dLayerJob job = make_job(s.H, s.M, s.L, s.B, s.dirs);
    fw::S4dPlan p, ps;
    char why[256];
    REQUIRE(fw::plan_s4d_layer(info, job, &p, why, sizeof why));
    REQUIRE(fw::plan_s4d_layer(info, make_job(s.H, s.M, s.L, s.B, s.dirs, true), &ps, why, sizeof why));
    REQUIRE(p.double_buffered);
    // Same folding; chunks no longer than single buffering's; both buffers fit, on bank boundaries.
    CHECK((p.passes == ps.passes && p.segs_per_fold == ps.segs_per_fold && p.folds_per_pass == ps.folds_per_pass));
    CHECK(p.chunk_len <= ps.chunk_len);
    const uint64_t n = p.segs_per_fold;
    const uint64_t in_span = (n - 1) * p.in_stride + 4ull * p.chunk_len;
    const uint64_t out_span = (n - 1) * p.out_stride + 4ull * p.chunk_len;
    CHECK(p.out_buffers == (s.dirs == 2 || p.passes > 1 ? 3u : 2u));
    CHECK((p.in_buf_offset >= in_span && p.in_buf_offset + in_span <= info.spad_bytes[0]));
    CHECK((p.out_buf_offset >= out_span && (p.out_buffers - 1) * p.out_buf_offset + out_span <= info.spad_bytes[2]));
    CHECK((p.in_buf_offset % (4 * s.banks) == 0 && p.out_buf_offset % (4 * s.banks) == 0));
    CHECK(p.param_slot_offset == n * p.seg_len * 32);
    CHECK(2ull * p.param_slot_offset <= info.spad_bytes[1]);
    // Chunks shortened so that there are at least kMinDoubleBufferedRuns runs.
    const uint64_t groups = uint64_t(s.dirs) * p.passes * p.folds_per_pass;
    const uint64_t min_chunks = (fw::kMinDoubleBufferedRuns + groups - 1) / groups;
    CHECK(p.chunk_len <= (s.L + min_chunks - 1) / min_chunks);
    if (s.L >= min_chunks) CHECK(groups * p.chunks >= fw::kMinDoubleBufferedRuns);
    const std::vector<cmd::Record> st = fw::build_s4d_stream(p, job);
    REQUIRE(st.size() == p.commands);
    CHECK(cmd::opcode_of(st.back()) == cmd::Opcode::END);
    CHECK(first_hazard(st) == -1);
    std::string err;
    uint64_t k = 0, loads = 0, overlapped = 0;
    uint32_t loaded = 0;
    bool dma_since_run = false, run_open = false;
    for (const cmd::Record& r : st) {
      REQUIRE(cmd::validate(r, fw::hw_limits(info), loaded, &err) == regs::ErrorCause::NONE);
      switch (cmd::opcode_of(r)) {
        case cmd::Opcode::LOAD_COEFFS: {
          const cmd::LoadCoeffs c = cmd::decode_load_coeffs(r);
          CHECK(c.param_addr == (loads++ % 2) * p.param_slot_offset);  // slots alternate
          loaded = c.n_seg;
          break;
        }
        case cmd::Opcode::RUN_SSM: {
          const cmd::RunSsm c = cmd::decode_run_ssm(r);
          CHECK(c.in_addr == (k % 2) * p.in_buf_offset);
          CHECK(c.out_addr == (k % p.out_buffers) * p.out_buf_offset);
          ++k;
          run_open = true;
          dma_since_run = false;
          break;
        }
        case cmd::Opcode::DMA_IN:
        case cmd::Opcode::DMA_OUT:
          dma_since_run = true;
          break;
        case cmd::Opcode::BARRIER:
          if (run_open && dma_since_run) ++overlapped;  // a transfer ran alongside the run
          run_open = false;
          break;
        default: break;
      }
    }
    CHECK(k == p.runs);
    CHECK(loads == uint64_t(s.dirs == 2 && p.reverse_chunks ? 2 : 1) * p.passes * p.folds_per_pass);
    CHECK(overlapped == p.runs);  // every run shares its barrier interval with DMA
  }
}

TEST_CASE("double buffering falls back to single buffering when two chunks do not fit", "[firmware][double]") {
  char why[256];
  fw::S4dPlan p;
  // Parameter scratchpad of 1 KiB: one fold's records (4 segments of 8) fill it.
  REQUIRE(fw::plan_s4d_layer(make_info(4, 8, true, 2, 1, 2, 8), make_job(6, 8, 100, 1), &p, why, sizeof why));
  CHECK((p.segs_per_fold == 4 && !p.double_buffered && p.in_buf_offset == 0 && p.out_buffers == 1));
  // 256-byte input and output scratchpads hold one step of 64 segments, not two.
  fw::AccelInfo tiny = make_info(64, 1, false, 1, 64, 1, 1);
  tiny.spad_bytes[0] = tiny.spad_bytes[2] = 256;
  REQUIRE(fw::plan_s4d_layer(tiny, make_job(64, 1, 10, 1), &p, why, sizeof why));
  CHECK((p.segs_per_fold == 64 && p.chunk_len == 1 && !p.double_buffered));
  // 512 bytes: two one-step buffers fit.
  tiny.spad_bytes[0] = tiny.spad_bytes[2] = 512;
  REQUIRE(fw::plan_s4d_layer(tiny, make_job(64, 1, 10, 1), &p, why, sizeof why));
  CHECK((p.chunk_len == 1 && p.double_buffered && p.in_buf_offset == 256 && p.out_buf_offset == 256));
  // Forced single buffering.
  REQUIRE(fw::plan_s4d_layer(tiny, make_job(64, 1, 10, 1, 1, true), &p, why, sizeof why));
  CHECK(!p.double_buffered);
  // The fallback layer still runs correctly.
  const LayerRun run = run_layer({"small parameter scratchpad", 4, 8, true, {2, 1, 2}, 8, 6, 8, 100, 1});
  REQUIRE(run.result.ok);
  CHECK_FALSE(run.result.plan.double_buffered);
  CHECK(run.rel_error <= 1e-5);
}

TEST_CASE("s4d layer refuses overlapping input, output and workspace", "[firmware]") {
  FakeAccelConfig cfg;
  FakeAccelerator fake(cfg);
  fw::Driver drv(fake);
  fw::AccelInfo info;
  REQUIRE(drv.probe(&info) == DriverStatus::OK);
  fw::S4dLayerJob job{4, 2, 16, 1};
  job.params_addr = cfg.mem_base;
  job.input_addr = cfg.mem_base + 0x1000;
  job.output_addr = job.input_addr + 4 * 4 * 16 - 4;  // last input word = first output word
  job.workspace_addr = cfg.mem_base + 0x4000;
  job.workspace_bytes = 0x10000;
  fw::S4dLayerResult res;
  CHECK_FALSE(fw::s4d_layer_run(fake, drv, info, job, &res));
  CHECK(std::string(res.message).find("input [0x80001000, 0x80001100) overlaps output") != std::string::npos);
  job.output_addr = cfg.mem_base + 0x2000;
  job.workspace_addr = cfg.mem_base + 0x2080;
  CHECK_FALSE(fw::s4d_layer_run(fake, drv, info, job, &res));
  CHECK(std::string(res.message).find("output [0x80002000, 0x80002100) overlaps workspace") != std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Number formats of the coefficient records (docs/precisions.md).

namespace {

// x rounded to `sig_bits` significant bits, ties to even, with no ulp below 2^min_exp
// (the subnormal spacing): the format's value of x, computed in double.
double round_significand(double x, int sig_bits, int min_exp) {
  if (x == 0.0) return x;
  int e;
  std::frexp(x, &e);  // x = f * 2^e, 0.5 <= |f| < 1
  const double ulp = std::ldexp(1.0, std::max(e - sig_bits, min_exp));
  return std::nearbyint(x / ulp) * ulp;  // default rounding mode: to nearest, ties to even
}

// A symmetric int format by hand: scale = max|x| / qmax (float division), the value
// round(x / scale) * scale.
float by_hand_scale(const std::vector<float>& v, int qmax) {
  float m = 0.0f;
  for (float x : v) m = std::max(m, std::abs(x));
  return m == 0.0f ? 1.0f : m / float(qmax);
}
float by_hand_int(float x, float scale) { return float(std::nearbyint(x / scale)) * scale; }

}  // namespace

TEST_CASE("coefficient records in each number format", "[firmware][numfmt]") {
  char why[256];
  // A small bidirectional layer: 2 channels, 3 modes in 2 passes of 2 PEs (one padding PE).
  const S4dParams prm = make_params(2, 3, 11, false, 2);
  std::vector<cmd::CoeffRecord> fp32;
  REQUIRE(fw::discretise_zoh(prm, 2, 2, false, &fp32, why, sizeof why));
  REQUIRE(fp32.size() == 2 * 2 * 2 * 2);
  std::vector<float> cs, ds;
  for (const cmd::CoeffRecord& r : fp32) {
    cs.push_back(r.c_re);
    cs.push_back(r.c_im);
    ds.push_back(r.d);
  }
  fw::S4dCoeffScales sc;

  // fp32: unchanged, bit for bit.
  std::vector<cmd::CoeffRecord> rec = fp32;
  REQUIRE(fw::apply_coeff_format(uint8_t(regs::NumberFormat::FP32), &rec, &sc, why, sizeof why));
  CHECK(std::memcmp(rec.data(), fp32.data(), rec.size() * sizeof(cmd::CoeffRecord)) == 0);
  CHECK((sc.b == 1.0f && sc.c == 1.0f && sc.d == 1.0f));

  struct Float { regs::NumberFormat f; int sig_bits, min_exp; };
  for (const Float& ff : {Float{regs::NumberFormat::BF16, 8, -133}, Float{regs::NumberFormat::FP16, 11, -24}}) {
    INFO("format " << int(ff.f));
    rec = fp32;
    REQUIRE(fw::apply_coeff_format(uint8_t(ff.f), &rec, &sc, why, sizeof why));
    CHECK((sc.b == 1.0f && sc.c == 1.0f && sc.d == 1.0f));
    for (size_t i = 0; i < rec.size(); ++i) {
      const cmd::CoeffRecord &r = rec[i], &o = fp32[i];
      CHECK((r.a_re == o.a_re && r.a_im == o.a_im));  // the decay stays float32
      CHECK(r.b_re == float(round_significand(o.b_re, ff.sig_bits, ff.min_exp)));
      CHECK(r.c_re == float(round_significand(o.c_re, ff.sig_bits, ff.min_exp)));
      CHECK(r.c_im == float(round_significand(o.c_im, ff.sig_bits, ff.min_exp)));
      CHECK(r.d == float(round_significand(o.d, ff.sig_bits, ff.min_exp)));
      if (o.c_re != 0.0f) CHECK(std::abs(r.c_re - o.c_re) <= std::ldexp(std::abs(o.c_re), -ff.sig_bits));
    }
  }

  for (const auto& [f, qmax] : {std::pair{regs::NumberFormat::INT16, 32767}, std::pair{regs::NumberFormat::INT8, 127}}) {
    INFO("format " << int(f));
    rec = fp32;
    REQUIRE(fw::apply_coeff_format(uint8_t(f), &rec, &sc, why, sizeof why));
    // One scale per kind over the whole layer (both directions): c from all c_re and c_im.
    CHECK(sc.b == 1.0f / float(qmax));
    CHECK(sc.c == by_hand_scale(cs, qmax));
    CHECK(sc.d == by_hand_scale(ds, qmax));
    size_t at_max = 0;
    for (size_t i = 0; i < rec.size(); ++i) {
      const cmd::CoeffRecord &r = rec[i], &o = fp32[i];
      CHECK((r.a_re == o.a_re && r.a_im == o.a_im));
      CHECK(r.b_re == by_hand_int(o.b_re, sc.b));
      CHECK(r.b_im == 0.0f);
      CHECK(r.c_re == by_hand_int(o.c_re, sc.c));
      CHECK(r.c_im == by_hand_int(o.c_im, sc.c));
      CHECK(r.d == by_hand_int(o.d, sc.d));
      CHECK(std::abs(r.c_re - o.c_re) <= 0.5001f * sc.c);
      at_max += std::abs(std::abs(r.c_re) - float(qmax) * sc.c) < 1e-6f * sc.c * qmax;
      at_max += std::abs(std::abs(r.c_im) - float(qmax) * sc.c) < 1e-6f * sc.c * qmax;
    }
    CHECK(at_max >= 1);  // the largest c sits at the full code qmax
  }

  // Hand-computed int8 case: c = 0.5, -0.25, 0.3 -> scale 0.5/127, codes 127, -64 (-63.5
  // rounds to even), 76 (76.2).
  std::vector<cmd::CoeffRecord> small(2, cmd::CoeffRecord{0.9f, 0.1f, 1, 0, 0.5f, -0.25f, 2.0f, 0});
  small[1].c_re = 0.3f, small[1].c_im = 0.0f, small[1].d = 0.0f;
  REQUIRE(fw::apply_coeff_format(uint8_t(regs::NumberFormat::INT8), &small, &sc, why, sizeof why));
  CHECK(sc.c == 0.5f / 127.0f);
  CHECK(small[0].c_re == 127.0f * (0.5f / 127.0f));
  CHECK(small[0].c_im == -64.0f * (0.5f / 127.0f));
  CHECK(small[1].c_re == 76.0f * (0.5f / 127.0f));
  CHECK((sc.d == 2.0f / 127.0f && small[0].d == 127.0f * (2.0f / 127.0f) && small[1].d == 0.0f));

  // What the format cannot hold, and unknown formats, are refused with the record named.
  std::vector<cmd::CoeffRecord> big(3, cmd::CoeffRecord{0.5f, 0, 1, 0, 1, 0, 0, 0});
  big[2].c_re = 1e5f;
  CHECK_FALSE(fw::apply_coeff_format(uint8_t(regs::NumberFormat::FP16), &big, &sc, why, sizeof why));
  CHECK(std::string(why) == "coefficient record 2: c_re = 100000 does not fit fp16");
  CHECK_FALSE(fw::apply_coeff_format(7, &big, &sc, why, sizeof why));
  CHECK(std::string(why).find("number format 7 is unknown") != std::string::npos);
}

TEST_CASE("s4d layer in lower precisions: records stored in the format, results close", "[firmware][numfmt]") {
  const LayerCase lc{"bf16 layer", 2, 8, true, {64, 64, 64}, 8, 6, 4, 60, 1, 2};
  const LayerRun fp32 = run_layer(lc);
  REQUIRE(fp32.result.ok);
  struct Bound { regs::NumberFormat f; double max_rel; };
  // Measured on this layer: bf16 3.5e-3, fp16 4.0e-4, int16 3.7e-5, int8 7.4e-3.
  for (const Bound& b : {Bound{regs::NumberFormat::BF16, 1e-2}, Bound{regs::NumberFormat::FP16, 1.5e-3},
                         Bound{regs::NumberFormat::INT16, 1.5e-4}, Bound{regs::NumberFormat::INT8, 3e-2}}) {
    INFO("format " << int(b.f));
    const LayerRun r = run_layer(lc, false, false, false, uint8_t(b.f));
    INFO(r.result.message);
    REQUIRE(r.result.ok);
    CHECK(r.rel_error <= b.max_rel);
    CHECK(r.rel_error > fp32.rel_error);  // the format made a difference
    const bool integer = b.f == regs::NumberFormat::INT16 || b.f == regs::NumberFormat::INT8;
    CHECK((r.result.scales.c != 1.0f) == integer);
  }
}

// ---------------------------------------------------------------------------------------
// Resident rows (the model compiler's form): the input already in the input scratchpad,
// the output left in the output scratchpad, one chunk of L steps, only records by DMA.

namespace {

struct ResidentRun {
  fw::S4dLayerResult result;
  std::vector<float> y;  // the output rows, read back after the layer
  fw::S4dLayerJob job;
  fw::AccelInfo info;
};

// Runs the case with resident rows at in_off / out_off (row strides: the conflict-free
// stride for L plus extra_words) in scratchpads of spad_kib: a DMA stream puts the input
// rows in and NaN in every output row (the first pass must write, not add), the layer
// runs, a last DMA stream brings the output rows back.
ResidentRun run_layer_resident(const LayerCase& lc, uint32_t spad_kib, uint32_t in_off, uint32_t out_off,
                               uint32_t extra_words, bool single_buffer) {
  FakeAccelConfig cfg;
  cfg.rows = lc.rows;
  cfg.cols = lc.cols;
  cfg.segments = lc.segments;
  for (int s = 0; s < 3; ++s) {
    cfg.spad_kib[s] = spad_kib;
    cfg.banks[s] = lc.banks;
  }
  cfg.mem_bytes = 8 << 20;
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  ResidentRun run;
  REQUIRE(driver.probe(&run.info) == DriverStatus::OK);
  const std::vector<uint8_t> block = fw::encode_s4d_param_block(layer_params(lc));
  const std::vector<float> u = layer_input(lc);
  const uint32_t L = lc.L, items = lc.B * lc.H;
  const uint64_t tensor = uint64_t(items) * L * 4;
  fw::S4dLayerJob& job = run.job;
  job = fw::S4dLayerJob{lc.H, lc.M, lc.L, lc.B};
  job.directions = lc.directions;
  job.single_buffer = single_buffer;
  job.resident = true;
  job.input_spad = in_off;
  job.output_spad = out_off;
  job.input_row_words = fw::conflict_free_stride_words(L, lc.banks) + extra_words;
  job.output_row_words = fw::conflict_free_stride_words(L, lc.banks) + extra_words;
  job.params_addr = cfg.mem_base;
  const uint64_t data = job.params_addr + (block.size() + 63) / 64 * 64;  // u, then NaN, then y
  const uint64_t helper = data + 3 * tensor + 64;                          // the DMA streams
  job.workspace_addr = helper + 4096;
  job.workspace_bytes = cfg.mem_base + cfg.mem_bytes - job.workspace_addr;
  REQUIRE(fake.mem_write(job.params_addr, block.data(), block.size()) == fw::HalStatus::OK);
  REQUIRE(fake.mem_write(data, u.data(), tensor) == fw::HalStatus::OK);
  const std::vector<float> nan(u.size(), std::nanf(""));
  REQUIRE(fake.mem_write(data + tensor, nan.data(), tensor) == fw::HalStatus::OK);
  auto dma = [&](std::vector<cmd::DmaDesc> in, std::vector<cmd::DmaDesc> out) {
    std::vector<cmd::Record> st;
    for (const cmd::DmaDesc& d : in) st.push_back(cmd::encode_dma(true, d));
    for (const cmd::DmaDesc& d : out) st.push_back(cmd::encode_dma(false, d));
    st.push_back(cmd::encode_barrier());
    st.push_back(cmd::encode_end());
    std::vector<uint8_t> raw(st.size() * cmd::kRecordBytes);
    for (size_t i = 0; i < st.size(); ++i) cmd::pack(st[i], &raw[i * cmd::kRecordBytes]);
    REQUIRE(fake.mem_write(helper, raw.data(), raw.size()) == fw::HalStatus::OK);
    fw::JobResult jr;
    REQUIRE(driver.run(helper, uint32_t(raw.size()), &jr) == DriverStatus::OK);
  };
  const cmd::DmaDesc in_rows{data, cmd::SpadId::INPUT, in_off, 4 * L, items, 4 * L, 4 * job.input_row_words};
  cmd::DmaDesc out_rows{data + tensor, cmd::SpadId::OUTPUT, out_off, 4 * L, items, 4 * L, 4 * job.output_row_words};
  dma({in_rows, out_rows}, {});
  fw::s4d_layer_run(fake, driver, run.info, job, &run.result);
  if (!run.result.ok) return run;
  out_rows.sys_addr = data + 2 * tensor;
  dma({}, {out_rows});
  run.y.resize(u.size());
  REQUIRE(fake.mem_read(out_rows.sys_addr, run.y.data(), tensor) == fw::HalStatus::OK);
  return run;
}

}  // namespace

TEST_CASE("resident rows give the streaming results bit for bit", "[firmware][resident]") {
  const LayerCase cases[] = {
      {"one fold", 2, 8, true, {64, 64, 64}, 8, 6, 2, 40, 1},
      {"no segments: folds", 2, 8, false, {64, 64, 64}, 8, 6, 2, 40, 1},
      {"passes, one fold", 2, 8, true, {64, 64, 64}, 8, 3, 16, 30, 1},
      {"passes with padding, folds", 2, 8, true, {64, 64, 64}, 8, 3, 20, 30, 1},
      {"folds", 2, 4, true, {64, 64, 64}, 8, 10, 4, 30, 1},
      {"B > 1 across a fold", 2, 8, true, {64, 64, 64}, 8, 3, 2, 50, 3},
      {"streaming in time chunks", 4, 8, true, {1, 2, 1}, 4, 8, 4, 500, 2},
      {"streaming in chunks, passes", 2, 8, true, {1, 2, 1}, 4, 5, 12, 300, 2},
      {"one bank, L = 1", 2, 4, true, {64, 64, 64}, 1, 5, 3, 1, 2},
      {"3 banks, odd sizes", 3, 5, true, {1, 1, 1}, 3, 7, 3, 77, 2},
      {"bidirectional, 3 banks, odd sizes", 3, 5, true, {1, 1, 1}, 3, 7, 3, 77, 2, 2},
      {"bidirectional, passes", 2, 8, true, {64, 64, 64}, 8, 3, 20, 30, 1, 2},
      {"bidirectional, chunks", 4, 8, true, {1, 2, 1}, 4, 8, 4, 59, 2, 2},
      {"bidirectional, chunks and passes, no segments", 3, 6, false, {1, 1, 1}, 4, 4, 7, 100, 1, 2},
      {"bidirectional, L = 2", 2, 4, true, {64, 64, 64}, 4, 5, 9, 2, 1, 2},
      {"bidirectional, L = 1", 2, 4, true, {64, 64, 64}, 1, 5, 3, 1, 2, 2},
  };
  for (const LayerCase& lc : cases) {
    INFO("case: " << lc.name << (lc.directions == 2 ? " (bidirectional)" : ""));
    const LayerRun streaming = run_layer(lc);
    REQUIRE(streaming.result.ok);
    // Two records slots at offsets, and one slot with rows wider than conflict-free.
    for (int variant = 0; variant < 2; ++variant) {
      CAPTURE(variant);
      const ResidentRun r = variant == 0 ? run_layer_resident(lc, 64, 96, 160, 0, false)
                                         : run_layer_resident(lc, 64, 0, 0, lc.banks + 1, true);
      INFO("message: " << r.result.message);
      REQUIRE(r.result.ok);
      const fw::S4dPlan& p = r.result.plan;
      CHECK(p.resident);
      CHECK(p.double_buffered == (variant == 0));
      CHECK((p.chunks == 1 && p.chunk_len == lc.L));
      CHECK(p.reverse_chunks == (lc.directions == 2 && lc.L > 1 ? 1u : 0u));
      CHECK(p.in_stride == 4 * r.job.input_row_words);
      CHECK(r.result.job.commands_done == r.result.commands);
      REQUIRE(r.y.size() == streaming.y.size());
      CHECK(std::memcmp(r.y.data(), streaming.y.data(), r.y.size() * 4) == 0);
      // Only the records move; every record valid; the ordering rules hold.
      const std::vector<cmd::Record> st = fw::build_s4d_stream(p, r.job);
      REQUIRE(st.size() == p.commands);
      CHECK(first_hazard(st) == -1);
      uint64_t fetches = 0, runs = 0;
      uint32_t loaded = 0;
      std::string err;
      for (const cmd::Record& rec : st) {
        REQUIRE(cmd::validate(rec, fw::hw_limits(r.info), loaded, &err) == regs::ErrorCause::NONE);
        const cmd::Opcode op = cmd::opcode_of(rec);
        CHECK(op != cmd::Opcode::DMA_OUT);
        if (op == cmd::Opcode::DMA_IN) {
          CHECK(cmd::decode_dma(rec).spad == cmd::SpadId::PARAM);
          ++fetches;
        }
        if (op == cmd::Opcode::LOAD_COEFFS) loaded = cmd::decode_load_coeffs(rec).n_seg;
        if (op == cmd::Opcode::RUN_SSM) {
          const cmd::RunSsm c = cmd::decode_run_ssm(rec);
          CHECK(c.length == ((cmd::flags_of(rec) & cmd::FLAG_REVERSE) ? lc.L - 1 : lc.L));
          CHECK((cmd::flags_of(rec) & cmd::FLAG_RESET_STATE));
          ++runs;
        }
      }
      CHECK(runs == p.runs);
      CHECK(fetches == p.runs);  // one fold's records per run
    }
  }
}

TEST_CASE("resident plan: record slots and refusals with a reason", "[firmware][resident]") {
  char why[256] = {};
  fw::S4dPlan p;
  fw::S4dLayerJob job = make_job(6, 8, 100, 2);
  job.resident = true;
  job.input_row_words = job.output_row_words = 101;  // 101 % 4 == 1
  // 4 segments of 8 records per fold: two slots need 2 KiB.
  REQUIRE(fw::plan_s4d_layer(make_info(4, 8, true, 64, 2, 64, 4), job, &p, why, sizeof why));
  CHECK((p.resident && p.double_buffered && p.param_slot_offset == 4 * 8 * 32 && p.out_buffers == 1));
  CHECK((p.in_stride == 404 && p.out_stride == 404 && p.in_buf_offset == 0));
  CHECK(p.runs == uint64_t(p.folds_per_pass) * p.passes);
  REQUIRE(fw::plan_s4d_layer(make_info(4, 8, true, 64, 1, 64, 4), job, &p, why, sizeof why));
  CHECK((p.resident && !p.double_buffered && p.param_slot_offset == 0));
  // Rows: 12 items of 101 words end at 4*(11*101 + 100) = 4844 bytes.
  fw::AccelInfo info = make_info(4, 8, true, 64, 64, 64, 4);
  info.spad_bytes[0] = 4844;
  CHECK(fw::plan_s4d_layer(info, job, &p, why, sizeof why));
  info.spad_bytes[2] = 4843;
  CHECK_FALSE(fw::plan_s4d_layer(info, job, &p, why, sizeof why));
  CHECK(std::string(why) ==
        "resident output rows: 12 rows of 101 words from offset 0 need 4844 bytes, the output scratchpad has 4843");
  info = make_info(4, 8, true, 64, 64, 64, 4);
  fw::S4dLayerJob bad = job;
  bad.input_row_words = 99;
  CHECK_FALSE(fw::plan_s4d_layer(info, bad, &p, why, sizeof why));
  CHECK(std::string(why).find("resident input rows: a row stride of 99 words is shorter than L = 100") !=
        std::string::npos);
  bad = job;
  bad.output_spad = 6;
  CHECK_FALSE(fw::plan_s4d_layer(info, bad, &p, why, sizeof why));
  CHECK(std::string(why).find("resident output rows: scratchpad offset 6 is not a multiple of 4") !=
        std::string::npos);
}

TEST_CASE("per-segment direction plan: both halves in one run per fold", "[firmware][segdir]") {
  char why[256];
  fw::S4dPlan p;
  fw::AccelInfo hw = make_info(4, 8, true, 64, 64, 64, 4);
  hw.segment_direction = true;
  // 10 items of 2 PEs: 16 segments per array = 8 items per fold, 2 folds, one pass.
  fw::S4dLayerJob job = make_job(5, 2, 100, 2, 2);
  job.workspace_addr = 1 << 20;
  job.workspace_bytes = 1 << 20;
  REQUIRE(fw::plan_s4d_layer(hw, job, &p, why, sizeof why));
  CHECK(p.mixed);
  CHECK((p.segs_per_fold == 8 && p.folds_per_pass == 2 && p.chunks == 1 && p.chunk_len == 100));
  CHECK((p.reverse_len == 99 && p.reverse_chunks == 0 && p.runs == 2));
  uint32_t loads = 0, runs = 0, coeff_dmas = 0;
  for (const cmd::Record& r : fw::build_s4d_stream(p, job)) {
    if (cmd::opcode_of(r) == cmd::Opcode::LOAD_COEFFS) {
      const cmd::LoadCoeffs c = cmd::decode_load_coeffs(r);
      CHECK(c.n_seg == 2 * c.rev_segs);
      CHECK(c.rev_segs == (loads == 0 ? 8u : 2u));
      ++loads;
    } else if (cmd::opcode_of(r) == cmd::Opcode::RUN_SSM) {
      const cmd::RunSsm c = cmd::decode_run_ssm(r);
      CHECK((c.length == 100 && c.rev_length == 99 && c.rev_in_offset == 4));
      CHECK((c.flags & cmd::FLAG_REVERSE) == 0);
      CHECK((c.flags & cmd::FLAG_ACCUMULATE) == 0);  // one mode pass: nothing to add to
      ++runs;
    } else if (cmd::opcode_of(r) == cmd::Opcode::DMA_IN && cmd::decode_dma(r).spad == cmd::SpadId::PARAM) {
      const cmd::DmaDesc d = cmd::decode_dma(r);
      CHECK(d.rows == 2);  // forward records, then the backward ones of the same items
      CHECK(d.sys_stride == p.coeff_bytes / 2);
      ++coeff_dmas;
    }
  }
  CHECK((loads == 2 && runs == 2 && coeff_dmas == 2));
  // Without the feature, or for a unidirectional layer, the plan is the usual one.
  hw.segment_direction = false;
  REQUIRE(fw::plan_s4d_layer(hw, job, &p, why, sizeof why));
  CHECK(!p.mixed);
  CHECK(p.reverse_chunks > 0);
  hw.segment_direction = true;
  REQUIRE(fw::plan_s4d_layer(hw, make_job(5, 2, 100, 2, 1), &p, why, sizeof why));
  CHECK(!p.mixed);
  // L = 1: no backward steps, nothing to pair.
  REQUIRE(fw::plan_s4d_layer(hw, make_job(5, 2, 1, 2, 2), &p, why, sizeof why));
  CHECK(!p.mixed);
}
