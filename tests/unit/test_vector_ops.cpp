// RUN_VEC executor (models/vector/vector_op_math.h): every operation against an
// independent double computation, strides, in place, output rounding per number format,
// FLAG_ACCUMULATE, EMBED errors, and the closed-form cycles and counts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "epochcore/contract/number_format.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/vector/vector_op_math.h"

using namespace epochcore;
using cmd::RunVec;
using cmd::SpadId;
using Op = cmd::VecOp;
using regs::NumberFormat;

namespace {

constexpr size_t kSpadWords = 8192;
constexpr float kSentinel = -12345.5f;  // words no command should touch

// Three scratchpads, filled with the sentinel; random data goes where a test puts it.
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
  // Rows of `words` random normals times `spread`, `step` words apart.
  void fill(SpadId s, uint32_t byte_addr, uint32_t rows, uint32_t words, uint32_t step,
            uint64_t seed, double spread = 1.0) {
    Rng rng(seed);
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t t = 0; t < words; ++t) at(s, byte_addr)[r * step + t] = float(spread * rng.normal());
  }
};

cmd::HwLimits limits(NumberFormat f) {
  cmd::HwLimits hw;
  hw.rows = hw.cols = 8;
  for (uint32_t& b : hw.spad_bytes) b = kSpadWords * 4;
  hw.number_format = uint8_t(f);
  return hw;
}

// Runs a command that validate must accept.
vec::VecExecResult run(const RunVec& c, Spads& s, NumberFormat f = NumberFormat::FP32,
                       const vec::VecCostParams& p = vec::VecCostParams()) {
  std::string why;
  const cmd::HwLimits hw = limits(f);
  INFO("validate: " << why);
  REQUIRE(cmd::validate(cmd::encode_run_vec(c), hw, 0, &why) == regs::ErrorCause::NONE);
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
  c.a_addr = 64;
  c.b_addr = 128;
  c.d_addr = 256;
  c.a_stride = uint16_t(T + 3);  // gaps between rows: strides are not row lengths
  c.b_stride = uint16_t(T + 5);
  c.d_stride = uint16_t(T + 2);
  return c;
}

void check_close(float got, double want, double rel, double abs) {
  INFO("got " << got << " want " << want);
  CHECK(std::fabs(double(got) - want) <= rel * std::fabs(want) + abs);
}

// Every word of scratchpad `s` outside D's rows still holds the sentinel or its old value.
size_t changed_outside_rows(const Spads& before, const Spads& after, SpadId s, uint32_t addr,
                            uint32_t rows, uint32_t words, uint32_t step) {
  size_t changed = 0;
  for (size_t w = 0; w < kSpadWords; ++w) {
    const int64_t rel = int64_t(w) - addr / 4;
    const bool inside = rel >= 0 && uint64_t(rel) / (step ? step : 1) < rows &&
                        uint64_t(rel) % (step ? step : 1) < words;
    const float x = before.mem[uint8_t(s)][w], y = after.mem[uint8_t(s)][w];
    if (!inside && !(x == y || (std::isnan(x) && std::isnan(y)))) ++changed;
  }
  return changed;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

}  // namespace

TEST_CASE("RUN_VEC element-wise operations match a double computation, strided", "[vecop]") {
  const uint16_t C = 5;
  const uint32_t T = 37;
  for (Op op : {Op::COPY, Op::GELU, Op::ADD, Op::SUB, Op::MUL, Op::AFFINE}) {
    INFO(cmd::vec_op_name(uint8_t(op)));
    Spads s;
    RunVec c = command(op, C, T);
    if (op == Op::AFFINE) c.b_stride = 0;
    s.fill(SpadId::INPUT, c.a_addr, C, T, c.a_stride, 1, 2.0);
    s.fill(SpadId::PARAM, c.b_addr, C, T, c.b_stride, 2, 2.0);
    const Spads before = s;
    const vec::VecExecResult r = run(c, s);
    CHECK(r.cause == regs::ErrorCause::NONE);
    CHECK(r.elements == uint64_t(C) * T);
    const float* a = s.at(SpadId::INPUT, c.a_addr);
    const float* b = s.at(SpadId::PARAM, c.b_addr);
    const float* d = s.at(SpadId::OUTPUT, c.d_addr);
    for (uint32_t ch = 0; ch < C; ++ch)
      for (uint32_t t = 0; t < T; ++t) {
        const double x = a[ch * c.a_stride + t];
        const double y = b[ch * c.b_stride + t];
        const float got = d[ch * c.d_stride + t];
        switch (op) {
          case Op::COPY: CHECK(got == float(x)); break;
          // A float add or multiply of two floats is exact in double, so one rounding.
          case Op::ADD: CHECK(got == float(x + y)); break;
          case Op::SUB: CHECK(got == float(x - y)); break;
          case Op::MUL: CHECK(got == float(x * y)); break;
          case Op::GELU: check_close(got, 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))), 2e-7, 1e-12); break;
          case Op::AFFINE: check_close(got, x * b[ch] + b[C + ch], 1e-6, 1e-6); break;
          default: break;
        }
      }
    // Nothing outside D's rows changed, in any scratchpad.
    CHECK(changed_outside_rows(before, s, SpadId::OUTPUT, c.d_addr, C, T, c.d_stride) == 0);
    CHECK(same_bits(before.mem[0], s.mem[0]));
    CHECK(same_bits(before.mem[1], s.mem[1]));
  }
}

TEST_CASE("RUN_VEC ZERO writes zeros only in D's rows", "[vecop]") {
  Spads s;
  RunVec c = command(Op::ZERO, 3, 10);
  c.a_spad = SpadId(3);  // unused operands may carry any id
  c.b_spad = SpadId(3);
  c.out_scale = 1.0f;
  s.fill(SpadId::OUTPUT, c.d_addr, 3, 10, c.d_stride, 3);
  const Spads before = s;
  run(c, s, NumberFormat::INT8);
  for (uint32_t ch = 0; ch < 3; ++ch)
    for (uint32_t t = 0; t < 10; ++t) CHECK(s.at(SpadId::OUTPUT, c.d_addr)[ch * c.d_stride + t] == 0.0f);
  CHECK(changed_outside_rows(before, s, SpadId::OUTPUT, c.d_addr, 3, 10, c.d_stride) == 0);
}

TEST_CASE("RUN_VEC GLU, LAYERNORM and POOL_SUM match a double computation", "[vecop]") {
  const uint16_t C = 6;
  const uint32_t T = 19;
  SECTION("GLU: A holds 2C rows, a then b") {
    Spads s;
    RunVec c = command(Op::GLU, C, T);
    s.fill(SpadId::INPUT, c.a_addr, 2 * C, T, c.a_stride, 4, 3.0);
    const Spads before = s;
    const auto r = run(c, s);
    CHECK(r.elements == uint64_t(C) * T);
    const float* a = s.at(SpadId::INPUT, c.a_addr);
    for (uint32_t ch = 0; ch < C; ++ch)
      for (uint32_t t = 0; t < T; ++t) {
        const double x = a[ch * c.a_stride + t], g = a[(C + ch) * c.a_stride + t];
        check_close(s.at(SpadId::OUTPUT, c.d_addr)[ch * c.d_stride + t], x / (1.0 + std::exp(-g)), 2e-7, 1e-30);
      }
    CHECK(changed_outside_rows(before, s, SpadId::OUTPUT, c.d_addr, C, T, c.d_stride) == 0);
  }
  SECTION("LAYERNORM over the C rows at each step, B = gamma, beta, eps") {
    Spads s;
    RunVec c = command(Op::LAYERNORM, C, T);
    s.fill(SpadId::INPUT, c.a_addr, C, T, c.a_stride, 5, 4.0);
    s.fill(SpadId::PARAM, c.b_addr, 1, 2 * C, 0, 6);
    const float eps = 1e-5f;
    s.at(SpadId::PARAM, c.b_addr)[2 * C] = eps;
    run(c, s);
    const float* a = s.at(SpadId::INPUT, c.a_addr);
    const float* b = s.at(SpadId::PARAM, c.b_addr);
    for (uint32_t t = 0; t < T; ++t) {
      double mean = 0, var = 0;
      for (uint32_t ch = 0; ch < C; ++ch) mean += a[ch * c.a_stride + t];
      mean /= C;
      for (uint32_t ch = 0; ch < C; ++ch) var += std::pow(a[ch * c.a_stride + t] - mean, 2);
      var /= C;
      for (uint32_t ch = 0; ch < C; ++ch) {
        const double want = (a[ch * c.a_stride + t] - mean) / std::sqrt(var + eps) * b[ch] + b[C + ch];
        check_close(s.at(SpadId::OUTPUT, c.d_addr)[ch * c.d_stride + t], want, 1e-5, 1e-5 * (std::fabs(b[ch]) + 1));
      }
    }
  }
  SECTION("POOL_SUM: one word per D row, plain and with FLAG_ACCUMULATE") {
    Spads s;
    RunVec c = command(Op::POOL_SUM, C, T);
    s.fill(SpadId::INPUT, c.a_addr, C, T, c.a_stride, 7);
    const Spads before = s;
    const auto r = run(c, s);
    CHECK(r.elements == uint64_t(C) * T);
    const float* a = s.at(SpadId::INPUT, c.a_addr);
    float* d = s.at(SpadId::OUTPUT, c.d_addr);
    std::vector<float> sums(C);
    for (uint32_t ch = 0; ch < C; ++ch) {
      double want = 0;
      for (uint32_t t = 0; t < T; ++t) want += a[ch * c.a_stride + t];
      check_close(d[ch * c.d_stride], want, 1e-5, 1e-5);
      float f = 0.0f;  // the defined order: float sum, ascending t
      for (uint32_t t = 0; t < T; ++t) f += a[ch * c.a_stride + t];
      CHECK(d[ch * c.d_stride] == f);
      sums[ch] = f;
    }
    CHECK(changed_outside_rows(before, s, SpadId::OUTPUT, c.d_addr, C, 1, c.d_stride) == 0);
    // FLAG_ACCUMULATE: D + sum, one float add, over the previous result.
    c.flags = cmd::FLAG_ACCUMULATE;
    const auto r2 = run(c, s);
    for (uint32_t ch = 0; ch < C; ++ch) CHECK(d[ch * c.d_stride] == sums[ch] + sums[ch]);
    CHECK(r2.ops.add == r.ops.add + C);
    CHECK(r2.read_words[uint8_t(SpadId::OUTPUT)] == C);
    CHECK(r.read_words[uint8_t(SpadId::OUTPUT)] == 0);
  }
}

TEST_CASE("RUN_VEC EMBED copies table rows by int32 id and rejects bad ids", "[vecop]") {
  const uint16_t C = 4, V = 9;
  const uint32_t T = 11;
  Spads s;
  RunVec c = command(Op::EMBED, C, T);
  c.b_stride = V;
  c.a_addr = 0;
  float* ids = s.at(SpadId::INPUT, c.a_addr);
  for (uint32_t t = 0; t < T; ++t) ids[t] = vec::word_of_token_id(int32_t((t * 5 + 2) % V));
  s.fill(SpadId::PARAM, c.b_addr, 1, V * C, 0, 8);
  const auto r = run(c, s);
  CHECK(r.cause == regs::ErrorCause::NONE);
  const float* table = s.at(SpadId::PARAM, c.b_addr);
  for (uint32_t t = 0; t < T; ++t)
    for (uint32_t ch = 0; ch < C; ++ch)
      CHECK(s.at(SpadId::OUTPUT, c.d_addr)[ch * c.d_stride + t] == table[((t * 5 + 2) % V) * C + ch]);
  CHECK(r.read_words[0] == T);
  CHECK(r.read_words[1] == uint64_t(C) * T);
  CHECK(r.write_words[2] == uint64_t(C) * T);

  for (int32_t bad : {int32_t(V), -1, int32_t(0x7FFFFFFF)}) {
    INFO("bad id " << bad);
    Spads e = s;
    std::fill(e.mem[2].begin(), e.mem[2].end(), kSentinel);
    e.at(SpadId::INPUT, c.a_addr)[7] = vec::word_of_token_id(bad);
    e.at(SpadId::INPUT, c.a_addr)[9] = vec::word_of_token_id(-5);  // a later bad id
    vec::VecCostParams p;
    p.lanes = 4;
    const auto er = run(c, e, NumberFormat::FP32, p);
    CHECK(er.cause == regs::ErrorCause::BAD_TOKEN);
    CHECK(er.bad_position == 7);  // the first bad position
    CHECK(er.cycles == (T + 3) / 4);
    CHECK(er.elements == 0);
    CHECK(er.write_words[2] == 0);
    CHECK(std::all_of(e.mem[2].begin(), e.mem[2].end(), [](float x) { return x == kSentinel; }));
  }
}

TEST_CASE("RUN_VEC in place gives the same bits as out of place", "[vecop]") {
  const uint16_t C = 4;
  const uint32_t T = 13;
  for (Op op : {Op::COPY, Op::GELU, Op::GLU, Op::ADD, Op::SUB, Op::MUL, Op::AFFINE, Op::LAYERNORM, Op::POOL_SUM}) {
    for (bool onto_b : {false, true}) {
      const bool two_rowed = op == Op::ADD || op == Op::SUB || op == Op::MUL;
      if (onto_b && !two_rowed) continue;
      INFO(cmd::vec_op_name(uint8_t(op)) << (onto_b ? " D == B" : " D == A"));
      for (uint8_t flags : {uint8_t(0), uint8_t(cmd::FLAG_ACCUMULATE)}) {
        if (flags && op != Op::POOL_SUM) continue;
        // A and B both in the output scratchpad, so D can be either.
        RunVec c = command(op, C, T);
        c.a_spad = c.b_spad = SpadId::OUTPUT;
        c.a_addr = 0;
        c.b_addr = 4096;
        c.flags = flags;
        if (op == Op::AFFINE || op == Op::LAYERNORM) c.b_stride = 0;
        const uint32_t a_rows = op == Op::GLU ? 2 * C : C;
        Spads base;
        base.fill(SpadId::OUTPUT, c.a_addr, a_rows, T, c.a_stride, 9, 2.0);
        base.fill(SpadId::OUTPUT, c.b_addr, C, T, c.b_stride, 10, 2.0);
        if (op == Op::LAYERNORM) base.at(SpadId::OUTPUT, c.b_addr)[2 * C] = 1e-5f;

        // Out of place into a third region whose D words start as the in-place ones do.
        Spads out = base;
        c.d_addr = 12000;
        c.d_stride = onto_b ? c.b_stride : c.a_stride;
        const float* src = base.at(SpadId::OUTPUT, onto_b ? c.b_addr : c.a_addr);
        for (uint32_t ch = 0; ch < C; ++ch)
          for (uint32_t t = 0; t < T; ++t) out.at(SpadId::OUTPUT, c.d_addr)[ch * c.d_stride + t] = src[ch * c.d_stride + t];
        run(c, out, NumberFormat::FP16);

        Spads in = base;
        c.d_addr = onto_b ? c.b_addr : c.a_addr;
        run(c, in, NumberFormat::FP16);
        const uint32_t d_words = op == Op::POOL_SUM ? 1 : T;
        for (uint32_t ch = 0; ch < C; ++ch)
          for (uint32_t t = 0; t < d_words; ++t) {
            const float want = out.at(SpadId::OUTPUT, 12000)[ch * c.d_stride + t];
            const float got = in.at(SpadId::OUTPUT, c.d_addr)[ch * c.d_stride + t];
            CHECK(std::memcmp(&want, &got, 4) == 0);
          }
      }
    }
  }
}

TEST_CASE("RUN_VEC rounds every written value to the number format", "[vecop]") {
  const uint16_t C = 3;
  const uint32_t T = 40;
  Spads s;
  RunVec c = command(Op::ADD, C, T);
  s.fill(SpadId::INPUT, c.a_addr, C, T, c.a_stride, 11, 3.0);
  s.fill(SpadId::PARAM, c.b_addr, C, T, c.b_stride, 12, 3.0);
  const float* a = s.at(SpadId::INPUT, c.a_addr);
  const float* b = s.at(SpadId::PARAM, c.b_addr);
  const float* d = s.at(SpadId::OUTPUT, c.d_addr);

  SECTION("bf16 and fp16: nearest representable value, ties to even") {
    for (NumberFormat f : {NumberFormat::BF16, NumberFormat::FP16}) {
      const int mantissa = f == NumberFormat::BF16 ? 7 : 10;
      run(c, s, f);
      for (uint32_t ch = 0; ch < C; ++ch)
        for (uint32_t t = 0; t < T; ++t) {
          const double exact = double(float(double(a[ch * c.a_stride + t]) + b[ch * c.b_stride + t]));
          const float got = d[ch * c.d_stride + t];
          // Independent check: a multiple of the format's ulp, within half an ulp.
          int e;
          std::frexp(exact, &e);
          double ulp = std::ldexp(1.0, e - 1 - mantissa);
          if (f == NumberFormat::FP16) ulp = std::max(ulp, std::ldexp(1.0, -24));  // subnormals
          CHECK(std::fmod(double(got), ulp) == 0.0);
          CHECK(std::fabs(double(got) - exact) <= 0.5 * ulp);
        }
    }
    // Ties: 1 + 2^-8 is half-way between bf16 1 and 1 + 2^-7 -> even (1); fp16 at 2^-11.
    Spads t;
    RunVec one = command(Op::COPY, 1, 2);
    t.at(SpadId::INPUT, one.a_addr)[0] = 1.0f + std::ldexp(1.0f, -8);
    t.at(SpadId::INPUT, one.a_addr)[1] = 1.0f + 3 * std::ldexp(1.0f, -8);
    run(one, t, NumberFormat::BF16);
    CHECK(t.at(SpadId::OUTPUT, one.d_addr)[0] == 1.0f);
    CHECK(t.at(SpadId::OUTPUT, one.d_addr)[1] == 1.0f + std::ldexp(1.0f, -6));
    t.at(SpadId::INPUT, one.a_addr)[0] = 1.0f + std::ldexp(1.0f, -11);
    run(one, t, NumberFormat::FP16);
    CHECK(t.at(SpadId::OUTPUT, one.d_addr)[0] == 1.0f);
    t.at(SpadId::INPUT, one.a_addr)[0] = 70000.0f;  // beyond fp16's range
    run(one, t, NumberFormat::FP16);
    CHECK(std::isinf(t.at(SpadId::OUTPUT, one.d_addr)[0]));
  }
  SECTION("int16 and int8: q * out_scale, q = round-to-nearest(x / out_scale) saturated") {
    for (NumberFormat f : {NumberFormat::INT16, NumberFormat::INT8}) {
      const double qmax = f == NumberFormat::INT16 ? 32767 : 127;
      c.out_scale = f == NumberFormat::INT16 ? 1.0f / 4096 : 1.0f / 32;  // saturates above ~4 (int8)
      run(c, s, f);
      for (uint32_t ch = 0; ch < C; ++ch)
        for (uint32_t t = 0; t < T; ++t) {
          const double x = double(float(double(a[ch * c.a_stride + t]) + b[ch * c.b_stride + t]));
          const double q = std::clamp(std::nearbyint(x / c.out_scale), -qmax, qmax);
          CHECK(d[ch * c.d_stride + t] == float(q * c.out_scale));
        }
    }
    // fp32 leaves the value as computed.
    c.out_scale = 0.0f;
    run(c, s, NumberFormat::FP32);
    CHECK(d[0] == a[0] + b[0]);
  }
  SECTION("POOL_SUM rounds the sum once, and D + sum once with FLAG_ACCUMULATE") {
    RunVec p = command(Op::POOL_SUM, C, T);
    p.out_scale = 0.25f;
    s.fill(SpadId::INPUT, p.a_addr, C, T, p.a_stride, 13, 3.0);
    float* out = s.at(SpadId::OUTPUT, p.d_addr);
    run(p, s, NumberFormat::INT16);
    std::vector<float> first(C);
    for (uint32_t ch = 0; ch < C; ++ch) {
      const float sum = vec::sum_row(s.at(SpadId::INPUT, p.a_addr) + ch * p.a_stride, T);
      first[ch] = float(std::nearbyint(double(sum) / 0.25) * 0.25);
      CHECK(out[ch * p.d_stride] == first[ch]);
    }
    p.flags = cmd::FLAG_ACCUMULATE;
    run(p, s, NumberFormat::INT16);
    for (uint32_t ch = 0; ch < C; ++ch) {
      const float sum = vec::sum_row(s.at(SpadId::INPUT, p.a_addr) + ch * p.a_stride, T);
      CHECK(out[ch * p.d_stride] == float(std::nearbyint(double(first[ch] + sum) / 0.25) * 0.25));
    }
  }
}

TEST_CASE("RUN_VEC cycles, operation counts and scratchpad words follow the closed form", "[vecop]") {
  vec::VecCostParams p;
  p.lanes = 8;
  p.gelu_factor = 5;
  p.glu_factor = 6;
  p.layernorm_factor = 3;
  p.copy_factor = 2;
  p.zero_factor = 1;
  p.sub_factor = 2;
  p.mul_factor = 3;
  p.batchnorm_factor = 4;
  p.pool_sum_factor = 2;
  p.embedding_factor = 7;
  p.residual_factor = 1;
  const uint64_t C = 3, T = 11, n = C * T;  // 33 elements -> 5 lane groups
  struct Expect {
    Op op;
    uint64_t cycles, mul, add, special, move, read_a, read_b, write_d;
  };
  const Expect table[] = {
      {Op::COPY, 5 * 2, 0, 0, 0, n, n, 0, n},
      {Op::ZERO, 5 * 1, 0, 0, 0, n, 0, 0, n},
      {Op::GELU, 5 * 5, 3 * n, n, n, 0, n, 0, n},
      {Op::GLU, 5 * 6, 0, n, 2 * n, 0, 2 * n, 0, n},
      {Op::ADD, 5 * 1, 0, n, 0, 0, n, n, n},
      {Op::SUB, 5 * 2, 0, n, 0, 0, n, n, n},
      {Op::MUL, 5 * 3, n, 0, 0, 0, n, n, n},
      {Op::AFFINE, 5 * 4, n, n, 0, 0, n, 2 * C, n},
      {Op::LAYERNORM, 5 * 3, 3 * n, 5 * n + T, 4 * T, 0, n, 2 * C + 1, n},
      {Op::POOL_SUM, 5 * 2, 0, n, 0, 0, n, 0, C},
      {Op::EMBED, 5 * 7, 0, 0, 0, n, T, n, n},
  };
  for (const Expect& e : table) {
    INFO(cmd::vec_op_name(uint8_t(e.op)));
    RunVec c = command(e.op, uint16_t(C), uint32_t(T));
    c.a_spad = SpadId::OUTPUT;  // traffic lands on each operand's own scratchpad
    c.b_spad = SpadId::INPUT;
    c.d_spad = SpadId::PARAM;
    if (e.op == Op::AFFINE || e.op == Op::LAYERNORM) c.b_stride = 0;
    if (e.op == Op::EMBED) c.b_stride = 4;  // vocab; ids are 0 (the words below)
    Spads s;
    std::fill(s.mem[2].begin(), s.mem[2].end(), 0.0f);
    std::fill(s.mem[0].begin(), s.mem[0].end(), 0.5f);
    const vec::VecExecResult r = run(c, s, NumberFormat::FP32, p);
    const vec::VecExecResult k = vec::vec_command_cost(c, p);
    CHECK(r.cause == regs::ErrorCause::NONE);
    CHECK(r.cycles == e.cycles);
    CHECK(r.elements == n);
    CHECK(r.ops.mul == e.mul);
    CHECK(r.ops.add == e.add);
    CHECK(r.ops.special == e.special);
    CHECK(r.ops.move == e.move);
    CHECK(r.read_words[2] == e.read_a);
    CHECK(r.read_words[0] == e.read_b);
    CHECK(r.write_words[1] == e.write_d);
    CHECK(r.read_words[1] + r.write_words[0] + r.write_words[2] == 0);
    CHECK(k.cycles == r.cycles);
    CHECK(k.elements == r.elements);
    CHECK(k.read_words[2] == r.read_words[2]);
    CHECK(k.write_words[1] == r.write_words[1]);
  }
  // Lane rounding: 8 elements fill one group, 9 need two.
  CHECK(vec::vec_command_cost(command(Op::ADD, 1, 8), p).cycles == 1);
  CHECK(vec::vec_command_cost(command(Op::ADD, 1, 9), p).cycles == 2);
  // An op outside VecOp or invalid parameters cost nothing (validate and
  // check_cost_params reject them first).
  RunVec bad = command(Op::ADD, 1, 9);
  bad.op = Op(cmd::kNumVecOps);
  CHECK(vec::vec_command_cost(bad, p).cycles == 0);
  p.lanes = 0;
  CHECK(vec::vec_command_cost(command(Op::ADD, 1, 9), p).cycles == 0);
}

TEST_CASE("vector cost parameters and token words", "[vecop]") {
  vec::VecCostParams p;
  CHECK(vec::check_cost_params(p).ok());
  p.mul_factor = 0;
  CHECK(vec::check_cost_params(p).error == "mul_factor must be >= 1");
  p = vec::VecCostParams();
  p.lanes = 0;
  CHECK(vec::check_cost_params(p).error == "vector lanes must be >= 1");

  for (int32_t id : {0, 1, 42, -1, 0x7FFFFFFF, int32_t(0x80000000)})
    CHECK(vec::token_id_of_word(vec::word_of_token_id(id)) == id);
  // Id 1 as a word is a subnormal float, not 1.0f: ids are bit patterns.
  CHECK(vec::word_of_token_id(1) != 1.0f);
  const float ids[4] = {vec::word_of_token_id(0), vec::word_of_token_id(3),
                        vec::word_of_token_id(4), vec::word_of_token_id(-1)};
  CHECK(vec::first_bad_token(ids, 4, 4) == 2);
  CHECK(vec::first_bad_token(ids, 2, 4) == 2);  // all fit: returns the length
  CHECK(vec::first_bad_token(ids, 4, 5) == 3);
}
