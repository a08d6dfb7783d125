#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "epochcore/contract/number_format.h"
#include "epochcore/maths/reference/rng.h"

using namespace epochcore;
using namespace epochcore::numfmt;

namespace {

float from_bits(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

// Independent decoders from the format definitions (sign, exponent bias, mantissa bits).
double fp16_value(uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  const double mag = e == 0 ? std::ldexp(double(m), -24) : std::ldexp(1.0 + m / 1024.0, e - 15);
  return s ? -mag : mag;
}

double bf16_value(uint16_t h) {
  const int s = h >> 15, e = (h >> 7) & 255, m = h & 127;
  const double mag = e == 0 ? std::ldexp(double(m), -133) : std::ldexp(1.0 + m / 128.0, e - 127);
  return s ? -mag : mag;
}

// Every rounding boundary of a 16-bit format: for each pair of neighbouring positive
// values (and the overflow threshold), the float just below the midpoint rounds down, just
// above rounds up, and the midpoint itself goes to the even pattern. Both signs.
template <typename ToBits>
void check_all_midpoints(ToBits to_bits16, double (*value)(uint16_t), uint16_t max_finite,
                         double overflow_next) {
  for (uint32_t h = 0; h <= max_finite; ++h) {
    const double lo = value(uint16_t(h));
    const double hi = h == max_finite ? overflow_next : value(uint16_t(h + 1));
    const float mid = float((lo + hi) / 2);  // exact: one bit more than the format
    REQUIRE(double(mid) == (lo + hi) / 2);
    const uint16_t even = (h & 1) ? uint16_t(h + 1) : uint16_t(h);
    for (int sign : {1, -1}) {
      const uint16_t sbit = sign < 0 ? 0x8000 : 0;
      const float m = sign * mid;
      if (to_bits16(std::nextafter(m, 0.0f)) != uint16_t(sbit | h) ||
          to_bits16(std::nextafter(m, sign * INFINITY)) != uint16_t(sbit | (h + 1)) ||
          to_bits16(m) != uint16_t(sbit | even)) {
        FAIL("rounding boundary after pattern " << h << " sign " << sign);
      }
    }
  }
}

}  // namespace

TEST_CASE("Number format names, parsing and widths", "[numfmt]") {
  const Format all[] = {Format::FP32, Format::BF16, Format::FP16, Format::INT16, Format::INT8};
  const char* names[] = {"fp32", "bf16", "fp16", "int16", "int8"};
  const uint32_t bits[] = {32, 16, 16, 16, 8};
  for (int i = 0; i < 5; ++i) {
    CHECK(std::string(format_name(all[i])) == names[i]);
    CHECK(try_parse_format(names[i]) == all[i]);
    CHECK(parse_format(names[i], "scenario.precision") == all[i]);
    CHECK(format_bits(all[i]) == bits[i]);
    CHECK(is_integer(all[i]) == (i >= 3));
  }
  CHECK_FALSE(try_parse_format("FP32").has_value());
  CHECK_FALSE(try_parse_format("int32").has_value());
  try {
    parse_format("fp8", "scenario.precision");
    FAIL("no error");
  } catch (const NumberFormatError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("scenario.precision") != std::string::npos);
    CHECK(msg.find("'fp8'") != std::string::npos);
    CHECK(msg.find("fp32, bf16, fp16, int16, int8") != std::string::npos);
  }
}

TEST_CASE("fp16 conversions: hand-computed values", "[numfmt]") {
  CHECK(float_to_fp16_bits(1.0f) == 0x3C00);
  CHECK(float_to_fp16_bits(-2.0f) == 0xC000);
  CHECK(float_to_fp16_bits(0.0f) == 0x0000);
  CHECK(float_to_fp16_bits(-0.0f) == 0x8000);
  CHECK(float_to_fp16_bits(65504.0f) == 0x7BFF);  // largest finite
  CHECK(float_to_fp16_bits(65519.0f) == 0x7BFF);  // below the midpoint 65520
  CHECK(float_to_fp16_bits(65520.0f) == 0x7C00);  // tie with odd 0x7BFF: to infinity
  CHECK(float_to_fp16_bits(-1e10f) == 0xFC00);
  CHECK(float_to_fp16_bits(INFINITY) == 0x7C00);
  // 1/3 = float 0x3EAAAAAB: exponent -2 -> 13, mantissa 0x2AAAAB >> 13 = 0x155, rest
  // 0x0AAB below half: 0x3555 = 0.333251953125.
  CHECK(float_to_fp16_bits(1.0f / 3.0f) == 0x3555);
  CHECK(fp16_bits_to_float(0x3555) == 0.333251953125f);
  CHECK(float_to_fp16_bits(std::ldexp(1.0f, -14)) == 0x0400);            // smallest normal
  CHECK(float_to_fp16_bits(std::ldexp(1023.0f, -24)) == 0x03FF);         // largest subnormal
  CHECK(float_to_fp16_bits(std::ldexp(1.0f, -24)) == 0x0001);            // smallest subnormal
  CHECK(float_to_fp16_bits(std::ldexp(1.0f, -25)) == 0x0000);            // tie to even (0)
  CHECK(float_to_fp16_bits(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 0x0001);
  CHECK(float_to_fp16_bits(std::ldexp(3.0f, -25)) == 0x0002);            // tie 1|2 -> 2
  CHECK(float_to_fp16_bits(-std::ldexp(1.0f, -24)) == 0x8001);
  CHECK(float_to_fp16_bits(std::numeric_limits<float>::denorm_min()) == 0x0000);
  CHECK(fp16_bits_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(fp16_bits_to_float(0x7BFF) == 65504.0f);
  CHECK(std::isinf(fp16_bits_to_float(0xFC00)));
  // Ties in the normal range: 1 + 2^-11 lies halfway between 0x3C00 and 0x3C01.
  CHECK(float_to_fp16_bits(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);
  CHECK(float_to_fp16_bits(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3C02);
  // NaN stays NaN, sign kept, even a signalling NaN whose payload is in the dropped bits.
  CHECK(float_to_fp16_bits(from_bits(0x7FC00000)) == 0x7E00);
  CHECK(float_to_fp16_bits(from_bits(0xFF800001)) == 0xFE00);
  CHECK(std::isnan(fp16_bits_to_float(0x7E00)));
  CHECK(std::isnan(round_to_fp16(std::nanf(""))));
}

TEST_CASE("bf16 conversions: hand-computed values and ties", "[numfmt]") {
  CHECK(float_to_bf16_bits(1.0f) == 0x3F80);
  CHECK(float_to_bf16_bits(-0.0f) == 0x8000);
  CHECK(float_to_bf16_bits(1.0f / 3.0f) == 0x3EAB);         // 0x3EAA|AAAB: low half > 0x8000
  CHECK(float_to_bf16_bits(from_bits(0x3F808000)) == 0x3F80);  // tie, 0x3F80 even
  CHECK(float_to_bf16_bits(from_bits(0x3F818000)) == 0x3F82);  // tie, 0x3F81 odd
  CHECK(float_to_bf16_bits(from_bits(0x3F808001)) == 0x3F81);
  CHECK(float_to_bf16_bits(from_bits(0x3F807FFF)) == 0x3F80);
  CHECK(float_to_bf16_bits(from_bits(0x7F7F7FFF)) == 0x7F7F);  // largest finite bf16
  CHECK(float_to_bf16_bits(from_bits(0x7F7F8000)) == 0x7F80);  // tie, odd: to infinity
  CHECK(float_to_bf16_bits(std::numeric_limits<float>::max()) == 0x7F80);
  CHECK(float_to_bf16_bits(-INFINITY) == 0xFF80);
  CHECK(float_to_bf16_bits(from_bits(0x00010000)) == 0x0001);  // smallest subnormal 2^-133
  CHECK(float_to_bf16_bits(from_bits(0x00008000)) == 0x0000);  // tie to even zero
  CHECK(float_to_bf16_bits(from_bits(0x00018000)) == 0x0002);  // tie 1|2 -> 2
  CHECK(float_to_bf16_bits(from_bits(0x007FFFFF)) == 0x0080);  // rounds up to smallest normal
  CHECK(bf16_bits_to_float(0x3EAB) == 0.333984375f);
  CHECK(float_to_bf16_bits(from_bits(0x7FC00000)) == 0x7FC0);
  CHECK(float_to_bf16_bits(from_bits(0x7F800001)) == 0x7FC0);  // signalling NaN stays NaN
  CHECK(float_to_bf16_bits(from_bits(0xFFA00000)) == 0xFFE0);  // sign and payload kept
}

TEST_CASE("fp16 and bf16: every pattern decodes, round-trips and rounds at midpoints",
          "[numfmt]") {
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint16_t b = uint16_t(h);
    const bool fp16_special = ((b >> 10) & 31) == 31, bf16_special = ((b >> 7) & 255) == 255;
    if (!fp16_special) {
      if (double(fp16_bits_to_float(b)) != fp16_value(b) || float_to_fp16_bits(fp16_bits_to_float(b)) != b)
        FAIL("fp16 pattern " << h);
    } else if ((b & 1023) != 0 && !std::isnan(fp16_bits_to_float(b))) {
      FAIL("fp16 NaN pattern " << h);
    }
    if (!bf16_special) {
      if (double(bf16_bits_to_float(b)) != bf16_value(b) || float_to_bf16_bits(bf16_bits_to_float(b)) != b)
        FAIL("bf16 pattern " << h);
    } else if ((b & 127) != 0 && float_to_bf16_bits(bf16_bits_to_float(b)) != (b | 0x40)) {
      FAIL("bf16 NaN pattern " << h);
    }
  }
  check_all_midpoints(float_to_fp16_bits, fp16_value, 0x7BFF, 65536.0);
  check_all_midpoints(float_to_bf16_bits, bf16_value, 0x7F7F, std::ldexp(1.0, 128));
}

TEST_CASE("fp16 and bf16 rounding error is at most half an ulp", "[numfmt]") {
  Rng rng(42);
  for (int i = 0; i < 20000; ++i) {
    // Magnitudes spread over fp16's whole range, including its subnormals.
    const float x = float((rng.uniform() < 0.5 ? -1 : 1) * std::ldexp(1.0 + rng.uniform(),
                                                                        int(rng.next() % 42) - 26));
    int e;
    std::frexp(x, &e);  // |x| in [2^(e-1), 2^e)
    const double ulp16 = std::ldexp(1.0, std::max(e - 1, -14) - 10);
    const double ulpbf = std::ldexp(1.0, e - 1 - 7);
    if (std::fabs(x) < 65504.0f)
      REQUIRE(std::fabs(double(round_to_fp16(x)) - x) <= 0.5 * ulp16);
    REQUIRE(std::fabs(double(round_to_bf16(x)) - x) <= 0.5 * ulpbf);
  }
}

TEST_CASE("Symmetric integer quantisation: scales, ties, saturation", "[numfmt]") {
  CHECK(int_qmax(Format::INT8) == 127);
  CHECK(int_qmax(Format::INT16) == 32767);
  CHECK(int_qmax(Format::FP16) == 0);
  const std::vector<float> x = {127.0f, 2.5f, 3.5f, -2.5f, -0.5f, 0.5f, 1.5f, -126.6f};
  CHECK(symmetric_scale(Format::INT8, x.data(), x.size()) == 1.0f);  // 127 / 127
  std::vector<int8_t> q(x.size());
  quantise_int8(x.data(), x.size(), 1.0f, q.data());
  CHECK(q == std::vector<int8_t>{127, 2, 4, -2, 0, 0, 2, -127});
  // Saturation at +-qmax (never -128), non-finite values.
  CHECK(quantise_to_int(1000.0f, 1.0f, Format::INT8) == 127);
  CHECK(quantise_to_int(-1000.0f, 1.0f, Format::INT8) == -127);
  CHECK(quantise_to_int(-127.5f, 1.0f, Format::INT8) == -127);
  CHECK(quantise_to_int(INFINITY, 0.5f, Format::INT16) == 32767);
  CHECK(quantise_to_int(std::nanf(""), 0.5f, Format::INT16) == 0);
  CHECK(quantise_to_int(1.0f, 0.0f, Format::INT8) == 0);  // invalid scale
  // Scale from max|x| over finite values; zero tensor -> 1.
  const std::vector<float> y = {0.1f, -3.0f, 2.0f, INFINITY};
  CHECK(symmetric_scale(Format::INT8, y.data(), y.size()) == 3.0f / 127.0f);
  CHECK(symmetric_scale(Format::INT16, y.data(), y.size()) == 3.0f / 32767.0f);
  const std::vector<float> zeros(5, 0.0f);
  CHECK(symmetric_scale(Format::INT8, zeros.data(), zeros.size()) == 1.0f);
  CHECK(symmetric_scale(Format::INT8, nullptr, 0) == 1.0f);
  CHECK(symmetric_scale(Format::BF16, y.data(), y.size()) == 1.0f);
  // Every int8 code round-trips through dequantise at any scale.
  std::vector<int8_t> codes;
  for (int c = -127; c <= 127; ++c) codes.push_back(int8_t(c));
  std::vector<float> values(codes.size());
  std::vector<int8_t> back(codes.size());
  dequantise_int8(codes.data(), codes.size(), 0.0371f, values.data());
  quantise_int8(values.data(), values.size(), 0.0371f, back.data());
  CHECK(back == codes);
  std::vector<int16_t> codes16 = {-32767, -1, 0, 1, 12345, 32767}, back16(6);
  std::vector<float> values16(6);
  dequantise_int16(codes16.data(), 6, 1.5e-4f, values16.data());
  CHECK(values16[4] == 12345.0f * 1.5e-4f);
  quantise_int16(values16.data(), 6, 1.5e-4f, back16.data());
  CHECK(back16 == codes16);
}

TEST_CASE("quantise_tensor stores each format's values within its error bound", "[numfmt]") {
  Rng rng(7);
  std::vector<float> x(1000), out(1000);
  for (float& v : x) v = float(3.0 * rng.normal());
  for (Format f : {Format::FP32, Format::BF16, Format::FP16, Format::INT16, Format::INT8}) {
    const float scale = quantise_tensor(f, x.data(), out.data(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      switch (f) {
        case Format::FP32: REQUIRE(out[i] == x[i]); break;
        case Format::BF16: REQUIRE(out[i] == round_to_bf16(x[i])); break;
        case Format::FP16: REQUIRE(out[i] == round_to_fp16(x[i])); break;
        default:
          REQUIRE(std::fabs(double(out[i]) - x[i]) <= 0.5 * scale * (1 + 1e-5));
          REQUIRE(out[i] == float(quantise_to_int(x[i], scale, f)) * scale);
      }
    }
    if (is_integer(f)) {
      float max_abs = 0;
      for (float v : x) max_abs = std::max(max_abs, std::fabs(v));
      CHECK(scale == max_abs / float(int_qmax(f)));
    } else {
      CHECK(scale == 1.0f);
    }
  }
  std::vector<float> in_place = x;
  quantise_tensor(Format::INT8, in_place.data(), in_place.data(), in_place.size());
  quantise_tensor(Format::INT8, x.data(), out.data(), x.size());
  CHECK(in_place == out);
}

TEST_CASE("Fixed-point dot products: int32/int64 accumulation and rescale", "[numfmt]") {
  Rng rng(3);
  std::vector<float> a(300), b(300);
  for (float& v : a) v = float(rng.normal());
  for (float& v : b) v = float(rng.normal());
  const float sa = symmetric_scale(Format::INT8, a.data(), a.size());
  const float sb = symmetric_scale(Format::INT8, b.data(), b.size());
  std::vector<int8_t> qa(300), qb(300);
  quantise_int8(a.data(), 300, sa, qa.data());
  quantise_int8(b.data(), 300, sb, qb.data());
  int64_t want = 0;
  double exact = 0, bound = 0;
  for (int i = 0; i < 300; ++i) {
    want += int64_t(qa[i]) * qb[i];
    exact += double(a[i]) * b[i];
    bound += 0.5 * sa * std::fabs(b[i]) + 0.5 * sb * std::fabs(a[i]) + 0.25 * sa * sb;
  }
  const QuantDot d32 = dot_int8(qa.data(), qb.data(), 300, Accumulator::INT32);
  CHECK(d32.acc == want);
  CHECK_FALSE(d32.overflowed);
  CHECK(dot_int8(qa.data(), qb.data(), 300, Accumulator::INT64).acc == want);
  CHECK(std::fabs(rescale(want, sa, sb) - exact) <= bound);
  CHECK(rescale(want, sa, sb) == float(double(want) * (double(sa) * double(sb))));

  // 127 * 127 = 16129 per term: int32 holds 133144 terms, 133150 overflow and wrap.
  std::vector<int8_t> ones(133150, 127);
  QuantDot r = dot_int8(ones.data(), ones.data(), 133144, Accumulator::INT32);
  CHECK(r.acc == 16129LL * 133144);
  CHECK_FALSE(r.overflowed);
  r = dot_int8(ones.data(), ones.data(), 133150, Accumulator::INT32);
  CHECK(r.overflowed);
  CHECK(r.acc == 16129LL * 133150 - (1LL << 32));
  r = dot_int8(ones.data(), ones.data(), 133150, Accumulator::INT64);
  CHECK_FALSE(r.overflowed);
  CHECK(r.acc == 16129LL * 133150);
  // int16: three full-scale products already leave int32.
  const int16_t big[3] = {32767, 32767, -32767};
  const int16_t pos[3] = {32767, 32767, -32767};
  CHECK_FALSE(dot_int16(big, pos, 2, Accumulator::INT32).overflowed);
  r = dot_int16(big, pos, 3, Accumulator::INT32);
  CHECK(r.overflowed);
  CHECK(r.acc == 3LL * 32767 * 32767 - (1LL << 32));
  r = dot_int16(big, pos, 3, Accumulator::INT64);
  CHECK_FALSE(r.overflowed);
  CHECK(r.acc == 3LL * 32767 * 32767);
}
