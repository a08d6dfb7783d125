// The vector unit's Mamba operations (docs/vector-unit.md): SiLU, softplus (torch's
// threshold rule), the fused gate y * silu(z), RMSNorm and the causal depthwise conv1d,
// as plain functions ([vector]) and as RUN_VEC commands ([vecop]), against independent
// double computations: maths/reference/mamba_reference.h's silu, softplus_torch and
// rms_norm, and the conv1d written here from its formula. The measured maxima are printed
// with EC_PRINT_ERRORS=1 in the environment; the bounds below are those maxima with margin.
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "epochcore/contract/number_format.h"
#include "epochcore/maths/reference/mamba_reference.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/vector/vector_op_math.h"
#include "vector_test_util.h"

using namespace epochcore;
using cmd::RunVec;
using cmd::SpadId;
using Op = cmd::VecOp;
using regs::ErrorCause;
using regs::NumberFormat;
using namespace epochcore::vector_test;

namespace {

// |got - want| / |want| (want != 0), the largest over a run.
struct MaxRel {
  double max = 0.0;
  void add(float got, double want) {
    const double e = want == 0.0 ? std::fabs(double(got)) : std::fabs(double(got) - want) / std::fabs(want);
    if (e > max) max = e;
  }
};

// Causal depthwise conv1d in double from its formula (Conv1d(groups=C, padding=K-1), the
// first L outputs): y[c][t] = bias[c] + sum_k w[c][k] x[c][t-(K-1)+k], x[c][tau < 0] = 0.
std::vector<double> conv_ref(const std::vector<float>& x, uint32_t C, uint32_t L, uint32_t K,
                             const std::vector<float>& w, const std::vector<float>& bias,
                             std::vector<double>* magnitude) {
  std::vector<double> y(size_t(C) * L);
  if (magnitude) magnitude->assign(y.size(), 0.0);
  for (uint32_t c = 0; c < C; ++c)
    for (uint32_t t = 0; t < L; ++t) {
      double acc = bias[c], mag = std::fabs(double(bias[c]));
      for (uint32_t k = 0; k < K; ++k) {
        const int64_t tau = int64_t(t) - int64_t(K - 1) + int64_t(k);
        if (tau < 0) continue;
        const double term = double(w[c * K + k]) * double(x[c * L + size_t(tau)]);
        acc += term;
        mag += std::fabs(term);
      }
      y[c * L + t] = acc;
      if (magnitude) (*magnitude)[c * L + t] = mag;
    }
  return y;
}

// ---------------------------------------------------------------- RUN_VEC helpers

constexpr size_t kSpadWords = 8192;
constexpr float kSentinel = -12345.5f;

struct Spads {
  std::vector<float> mem[cmd::kNumSpads];
  float* ptr[cmd::kNumSpads];
  Spads() {
    for (uint8_t i = 0; i < cmd::kNumSpads; ++i) {
      mem[i].assign(kSpadWords, kSentinel);
      ptr[i] = mem[i].data();
    }
  }
  Spads(const Spads& o) {
    for (uint8_t i = 0; i < cmd::kNumSpads; ++i) {
      mem[i] = o.mem[i];
      ptr[i] = mem[i].data();
    }
  }
  float* at(SpadId s, uint32_t byte_addr) { return ptr[uint8_t(s)] + byte_addr / 4; }
  void put(SpadId s, uint32_t byte_addr, uint32_t rows, uint32_t words, uint32_t step,
           const std::vector<float>& v) {
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t t = 0; t < words; ++t) at(s, byte_addr)[r * step + t] = v[size_t(r) * words + t];
  }
  std::vector<float> get(SpadId s, uint32_t byte_addr, uint32_t rows, uint32_t words, uint32_t step) {
    std::vector<float> v(size_t(rows) * words);
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t t = 0; t < words; ++t) v[size_t(r) * words + t] = at(s, byte_addr)[r * step + t];
    return v;
  }
};

cmd::HwLimits limits(NumberFormat f = NumberFormat::FP32) {
  cmd::HwLimits hw;
  hw.rows = hw.cols = 8;
  for (uint32_t& b : hw.spad_bytes) b = kSpadWords * 4;
  hw.number_format = uint8_t(f);
  return hw;
}

ErrorCause check(const RunVec& c, std::string* why, NumberFormat f = NumberFormat::FP32) {
  return cmd::validate(cmd::encode_run_vec(c), limits(f), 0, why);
}

vec::VecExecResult run(const RunVec& c, Spads& s, NumberFormat f = NumberFormat::FP32,
                       const vec::VecCostParams& p = vec::VecCostParams()) {
  std::string why;
  const ErrorCause e = check(c, &why, f);
  INFO("validate: " << why);
  REQUIRE(e == ErrorCause::NONE);
  return vec::vec_execute(c, s.ptr, f, p);
}

RunVec command(Op op, uint16_t C, uint32_t T) {
  RunVec c;
  c.op = op;
  c.channels = C;
  c.length = T;
  c.a_spad = SpadId::INPUT;
  c.b_spad = SpadId::PARAM;
  c.d_spad = SpadId::OUTPUT;
  c.a_addr = 256;
  c.b_addr = 128;
  c.d_addr = 512;
  c.a_stride = uint16_t(T + 7);
  c.b_stride = uint16_t(T + 5);
  c.d_stride = uint16_t(T + 2);
  return c;
}

}  // namespace

// ================================================================ plain functions

TEST_CASE("SiLU is x * sigmoid(x) rounded once", "[vector][mamba]") {
  std::vector<float> x;
  for (int i = -3000; i <= 3000; ++i) x.push_back(float(i) * 0.01f);  // [-30, 30]
  const std::vector<float> r = normals(21, 2000, 4.0);
  x.insert(x.end(), r.begin(), r.end());
  std::vector<float> y(x.size());
  REQUIRE(vec::silu(x.data(), y.data(), x.size()).ok());
  MaxRel err;
  for (size_t i = 0; i < x.size(); ++i) err.add(y[i], silu(double(x[i])));  // mamba_reference
  report("silu max relative error", err.max);
  CHECK(err.max <= 6.0e-8);  // <= 0.5 ulp: one rounding of a ~1e-16-accurate double
  // Closed values: silu(0) = 0, silu(1) = 1/(1+e^-1) = 0.7310585786300049.
  float v[2] = {0.0f, 1.0f}, out[2];
  REQUIRE(vec::silu(v, out, 2).ok());
  CHECK(out[0] == 0.0f);
  CHECK(out[1] == float(0.7310585786300049));
  std::vector<float> z = x;
  REQUIRE(vec::silu(z.data(), z.data(), z.size()).ok());
  CHECK(same_bits(z, y));
}

TEST_CASE("softplus follows torch's threshold rule around 20", "[vector][mamba]") {
  std::vector<float> x;
  for (int i = -8000; i <= 3000; ++i) x.push_back(float(i) * 0.01f);  // [-80, 30]
  // Both sides of the threshold, ulp by ulp.
  float below = 20.0f, above = 20.0f;
  for (int i = 0; i < 50; ++i) {
    x.push_back(below);
    x.push_back(above);
    below = std::nextafter(below, 0.0f);
    above = std::nextafter(above, 100.0f);
  }
  std::vector<float> y(x.size());
  REQUIRE(vec::softplus(x.data(), y.data(), x.size()).ok());
  MaxRel err;
  for (size_t i = 0; i < x.size(); ++i) {
    err.add(y[i], softplus_torch(double(x[i])));
    if (x[i] > 20.0f) {
      INFO("x = " << x[i]);
      CHECK(y[i] == x[i]);  // the input itself, bit for bit
    }
  }
  report("softplus max relative error", err.max);
  CHECK(err.max <= 6.0e-8);
  // 20 itself is below the threshold: log1p(exp(20)) = 20 + 2.06e-9, which rounds to 20.
  float v[6] = {20.0f, 0.0f, -30.0f, 1000.0f, FLT_MAX, 709.0f}, out[6];
  REQUIRE(vec::softplus(v, out, 6).ok());
  CHECK(out[0] == 20.0f);
  CHECK(out[1] == float(std::log(2.0)));
  CHECK(out[2] == float(std::log1p(std::exp(-30.0))));
  // Where exp overflows (double exp(x) = inf past ~709.8) only the rule keeps x: without
  // it these would be +inf.
  CHECK(out[3] == 1000.0f);
  CHECK(out[4] == FLT_MAX);
  CHECK(out[5] == 709.0f);
}

TEST_CASE("the gate is y * silu(z), fused and rounded once", "[vector][mamba]") {
  const size_t n = 5000;
  const std::vector<float> y = normals(31, n, 3.0), z = normals(32, n, 4.0);
  std::vector<float> out(n);
  REQUIRE(vec::gate(y.data(), z.data(), out.data(), n).ok());
  MaxRel err;
  size_t differ_from_two_roundings = 0;
  for (size_t i = 0; i < n; ++i) {
    err.add(out[i], double(y[i]) * silu(double(z[i])));
    differ_from_two_roundings += out[i] != y[i] * float(silu(double(z[i])));
  }
  report("gate max relative error", err.max);
  CHECK(err.max <= 6.0e-8);
  // SILU then MUL (two roundings) is a different function: some elements differ.
  CHECK(differ_from_two_roundings > 0);
  // In place on either operand.
  std::vector<float> a = y, b = z;
  REQUIRE(vec::gate(a.data(), z.data(), a.data(), n).ok());
  REQUIRE(vec::gate(y.data(), b.data(), b.data(), n).ok());
  CHECK(same_bits(a, out));
  CHECK(same_bits(b, out));
}

TEST_CASE("RMSNorm matches the double reference (mamba_reference rms_norm)", "[vector][mamba]") {
  const uint32_t H = 48, L = 20;
  S4ModelDesc d;
  d.H = H;
  d.L = L;
  d.norm_eps = 1e-5;
  const float eps = float(d.norm_eps);
  std::vector<float> w = normals(41, H, 0.1);
  for (float& v : w) v += 1.0f;
  MaxRel err;
  double max_abs = 0.0;
  for (double spread : {1e-3, 1.0, 30.0, 1e3}) {
    INFO("spread " << spread);
    const std::vector<float> x = normals(uint64_t(42 + spread), H * L, spread);
    std::vector<float> y(H * L);
    REQUIRE(vec::rmsnorm(x.data(), y.data(), H, L, w, eps).ok());
    std::vector<double> want(x.begin(), x.end());
    rms_norm(d, std::vector<double>(w.begin(), w.end()), want, 1);
    for (size_t i = 0; i < y.size(); ++i) {
      err.add(y[i], want[i]);
      max_abs = std::max(max_abs, std::fabs(double(y[i]) - want[i]));
    }
    std::vector<float> again = x;
    REQUIRE(vec::rmsnorm(again.data(), again.data(), H, L, w, eps).ok());
    CHECK(same_bits(again, y));
  }
  report("rmsnorm max relative error", err.max);
  CHECK(err.max <= 5e-7);
  // One step by hand: x = (3, 4), w = 1, eps tiny: rms = sqrt(12.5), y = x / 3.5355339.
  float x2[2] = {3.0f, 4.0f}, y2[2];
  REQUIRE(vec::rmsnorm(x2, y2, 2, 1, {1.0f, 1.0f}, 1e-30f).ok());
  CHECK(std::fabs(y2[0] - 3.0 / std::sqrt(12.5)) < 1e-6);
  CHECK(std::fabs(y2[1] - 4.0 / std::sqrt(12.5)) < 1e-6);

  std::vector<float> x(H * L, 1.0f), y(H * L);
  const vec::VecStatus zero = vec::rmsnorm(x.data(), y.data(), 0, L, {}, eps);
  CHECK(contains(zero.error, "rmsnorm: channel count"));
  CHECK(contains(vec::rmsnorm(x.data(), y.data(), H, L, {1.0f}, eps).error, "weight has 1 values, expected 48"));
  CHECK(contains(vec::rmsnorm(x.data(), y.data(), H, L, w, 0.0f).error, "eps must be > 0"));
}

TEST_CASE("conv1d is causal and depthwise, and chunks with history give the same bits", "[vector][mamba]") {
  const uint32_t C = 6, L = 41;
  double max_scaled = 0.0;
  for (uint32_t K : {1u, 2u, 4u, 7u, 16u}) {
    INFO("K " << K);
    const std::vector<float> x = normals(50 + K, C * L, 2.0), w = normals(60 + K, C * K, 0.5),
                             bias = normals(70 + K, C, 0.5);
    std::vector<float> y(C * L);
    REQUIRE(vec::conv1d_causal(x.data(), y.data(), C, L, K, w, bias).ok());
    std::vector<double> mag;
    const std::vector<double> want = conv_ref(x, C, L, K, w, bias, &mag);
    for (size_t i = 0; i < y.size(); ++i) {
      const double scaled = std::fabs(double(y[i]) - want[i]) / mag[i];  // relative to sum |terms|
      max_scaled = std::max(max_scaled, scaled);
    }
    // Causal: changing x at step 20 leaves steps < 20 unchanged, and steps >= 20 + K too.
    std::vector<float> x2 = x;
    x2[2 * L + 20] += 1.0f;
    std::vector<float> y2(C * L);
    REQUIRE(vec::conv1d_causal(x2.data(), y2.data(), C, L, K, w, bias).ok());
    for (uint32_t c = 0; c < C; ++c)
      for (uint32_t t = 0; t < L; ++t) {
        const bool may_change = c == 2 && t >= 20 && t < 20 + K;
        if (!may_change) CHECK(y2[c * L + t] == y[c * L + t]);
      }
    // In place gives the same bits.
    std::vector<float> in_place = x;
    REQUIRE(vec::conv1d_causal(in_place.data(), in_place.data(), C, L, K, w, bias).ok());
    CHECK(same_bits(in_place, y));
    // Chunks 13 + 17 + 11 with the previous chunk's last K-1 inputs as history, chunk 0
    // with none: bit for bit the unchunked result.
    std::vector<float> chunked(C * L);
    const uint32_t cuts[4] = {0, 13, 30, L};
    for (int k = 0; k < 3; ++k) {
      const uint32_t t0 = cuts[k], n = cuts[k + 1] - cuts[k];
      std::vector<float> xin(C * n), yout(C * n), hist(C * (K - 1), 0.0f);
      for (uint32_t c = 0; c < C; ++c) {
        for (uint32_t t = 0; t < n; ++t) xin[c * n + t] = x[c * L + t0 + t];
        for (uint32_t j = 0; j + 1 < K; ++j) {
          const int64_t tau = int64_t(t0) - int64_t(K - 1) + int64_t(j);
          hist[c * (K - 1) + j] = tau >= 0 ? x[c * L + size_t(tau)] : 0.0f;
        }
      }
      REQUIRE(vec::conv1d_causal(xin.data(), yout.data(), C, n, K, w, bias, k == 0 ? nullptr : hist.data()).ok());
      for (uint32_t c = 0; c < C; ++c)
        for (uint32_t t = 0; t < n; ++t) chunked[c * L + t0 + t] = yout[c * n + t];
    }
    CHECK(same_bits(chunked, y));
  }
  report("conv1d max |error| / sum |terms|", max_scaled);
  CHECK(max_scaled <= 4e-7);

  // K = 3 by hand: y[t] = b + w0 x[t-2] + w1 x[t-1] + w2 x[t], zeros before t = 0.
  const std::vector<float> x = {1, 2, 3, 4}, w = {0.5f, -1.0f, 2.0f}, b = {0.25f};
  std::vector<float> y(4);
  REQUIRE(vec::conv1d_causal(x.data(), y.data(), 1, 4, 3, w, b).ok());
  CHECK(y == std::vector<float>{0.25f + 2.0f, 0.25f - 1.0f + 4.0f, 0.25f + 0.5f - 2.0f + 6.0f,
                                0.25f + 1.0f - 3.0f + 8.0f});

  std::vector<float> out(4);
  CHECK(contains(vec::conv1d_causal(x.data(), out.data(), 1, 4, 0, {}, b).error, "taps K = 0 is outside [1, 16]"));
  CHECK(contains(vec::conv1d_causal(x.data(), out.data(), 1, 4, 17, std::vector<float>(17), b).error,
                 "taps K = 17 is outside [1, 16]"));
  CHECK(contains(vec::conv1d_causal(x.data(), out.data(), 0, 4, 3, {}, {}).error, "channel count must be >= 1"));
  CHECK(contains(vec::conv1d_causal(x.data(), out.data(), 1, 0, 3, w, b).error, "length must be >= 1"));
  CHECK(contains(vec::conv1d_causal(x.data(), out.data(), 1, 4, 3, {1, 2}, b).error, "weight has 2 values, expected channels*K = 3"));
  CHECK(contains(vec::conv1d_causal(x.data(), out.data(), 1, 4, 3, w, {}).error, "bias has 0 values"));
}

TEST_CASE("Mamba operation costs", "[vector][mamba]") {
  vec::VecCostParams p;  // 32 lanes
  vec::VecCost c;
  REQUIRE(vec::vec_cost(vec::VecOp::Conv1d, 10, 100, p, c, 4).ok());  // 1000 elements
  CHECK(c.elements == 1000);
  CHECK(c.cycles == 32 * 1 * 4);  // ceil(1000/32) groups, one cycle per tap
  CHECK(c.ops.mul == 4000);
  CHECK(c.ops.add == 4000);
  p.conv1d_factor = 2;
  REQUIRE(vec::vec_cost(vec::VecOp::Conv1d, 10, 100, p, c, 4).ok());
  CHECK(c.cycles == 32 * 2 * 4);
  CHECK(contains(vec::vec_cost(vec::VecOp::Conv1d, 10, 100, p, c).error, "conv1d cost: taps K = 0"));
  CHECK(contains(vec::vec_cost(vec::VecOp::Conv1d, 10, 100, p, c, 17).error, "taps K = 17"));
  REQUIRE(vec::vec_cost(vec::VecOp::RmsNorm, 8, 5, p, c).ok());
  CHECK(c.cycles == 2 * 2);
  CHECK(c.ops.mul == 3 * 40);
  CHECK(c.ops.add == 40 + 5);
  CHECK(c.ops.special == 3 * 5);
  for (vec::VecOp op : {vec::VecOp::Silu, vec::VecOp::Softplus, vec::VecOp::Gate}) {
    INFO(vec::vec_op_name(op));
    REQUIRE(vec::vec_cost(op, 4, 16, p, c).ok());
    CHECK(c.elements == 64);
    CHECK(c.cycles == 2 * 4);
    CHECK(c.ops.special == 128);
  }
  // The fused gate is cheaper than SILU then MUL on the same tile.
  vec::VecCost silu_c, mul_c, gate_c;
  REQUIRE(vec::vec_cost(vec::VecOp::Silu, 64, 64, p, silu_c).ok());
  REQUIRE(vec::vec_cost(vec::VecOp::Mul, 64, 64, p, mul_c).ok());
  REQUIRE(vec::vec_cost(vec::VecOp::Gate, 64, 64, p, gate_c).ok());
  CHECK(gate_c.cycles < silu_c.cycles + mul_c.cycles);
  // The factors are checked by name.
  for (auto [field, name] : {std::pair<uint32_t vec::VecCostParams::*, const char*>{&vec::VecCostParams::rmsnorm_factor, "rmsnorm_factor"},
                             {&vec::VecCostParams::conv1d_factor, "conv1d_factor"},
                             {&vec::VecCostParams::silu_factor, "silu_factor"},
                             {&vec::VecCostParams::softplus_factor, "softplus_factor"},
                             {&vec::VecCostParams::gate_factor, "gate_factor"}}) {
    vec::VecCostParams bad;
    bad.*field = 0;
    CHECK(vec::check_cost_params(bad).error == std::string(name) + " must be >= 1");
  }
  // Today's figures are unchanged.
  const vec::VecCostParams def;
  CHECK(def.gelu_factor == 4);
  CHECK(def.glu_factor == 4);
  CHECK(def.layernorm_factor == 3);
  CHECK(def.residual_factor == 1);
}

// ================================================================ RUN_VEC

TEST_CASE("RUN_VEC SILU, SOFTPLUS and GATE evaluate the row kernels, strided", "[vecop][mamba]") {
  const uint16_t C = 5;
  const uint32_t T = 37;
  for (Op op : {Op::SILU, Op::SOFTPLUS, Op::GATE}) {
    INFO(cmd::vec_op_name(uint8_t(op)));
    Spads s;
    RunVec c = command(op, C, T);
    const std::vector<float> a = normals(80, C * T, 8.0), b = normals(81, C * T, 3.0);
    s.put(SpadId::INPUT, c.a_addr, C, T, c.a_stride, a);
    s.put(SpadId::PARAM, c.b_addr, C, T, c.b_stride, b);
    const Spads before = s;
    const vec::VecExecResult r = run(c, s);
    CHECK(r.elements == uint64_t(C) * T);
    CHECK(r.cycles == (uint64_t(C) * T + 31) / 32 * 4);
    CHECK(r.read_words[0] == uint64_t(C) * T);
    CHECK(r.read_words[1] == (op == Op::GATE ? uint64_t(C) * T : 0));
    CHECK(r.write_words[2] == uint64_t(C) * T);
    const std::vector<float> got = s.get(SpadId::OUTPUT, c.d_addr, C, T, c.d_stride);
    MaxRel err;
    for (size_t i = 0; i < got.size(); ++i) {
      const double x = a[i];
      const double want = op == Op::SILU ? silu(x) : op == Op::SOFTPLUS ? softplus_torch(x) : x * silu(double(b[i]));
      err.add(got[i], want);
    }
    CHECK(err.max <= 6.0e-8);
    // Nothing outside D's rows changed: the gaps between rows keep the sentinel.
    for (uint32_t ch = 0; ch < C; ++ch)
      for (uint32_t t = T; t < c.d_stride; ++t) CHECK(s.at(SpadId::OUTPUT, c.d_addr)[ch * c.d_stride + t] == kSentinel);
    CHECK(s.mem[0] == before.mem[0]);
    CHECK(s.mem[1] == before.mem[1]);
    // In place on A (and on B for GATE).
    RunVec ip = c;
    ip.d_spad = SpadId::INPUT;
    ip.d_addr = c.a_addr;
    ip.d_stride = c.a_stride;
    Spads t = before;
    run(ip, t);
    CHECK(same_bits(t.get(SpadId::INPUT, c.a_addr, C, T, c.a_stride), got));
    if (op == Op::GATE) {
      ip.d_spad = SpadId::PARAM;
      ip.d_addr = c.b_addr;
      ip.d_stride = c.b_stride;
      Spads u = before;
      run(ip, u);
      CHECK(same_bits(u.get(SpadId::PARAM, c.b_addr, C, T, c.b_stride), got));
    }
    // bf16: the float result rounded once more, to bf16.
    Spads bf = before;
    run(c, bf, NumberFormat::BF16);
    const std::vector<float> got_bf = bf.get(SpadId::OUTPUT, c.d_addr, C, T, c.d_stride);
    for (size_t i = 0; i < got.size(); ++i) CHECK(got_bf[i] == numfmt::round_to_bf16(got[i]));
  }
}

TEST_CASE("RUN_VEC RMSNORM reads weight and eps from B", "[vecop][mamba]") {
  const uint16_t C = 12;
  const uint32_t T = 9;
  Spads s;
  RunVec c = command(Op::RMSNORM, C, T);
  const std::vector<float> x = normals(90, C * T, 2.0);
  std::vector<float> w = normals(91, C, 0.1);
  for (float& v : w) v += 1.0f;
  std::vector<float> bw = w;
  bw.push_back(1e-5f);
  s.put(SpadId::INPUT, c.a_addr, C, T, c.a_stride, x);
  s.put(SpadId::PARAM, c.b_addr, 1, C + 1, 0, bw);
  const vec::VecExecResult r = run(c, s);
  CHECK(r.read_words[1] == uint64_t(C) + 1);
  CHECK(r.cycles == (uint64_t(C) * T + 31) / 32 * 2);
  std::vector<float> dense(C * T);
  REQUIRE(vec::rmsnorm(x.data(), dense.data(), C, T, w, 1e-5f).ok());
  CHECK(same_bits(s.get(SpadId::OUTPUT, c.d_addr, C, T, c.d_stride), dense));
  // In place on A.
  RunVec ip = c;
  ip.d_spad = SpadId::INPUT;
  ip.d_addr = c.a_addr;
  ip.d_stride = c.a_stride;
  run(ip, s);
  CHECK(same_bits(s.get(SpadId::INPUT, c.a_addr, C, T, c.a_stride), dense));
  // D on B (the parameters) is refused.
  RunVec on_b = c;
  on_b.d_spad = SpadId::PARAM;
  on_b.d_addr = c.b_addr;
  on_b.d_stride = uint16_t(T);
  std::string why;
  CHECK(check(on_b, &why) == ErrorCause::BAD_FIELD);
  CHECK(contains(why, "overlaps operand B"));
}

TEST_CASE("RUN_VEC CONV1D: zero history, FLAG_HISTORY and chunks equal the unchunked run", "[vecop][mamba]") {
  const uint16_t C = 5;
  const uint32_t L = 40, K = 4;
  const std::vector<float> x = normals(100, C * L, 2.0), w = normals(101, C * K, 0.5), bias = normals(102, C, 0.5);
  std::vector<float> params = w;
  params.insert(params.end(), bias.begin(), bias.end());
  std::vector<float> want(C * L);
  REQUIRE(vec::conv1d_causal(x.data(), want.data(), C, L, K, w, bias).ok());

  // Unchunked, rows strided, no history.
  Spads s;
  RunVec c = command(Op::CONV1D, C, L);
  c.b_stride = uint16_t(K);
  s.put(SpadId::INPUT, c.a_addr, C, L, c.a_stride, x);
  s.put(SpadId::PARAM, c.b_addr, 1, C * (K + 1), 0, params);
  const vec::VecExecResult r = run(c, s);
  CHECK(same_bits(s.get(SpadId::OUTPUT, c.d_addr, C, L, c.d_stride), want));
  CHECK(r.cycles == (uint64_t(C) * L + 31) / 32 * K);
  CHECK(r.read_words[0] == uint64_t(C) * L);
  CHECK(r.read_words[1] == uint64_t(C) * (K + 1));
  CHECK(r.ops.mul == uint64_t(C) * L * K);

  // Chunks of 16, 16, 8 steps. Each chunk's tile has K-1 words in front of every row; the
  // first chunk runs without the flag, the others with FLAG_HISTORY after a RUN_VEC COPY
  // of the previous tile's last K-1 columns into those words.
  const uint32_t cuts[4] = {0, 16, 32, L};
  const uint32_t tile_stride = 16 + K - 1 + 2;
  const uint32_t tile_addr[2] = {4 * (K - 1), 4 * (K - 1) + 4 * C * tile_stride + 64};  // ping-pong
  Spads ch;
  ch.put(SpadId::PARAM, c.b_addr, 1, C * (K + 1), 0, params);
  std::vector<float> chunked(C * L);
  for (int k = 0; k < 3; ++k) {
    const uint32_t t0 = cuts[k], n = cuts[k + 1] - cuts[k];
    const uint32_t at = tile_addr[k % 2];
    std::vector<float> xin(C * n);
    for (uint32_t cc = 0; cc < C; ++cc)
      for (uint32_t t = 0; t < n; ++t) xin[cc * n + t] = x[cc * L + t0 + t];
    ch.put(SpadId::INPUT, at, C, n, tile_stride, xin);  // the chunk's DMA_IN
    RunVec conv = c;
    conv.length = n;
    conv.a_addr = at;
    conv.a_stride = uint16_t(tile_stride);
    conv.d_addr = 512;
    conv.d_stride = uint16_t(n);
    if (k > 0) {
      const uint32_t prev = tile_addr[(k - 1) % 2], prev_n = cuts[k] - cuts[k - 1];
      RunVec copy = command(Op::COPY, C, K - 1);
      copy.a_addr = prev + 4 * (prev_n - (K - 1));
      copy.a_stride = uint16_t(tile_stride);
      copy.d_spad = SpadId::INPUT;
      copy.d_addr = at - 4 * (K - 1);
      copy.d_stride = uint16_t(tile_stride);
      run(copy, ch);
      conv.flags = cmd::FLAG_HISTORY;
    }
    const vec::VecExecResult rc = run(conv, ch);
    CHECK(rc.read_words[0] == uint64_t(C) * (n + (k > 0 ? K - 1 : 0)));
    const std::vector<float> got = ch.get(SpadId::OUTPUT, 512, C, n, n);
    for (uint32_t cc = 0; cc < C; ++cc)
      for (uint32_t t = 0; t < n; ++t) chunked[cc * L + t0 + t] = got[cc * n + t];
  }
  CHECK(same_bits(chunked, want));

  // FLAG_HISTORY with zero history words is the start of a sequence: the same bits.
  Spads z;
  RunVec hz = c;
  hz.flags = cmd::FLAG_HISTORY;
  hz.a_stride = uint16_t(L + K - 1);
  hz.a_addr = 4 * 64;
  for (uint32_t cc = 0; cc < C; ++cc)
    for (uint32_t j = 0; j < K - 1; ++j) z.at(SpadId::INPUT, hz.a_addr)[int64_t(cc) * hz.a_stride - (K - 1) + j] = 0.0f;
  z.put(SpadId::INPUT, hz.a_addr, C, L, hz.a_stride, x);
  z.put(SpadId::PARAM, c.b_addr, 1, C * (K + 1), 0, params);
  run(hz, z);
  CHECK(same_bits(z.get(SpadId::OUTPUT, c.d_addr, C, L, c.d_stride), want));
  // ... and in place on A, with history: the same bits, the history words untouched.
  RunVec ip = hz;
  ip.d_spad = SpadId::INPUT;
  ip.d_addr = hz.a_addr;
  ip.d_stride = hz.a_stride;
  run(ip, z);
  CHECK(same_bits(z.get(SpadId::INPUT, hz.a_addr, C, L, hz.a_stride), want));
  for (uint32_t cc = 0; cc < C; ++cc)
    for (uint32_t j = 0; j < K - 1; ++j) CHECK(z.at(SpadId::INPUT, hz.a_addr)[int64_t(cc) * hz.a_stride - (K - 1) + j] == 0.0f);
}

TEST_CASE("RUN_VEC CONV1D and the other Mamba operations refuse bad parameters by name", "[vecop][mamba]") {
  const RunVec good = [] {
    RunVec c = command(Op::CONV1D, 4, 16);
    c.b_stride = 4;
    c.flags = cmd::FLAG_HISTORY;
    c.a_stride = 16 + 3;
    return c;
  }();
  std::string why;
  REQUIRE(check(good, &why) == ErrorCause::NONE);
  auto bad = [&](void (*edit)(RunVec&), ErrorCause cause, const char* part) {
    RunVec c = good;
    edit(c);
    std::string w;
    const ErrorCause e = check(c, &w);
    INFO(part << ": " << w);
    CHECK(e == cause);
    CHECK(contains(w, part));
  };
  bad([](RunVec& c) { c.b_stride = 0; }, ErrorCause::BAD_FIELD, "CONV1D taps K (word 4 bits 31:16) must be in 1..16");
  bad([](RunVec& c) { c.b_stride = 17; }, ErrorCause::BAD_FIELD, "CONV1D taps K");
  bad([](RunVec& c) { c.channels = 0; }, ErrorCause::BAD_FIELD, "channels (word 4 bits 15:0)");
  bad([](RunVec& c) { c.length = 0; }, ErrorCause::BAD_FIELD, "length (word 5)");
  bad([](RunVec& c) { c.a_addr = 258; }, ErrorCause::BAD_SPAD_ADDRESS, "operand A misaligned");
  bad([](RunVec& c) { c.b_addr = 130; }, ErrorCause::BAD_SPAD_ADDRESS, "operand B misaligned");
  bad([](RunVec& c) { c.a_addr = 8; }, ErrorCause::BAD_SPAD_ADDRESS, "history words");
  bad([](RunVec& c) { c.a_stride = 18; }, ErrorCause::BAD_FIELD, "a_stride (words) must be at least the row length (CONV1D with FLAG_HISTORY: length + K-1)");
  bad([](RunVec& c) { c.b_addr = uint32_t(kSpadWords * 4 - 16); }, ErrorCause::BAD_SPAD_ADDRESS, "operand B misaligned or outside");
  bad([](RunVec& c) { c.flags = cmd::FLAG_ACCUMULATE; }, ErrorCause::BAD_FIELD, "FLAG_ACCUMULATE is only defined for POOL_SUM");
  bad([](RunVec& c) { c.op = Op::SILU; }, ErrorCause::BAD_FIELD, "FLAG_HISTORY is only defined for CONV1D");
  bad([](RunVec& c) { c.flags = 1 << 4; }, ErrorCause::BAD_FIELD, "RUN_VEC takes no flag but");
  // D overlapping A's history words (not exactly in place) is a partial overlap.
  bad([](RunVec& c) { c.d_spad = SpadId::INPUT; c.d_addr = c.a_addr - 4; c.d_stride = c.a_stride; }, ErrorCause::BAD_FIELD,
      "partly overlaps operand A");
  bad([](RunVec& c) { c.b_spad = SpadId(3); }, ErrorCause::BAD_SPAD_ID, "scratchpad id");
  // Without the flag the history words are not read: a_addr 0 and a tight stride are fine.
  RunVec plain = good;
  plain.flags = 0;
  plain.a_addr = 0;
  plain.a_stride = 16;
  CHECK(check(plain, &why) == ErrorCause::NONE);
  // RMSNORM / GATE / SILU / SOFTPLUS: zero channels or length, misaligned operands.
  for (Op op : {Op::RMSNORM, Op::GATE, Op::SILU, Op::SOFTPLUS}) {
    INFO(cmd::vec_op_name(uint8_t(op)));
    RunVec c = command(op, 3, 8);
    CHECK(check(c, &why) == ErrorCause::NONE);
    RunVec z = c;
    z.channels = 0;
    CHECK(check(z, &why) == ErrorCause::BAD_FIELD);
    CHECK(contains(why, "channels"));
    z = c;
    z.length = 0;
    CHECK(check(z, &why) == ErrorCause::BAD_FIELD);
    CHECK(contains(why, "length"));
    z = c;
    z.d_addr = 514;
    CHECK(check(z, &why) == ErrorCause::BAD_SPAD_ADDRESS);
    CHECK(contains(why, "destination D misaligned"));
  }
  // RUN_SSM does not take FLAG_HISTORY.
  cmd::RunSsm ssm;
  ssm.flags = cmd::FLAG_HISTORY;
  ssm.length = 4;
  CHECK(cmd::validate(cmd::encode_run_ssm(ssm), limits(), 1, &why) == ErrorCause::BAD_FIELD);
  CHECK(contains(why, "unknown flag bits"));
}
