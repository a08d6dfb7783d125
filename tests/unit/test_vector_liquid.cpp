// The vector unit's LIQUID operation (docs/liquid-s4.md, docs/vector-unit.md): the
// Liquid-S4 liquid terms sum_p coeff_p * c_p (allcombs false, no lcontract) in float, as a
// plain function ([vector]) and as a RUN_VEC command ([vecop]), against the double-precision
// reference's correlations (maths/reference/liquid_s4_reference.h liquid_correlations).
// The measured maxima are printed with EC_PRINT_ERRORS=1; the bounds are those with margin.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "epochcore/maths/reference/liquid_s4_reference.h"
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

// The double reference: base + sum_p coeff[c][p-2] * c_p[t'] with c_p from
// liquid_correlations (the reference's own recursion, allcombs false, no lcontract);
// `mag` is the same sum of magnitudes (the error scale).
std::vector<double> liquid_ref(const std::vector<float>& x, const std::vector<float>* base, uint32_t C,
                               uint32_t L, uint32_t Q, const std::vector<float>& coeff, bool reverse,
                               std::vector<double>* mag) {
  LiquidSpec s;
  s.degree = Q + 1;
  std::vector<double> y(size_t(C) * L);
  mag->assign(y.size(), 0.0);
  for (uint32_t c = 0; c < C; ++c) {
    std::vector<double> u(x.begin() + size_t(c) * L, x.begin() + size_t(c + 1) * L);
    const std::vector<double> cp = liquid_correlations(s, u.data(), L);  // [Q][L]
    for (uint32_t t = 0; t < L; ++t) {
      const uint32_t src = reverse ? L - 1 - t : t;
      const double b0 = base ? double((*base)[size_t(c) * L + t]) : double(x[size_t(c) * L + t]);
      double acc = b0, m = std::fabs(b0);
      for (uint32_t k = 0; k < Q; ++k) {
        const double term = double(coeff[size_t(c) * Q + k]) * cp[size_t(k) * L + src];
        acc += term;
        m += std::fabs(term);
      }
      y[size_t(c) * L + t] = acc;
      (*mag)[size_t(c) * L + t] = m;
    }
  }
  return y;
}

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
  float* at(SpadId s, uint32_t byte_addr) { return ptr[uint8_t(s)] + byte_addr / 4; }
  void put(SpadId s, uint32_t byte_addr, uint32_t rows, uint32_t words, uint32_t step, const float* v) {
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

cmd::HwLimits limits() {
  cmd::HwLimits hw;
  hw.rows = hw.cols = 8;
  for (uint32_t& b : hw.spad_bytes) b = kSpadWords * 4;
  hw.number_format = uint8_t(NumberFormat::FP32);
  return hw;
}

ErrorCause check(const RunVec& c, std::string* why) { return cmd::validate(cmd::encode_run_vec(c), limits(), 0, why); }

vec::VecExecResult run(const RunVec& c, Spads& s) {
  std::string why;
  const ErrorCause e = check(c, &why);
  INFO("validate: " << why);
  REQUIRE(e == ErrorCause::NONE);
  return vec::vec_execute(c, s.ptr, NumberFormat::FP32, vec::VecCostParams());
}

// LIQUID on C rows of T steps: A in INPUT at 256 (stride T+9, room for history), B (the
// [C][Q] coefficients) in PARAM at 128, D in OUTPUT at 512 (stride T+2).
RunVec liquid_command(uint16_t C, uint32_t T, uint16_t Q, uint8_t flags) {
  RunVec c;
  c.op = Op::LIQUID;
  c.flags = flags;
  c.channels = C;
  c.length = T;
  c.a_spad = SpadId::INPUT;
  c.b_spad = SpadId::PARAM;
  c.d_spad = SpadId::OUTPUT;
  c.a_addr = 256;
  c.b_addr = 128;
  c.d_addr = 512;
  c.a_stride = uint16_t(T + 9);
  c.b_stride = Q;
  c.d_stride = uint16_t(T + 2);
  return c;
}

}  // namespace

TEST_CASE("liquid terms match the double reference's correlations, forward and reversed", "[vector][liquid]") {
  const uint32_t C = 3, L = 37;
  double worst = 0.0;
  for (uint32_t Q = 1; Q <= vec::kMaxLiquidOrders; ++Q) {
    for (int reverse = 0; reverse < 2; ++reverse) {
      for (int with_base = 0; with_base < 2; ++with_base) {
        INFO("Q = " << Q << " reverse " << reverse << " base " << with_base);
        const std::vector<float> x = normals(100 + Q, size_t(C) * L, 1.0);
        const std::vector<float> base = normals(200 + Q, size_t(C) * L, 1.0);
        const std::vector<float> coeff = normals(300 + Q, size_t(C) * Q, 0.5);
        std::vector<float> y(size_t(C) * L, kSentinel);
        REQUIRE(vec::liquid_terms(x.data(), with_base ? base.data() : nullptr, y.data(), C, L, Q, coeff,
                                  reverse != 0)
                    .ok());
        std::vector<double> mag;
        const std::vector<double> want = liquid_ref(x, with_base ? &base : nullptr, C, L, Q, coeff, reverse != 0, &mag);
        for (size_t i = 0; i < y.size(); ++i) {
          // float products of up to 2^(Q) factors and Q+1 float adds: a few ulps per factor.
          const double e = std::fabs(double(y[i]) - want[i]) / std::max(mag[i], 1e-30);
          worst = std::max(worst, e);
        }
      }
    }
  }
  report("liquid terms, |err| / sum|terms|", worst);
  CHECK(worst < 1e-5);  // measured 1.0e-6 (EC_PRINT_ERRORS=1; Q = 7 products of 64 factors)
}

TEST_CASE("liquid terms: the worked example of the spec (order 2, no coefficients' rounding)", "[vector][liquid]") {
  // liquid_s4_spec.md section 6: u = (1, 2, -1, 0.5): c_2 = (0, 2, -2, -0.5); flipped (-0.5, -2, 2, 0).
  const std::vector<float> u = {1.0f, 2.0f, -1.0f, 0.5f};
  const std::vector<float> one = {1.0f};
  std::vector<float> zero(4, 0.0f), y(4);
  REQUIRE(vec::liquid_terms(u.data(), zero.data(), y.data(), 1, 4, 1, one, false).ok());
  CHECK(y == std::vector<float>({0.0f, 2.0f, -2.0f, -0.5f}));
  REQUIRE(vec::liquid_terms(u.data(), zero.data(), y.data(), 1, 4, 1, one, true).ok());
  CHECK(y == std::vector<float>({-0.5f, -2.0f, 2.0f, 0.0f}));
  // Order 3: c_3[t] = u_t u_{t-1}^2 u_{t-2}: (0, 0, -4, 1).
  const std::vector<float> c23 = {0.0f, 1.0f};
  REQUIRE(vec::liquid_terms(u.data(), zero.data(), y.data(), 1, 4, 2, c23, false).ok());
  CHECK(y == std::vector<float>({0.0f, 0.0f, -4.0f, 1.0f}));
}

TEST_CASE("liquid terms in chunks with history give the bits of the whole row", "[vector][liquid]") {
  const uint32_t C = 2, L = 50;
  for (uint32_t Q : {1u, 2u, 3u, 7u}) {
    INFO("Q = " << Q);
    const std::vector<float> x = normals(7 + Q, size_t(C) * L, 1.0);
    const std::vector<float> coeff = normals(9 + Q, size_t(C) * Q, 0.5);
    std::vector<float> whole(size_t(C) * L);
    REQUIRE(vec::liquid_terms(x.data(), nullptr, whole.data(), C, L, Q, coeff, false).ok());
    std::vector<float> chunked(size_t(C) * L);
    const uint32_t cuts[] = {0, 3, 20, 21, 50};
    for (size_t k = 0; k + 1 < 5; ++k) {
      const uint32_t t0 = cuts[k], n = cuts[k + 1] - cuts[k];
      for (uint32_t c = 0; c < C; ++c) {
        float hist[vec::kMaxLiquidOrders];
        for (uint32_t j = 0; j < Q; ++j) {
          const int64_t tau = int64_t(t0) - int64_t(Q) + int64_t(j);
          hist[j] = tau < 0 ? 0.0f : x[size_t(c) * L + size_t(tau)];
        }
        vec::liquid_row(&x[size_t(c) * L + t0], hist, &coeff[size_t(c) * Q], Q, nullptr, &chunked[size_t(c) * L + t0],
                        n, false);
      }
    }
    CHECK(same_bits(chunked, whole));
  }
}

TEST_CASE("liquid terms refuse bad parameters by name", "[vector][liquid]") {
  const std::vector<float> x(8, 1.0f), coeff(2, 1.0f);
  std::vector<float> y(8);
  CHECK(contains(vec::liquid_terms(x.data(), nullptr, y.data(), 2, 4, 0, {}, false).error, "orders Q = 0"));
  CHECK(contains(vec::liquid_terms(x.data(), nullptr, y.data(), 2, 4, 8, std::vector<float>(16), false).error,
                 "orders Q = 8 is outside [1, 7]"));
  CHECK(contains(vec::liquid_terms(x.data(), nullptr, y.data(), 2, 4, 2, coeff, false).error, "coeff has 2 values"));
  CHECK(contains(vec::liquid_terms(x.data(), nullptr, const_cast<float*>(x.data()) + 1, 2, 3, 1, coeff, false).error,
                 "overlaps the input"));
  CHECK(contains(vec::liquid_terms(x.data(), nullptr, y.data(), 0, 4, 1, {}, false).error, "channel count"));
}

TEST_CASE("RUN_VEC LIQUID: strided, accumulate, reverse, history, and its cost", "[vecop][liquid]") {
  const uint16_t C = 3, Q = 2;
  const uint32_t T = 40;
  const std::vector<float> x = normals(11, size_t(C) * T, 1.0);
  const std::vector<float> s0 = normals(12, size_t(C) * T, 1.0);
  const std::vector<float> coeff = normals(13, size_t(C) * Q, 0.5);
  for (uint8_t flags : {uint8_t(0), uint8_t(cmd::FLAG_ACCUMULATE), uint8_t(cmd::FLAG_REVERSE),
                        uint8_t(cmd::FLAG_ACCUMULATE | cmd::FLAG_REVERSE)}) {
    INFO("flags " << int(flags));
    const bool acc = flags & cmd::FLAG_ACCUMULATE, rev = flags & cmd::FLAG_REVERSE;
    Spads sp;
    const RunVec c = liquid_command(C, T, Q, flags);
    sp.put(SpadId::INPUT, c.a_addr, C, T, c.a_stride, x.data());
    sp.put(SpadId::PARAM, c.b_addr, 1, C * Q, 0, coeff.data());
    sp.put(SpadId::OUTPUT, c.d_addr, C, T, c.d_stride, s0.data());
    const vec::VecExecResult r = run(c, sp);
    std::vector<float> want(size_t(C) * T);
    REQUIRE(vec::liquid_terms(x.data(), acc ? s0.data() : nullptr, want.data(), C, T, Q, coeff, rev).ok());
    CHECK(same_bits(sp.get(SpadId::OUTPUT, c.d_addr, C, T, c.d_stride), want));
    // Cost: ceil(C*T / 32 lanes) * liquid_factor 1 * Q; words A C*T, B C*Q, D read C*T with accumulate.
    CHECK(r.cycles == (uint64_t(C) * T + 31) / 32 * Q);
    CHECK(r.elements == uint64_t(C) * T);
    CHECK(r.ops.mul == 2ull * Q * C * T);
    CHECK(r.ops.add == uint64_t(Q) * C * T);
    CHECK(r.read_words[uint8_t(SpadId::INPUT)] == uint64_t(C) * T);
    CHECK(r.read_words[uint8_t(SpadId::PARAM)] == uint64_t(C) * Q);
    CHECK(r.read_words[uint8_t(SpadId::OUTPUT)] == (acc ? uint64_t(C) * T : 0));
    CHECK(r.write_words[uint8_t(SpadId::OUTPUT)] == uint64_t(C) * T);
    CHECK(vec::vec_command_cost(c, vec::VecCostParams()).cycles == r.cycles);
  }
  // FLAG_HISTORY: a chunk of the row with the Q previous inputs before it gives the bits of
  // the whole row's steps [10, 40).
  Spads whole, part;
  const RunVec cw = liquid_command(C, T, Q, 0);
  whole.put(SpadId::INPUT, cw.a_addr, C, T, cw.a_stride, x.data());
  whole.put(SpadId::PARAM, cw.b_addr, 1, C * Q, 0, coeff.data());
  run(cw, whole);
  RunVec ch = liquid_command(C, 30, Q, cmd::FLAG_HISTORY);
  ch.a_stride = uint16_t(30 + Q);
  std::vector<float> tail(size_t(C) * (30 + Q));
  for (uint32_t r = 0; r < C; ++r)
    for (uint32_t t = 0; t < 30 + Q; ++t) tail[r * (30 + Q) + t] = x[r * T + 10 - Q + t];
  part.put(SpadId::INPUT, ch.a_addr - 4 * Q, C, 30 + Q, ch.a_stride, tail.data());
  part.put(SpadId::PARAM, ch.b_addr, 1, C * Q, 0, coeff.data());
  const vec::VecExecResult rh = run(ch, part);
  CHECK(rh.read_words[uint8_t(SpadId::INPUT)] == uint64_t(C) * (30 + Q));
  const std::vector<float> all = whole.get(SpadId::OUTPUT, cw.d_addr, C, T, cw.d_stride);
  const std::vector<float> got = part.get(SpadId::OUTPUT, ch.d_addr, C, 30, ch.d_stride);
  for (uint32_t r = 0; r < C; ++r)
    for (uint32_t t = 0; t < 30; ++t) CHECK(std::memcmp(&got[r * 30 + t], &all[r * T + 10 + t], 4) == 0);
}

TEST_CASE("RUN_VEC LIQUID refuses bad parameters by name", "[vecop][liquid]") {
  const RunVec good = liquid_command(4, 16, 3, cmd::FLAG_HISTORY | cmd::FLAG_ACCUMULATE);
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
  bad([](RunVec& c) { c.b_stride = 0; }, ErrorCause::BAD_FIELD, "LIQUID orders Q (word 4 bits 31:16) must be in 1..7");
  bad([](RunVec& c) { c.b_stride = 8; }, ErrorCause::BAD_FIELD, "LIQUID orders Q");
  bad([](RunVec& c) { c.a_stride = 18; }, ErrorCause::BAD_FIELD, "(LIQUID with FLAG_HISTORY: length + Q)");
  bad([](RunVec& c) { c.a_addr = 8; }, ErrorCause::BAD_SPAD_ADDRESS, "history words");
  // D on A (in place) or on A's history words: refused.
  bad([](RunVec& c) { c.d_spad = SpadId::INPUT; c.d_addr = c.a_addr; c.d_stride = c.a_stride; }, ErrorCause::BAD_FIELD,
      "LIQUID: destination D must not overlap operand A");
  bad([](RunVec& c) { c.d_spad = SpadId::INPUT; c.d_addr = c.a_addr - 4; }, ErrorCause::BAD_FIELD, "must not overlap operand A");
  // FLAG_REVERSE belongs to LIQUID (and RUN_SSM) only.
  bad([](RunVec& c) { c.op = Op::COPY; c.flags = cmd::FLAG_REVERSE; }, ErrorCause::BAD_FIELD, "FLAG_REVERSE is only defined for LIQUID");
  bad([](RunVec& c) { c.op = Op::CONV1D; c.flags = cmd::FLAG_ACCUMULATE; }, ErrorCause::BAD_FIELD,
      "FLAG_ACCUMULATE is only defined for POOL_SUM and LIQUID");
  CHECK(std::string(cmd::vec_op_name(uint8_t(Op::LIQUID))) == "LIQUID");
}
