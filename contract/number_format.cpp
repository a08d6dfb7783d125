#include "epochcore/contract/number_format.h"


namespace epochcore::numfmt {
namespace {

// Plain integer and float code only (no <cmath>): the firmware's RV32 build uses these
// helpers on its coefficient records and must round exactly as the host does.
uint32_t bits_of(float x) {
  uint32_t b;
  __builtin_memcpy(&b, &x, sizeof b);
  return b;
}

float float_of(uint32_t b) {
  float x;
  __builtin_memcpy(&x, &b, sizeof x);
  return x;
}

bool is_finite(float x) { return (bits_of(x) & 0x7F800000u) != 0x7F800000u; }
bool is_nan(float x) { return (bits_of(x) & 0x7FFFFFFFu) > 0x7F800000u; }
float abs_of(float x) { return float_of(bits_of(x) & 0x7FFFFFFFu); }

// floor(v) for |v| < 2^23 (exact: the truncation toward zero is exact there).
float floor_small(float v) {
  const float t = float(int32_t(v));
  return t > v ? t - 1.0f : t;
}

// Drops the low `shift` bits of v (1 <= shift <= 31), rounding to nearest, ties to even.
uint32_t shift_right_rne(uint32_t v, uint32_t shift) {
  const uint32_t kept = v >> shift;
  const uint32_t rest = v & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  return (rest > half || (rest == half && (kept & 1u))) ? kept + 1u : kept;
}

// Round to nearest integer, ties to even, independent of the FPU rounding mode.
// |v| must be below 2^23 so that floor and the subtraction are exact.
int32_t round_half_even(float v) {
  const float lower = floor_small(v);
  const float frac = v - lower;
  int32_t q = int32_t(lower);
  if (frac > 0.5f || (frac == 0.5f && (q & 1))) ++q;
  return q;
}

}  // namespace

const char* format_name(Format f) {
#define EC_CPP_FMT_(name, value, lower, bits) \
  case Format::name: return lower;
  switch (f) { EC_FORMAT_LIST(EC_CPP_FMT_) }
#undef EC_CPP_FMT_
  return "unknown";
}

const char* format_names() {
#define EC_CPP_FMT_(name, value, lower, bits) ", " lower
  // The list's names joined by ", " (the first separator skipped).
  static const char* const kNames = EC_FORMAT_LIST(EC_CPP_FMT_) + 2;
#undef EC_CPP_FMT_
  return kNames;
}

#if __STDC_HOSTED__
std::optional<Format> try_parse_format(const std::string& name) {
#define EC_CPP_FMT_(name_, value, lower, bits) \
  if (name == lower) return Format::name_;
  EC_FORMAT_LIST(EC_CPP_FMT_)
#undef EC_CPP_FMT_
  return std::nullopt;
}

Format parse_format(const std::string& name, const std::string& where) {
  if (auto f = try_parse_format(name)) return *f;
  throw NumberFormatError(where + ": unknown number format '" + name + "' (expected one of " +
                          format_names() + ")");
}
#endif

uint32_t format_bits(Format f) {
#define EC_CPP_FMT_(name, value, lower, bits) \
  case Format::name: return bits;
  switch (f) { EC_FORMAT_LIST(EC_CPP_FMT_) }
#undef EC_CPP_FMT_
  return 0;
}

bool is_integer(Format f) { return f == Format::INT16 || f == Format::INT8; }

// ---------------------------------------------------------------- bf16 / fp16

uint16_t float_to_bf16_bits(float x) {
  const uint32_t b = bits_of(x);
  if ((b & 0x7F800000u) == 0x7F800000u && (b & 0x007FFFFFu) != 0)
    return uint16_t((b >> 16) | 0x0040u);  // NaN: keep sign and payload top, set quiet bit
  // bf16 is the top half of a float: round the low 16 bits away. A carry out of the
  // mantissa steps the exponent, and from the largest finite value reaches infinity.
  return uint16_t(shift_right_rne(b, 16));
}

float bf16_bits_to_float(uint16_t h) { return float_of(uint32_t(h) << 16); }

uint16_t float_to_fp16_bits(float x) {
  const uint32_t b = bits_of(x);
  const uint16_t sign = uint16_t((b >> 16) & 0x8000u);
  const uint32_t exp = (b >> 23) & 0xFFu;
  const uint32_t mant = b & 0x007FFFFFu;
  if (exp == 0xFFu)  // inf, or NaN with the payload's top bits and the quiet bit
    return uint16_t(sign | 0x7C00u | (mant ? (0x0200u | (mant >> 13)) : 0u));
  if (exp == 0) return sign;  // zero or a float subnormal (< 2^-126): far below fp16's range
  const int e = int(exp) - 127;  // unbiased exponent
  if (e > 15) return uint16_t(sign | 0x7C00u);
  if (e >= -14) {
    // Normal: rebias the exponent, drop 13 mantissa bits. A mantissa carry steps the
    // exponent (and 65520 and above reach infinity, 0x7C00).
    const uint32_t packed = (uint32_t(e + 15) << 23) | mant;  // exponent above mantissa
    return uint16_t(sign | shift_right_rne(packed, 13));
  }
  // Subnormal: value = (mant | 2^23) * 2^(e-23) = q * 2^-24, q = that >> (-e - 1).
  const uint32_t shift = uint32_t(-e - 1);  // 14 .. ; 25 or more rounds to zero
  if (shift > 24) return sign;
  // A result of 0x400 is the smallest normal, which the bit pattern already encodes.
  return uint16_t(sign | shift_right_rne(mant | 0x00800000u, shift));
}

float fp16_bits_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t mant = h & 0x03FFu;
  if (exp == 0x1Fu) return float_of(sign | 0x7F800000u | (mant << 13));
  if (exp == 0) {
    const float magnitude = float(mant) * 5.9604644775390625e-08f;  // * 2^-24, exact: mant < 2^10
    return sign ? -magnitude : magnitude;
  }
  return float_of(sign | ((exp - 15u + 127u) << 23) | (mant << 13));
}

float round_to_bf16(float x) { return bf16_bits_to_float(float_to_bf16_bits(x)); }
float round_to_fp16(float x) { return fp16_bits_to_float(float_to_fp16_bits(x)); }

// ---------------------------------------------------------------- fixed point

int32_t int_qmax(Format f) {
  if (f == Format::INT16) return 32767;
  if (f == Format::INT8) return 127;
  return 0;
}

float symmetric_scale(Format f, const float* x, size_t n) {
  const int32_t qmax = int_qmax(f);
  if (qmax == 0 || !x) return 1.0f;
  float max_abs = 0.0f;
  for (size_t i = 0; i < n; ++i)
    if (is_finite(x[i]) && abs_of(x[i]) > max_abs) max_abs = abs_of(x[i]);
  if (max_abs == 0.0f) return 1.0f;
  const float scale = max_abs / float(qmax);
  // A tensor of tiny subnormals would give scale 0: use the smallest positive float.
  return scale > 0.0f ? scale : __FLT_DENORM_MIN__;
}

int32_t quantise_to_int(float x, float scale, Format f) {
  const int32_t qmax = int_qmax(f);
  if (qmax == 0 || !(scale > 0.0f) || !is_finite(scale) || is_nan(x)) return 0;
  const float v = x / scale;
  if (v >= float(qmax)) return qmax;  // saturate (also +inf)
  if (v <= -float(qmax)) return -qmax;
  return round_half_even(v);
}

void quantise_int8(const float* x, size_t n, float scale, int8_t* q) {
  for (size_t i = 0; i < n; ++i) q[i] = int8_t(quantise_to_int(x[i], scale, Format::INT8));
}

void quantise_int16(const float* x, size_t n, float scale, int16_t* q) {
  for (size_t i = 0; i < n; ++i) q[i] = int16_t(quantise_to_int(x[i], scale, Format::INT16));
}

void dequantise_int8(const int8_t* q, size_t n, float scale, float* x) {
  for (size_t i = 0; i < n; ++i) x[i] = float(q[i]) * scale;
}

void dequantise_int16(const int16_t* q, size_t n, float scale, float* x) {
  for (size_t i = 0; i < n; ++i) x[i] = float(q[i]) * scale;
}

float quantise_tensor(Format f, const float* in, float* out, size_t n) {
  switch (f) {
    case Format::FP32:
      for (size_t i = 0; i < n; ++i) out[i] = in[i];
      return 1.0f;
    case Format::BF16:
      for (size_t i = 0; i < n; ++i) out[i] = round_to_bf16(in[i]);
      return 1.0f;
    case Format::FP16:
      for (size_t i = 0; i < n; ++i) out[i] = round_to_fp16(in[i]);
      return 1.0f;
    case Format::INT16:
    case Format::INT8: {
      const float scale = symmetric_scale(f, in, n);
      for (size_t i = 0; i < n; ++i) out[i] = float(quantise_to_int(in[i], scale, f)) * scale;
      return scale;
    }
  }
  return 1.0f;
}

// ---------------------------------------------------------------- fixed-point MAC

namespace {

template <typename T>
QuantDot dot_int(const T* a, const T* b, size_t n, Accumulator acc) {
  QuantDot r;
  if (acc == Accumulator::INT64) {
    int64_t sum = 0;
    for (size_t i = 0; i < n; ++i) {
      const int64_t p = int64_t(a[i]) * int64_t(b[i]);
      if (__builtin_add_overflow(sum, p, &sum)) r.overflowed = true;  // wraps, as hardware
    }
    r.acc = sum;
    return r;
  }
  uint32_t wrapped = 0;  // two's-complement int32 register, wrapping modulo 2^32
  int64_t exact = 0;     // the true partial sum, to report leaving the int32 range
  for (size_t i = 0; i < n; ++i) {
    const int64_t p = int64_t(a[i]) * int64_t(b[i]);
    wrapped += uint32_t(p);
    exact += p;
    if (exact > INT32_MAX || exact < INT32_MIN)
      r.overflowed = true;
  }
  r.acc = int32_t(wrapped);
  return r;
}

}  // namespace

QuantDot dot_int8(const int8_t* a, const int8_t* b, size_t n, Accumulator acc) {
  return dot_int(a, b, n, acc);
}

QuantDot dot_int16(const int16_t* a, const int16_t* b, size_t n, Accumulator acc) {
  return dot_int(a, b, n, acc);
}

float rescale(int64_t acc, float scale_a, float scale_b) {
  return float(double(acc) * (double(scale_a) * double(scale_b)));
}

}  // namespace epochcore::numfmt
