// Number formats of the datapath: fp32 (default), bf16, fp16 and the fixed-point formats
// int16 and int8 with symmetric per-tensor scales. Conversions are written by hand (no
// compiler half types) with round-to-nearest-even, so every platform produces the same
// bits. The simulator keeps values in float; "quantise" gives the float value a tensor has
// once stored in the format. Plain C++. Rules and scales: docs/precisions.md.
#pragma once
#include <stddef.h>
#include <stdint.h>
#if __STDC_HOSTED__
#include <optional>
#include <stdexcept>
#include <string>
#endif

#include "epochcore/contract/regs.h"

namespace epochcore::numfmt {

// The formats of EC_FORMAT_LIST (contract/regs.h); the value is what HW_VECTOR reports.
#define EC_CPP_FMT_(name, value, lower, bits) name = EC_FMT_##name,
enum class Format { EC_FORMAT_LIST(EC_CPP_FMT_) };
#undef EC_CPP_FMT_

#if __STDC_HOSTED__
// Unknown format name; the message names where it came from and the accepted names.
class NumberFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::optional<Format> try_parse_format(const std::string& name);  // exact lower-case name
// Throws NumberFormatError "<where>: unknown number format 'x' (expected one of fp32, ...)".
Format parse_format(const std::string& name, const std::string& where);
#endif
const char* format_name(Format f);          // "fp32", "bf16", "fp16", "int16", "int8"
const char* format_names();  // "fp32, bf16, fp16, int16, int8"
uint32_t format_bits(Format f);  // 32, 16, 16, 16, 8
bool is_integer(Format f);       // INT16, INT8

// ---------------------------------------------------------------- bf16 / fp16 bits
// float -> 16 bits, round to nearest, ties to even; overflow gives +-inf; NaN stays NaN
// (sign and top payload bits kept, quiet bit set); results below half the smallest
// subnormal give a signed zero.
uint16_t float_to_bf16_bits(float x);
uint16_t float_to_fp16_bits(float x);
// 16 bits -> float: exact (every bf16 and fp16 value is a float).
float bf16_bits_to_float(uint16_t b);
float fp16_bits_to_float(uint16_t b);
// The value as the format stores it: bits_to_float(float_to_bits(x)).
float round_to_bf16(float x);
float round_to_fp16(float x);

// ---------------------------------------------------------------- fixed point
// Symmetric per-tensor quantisation with b bits: q = RNE(x / scale) saturated to
// [-qmax, qmax], qmax = 2^(b-1) - 1 (so -2^(b-1) is never produced); x ~ q * scale.
int32_t int_qmax(Format f);  // 32767, 127; 0 for float formats
// scale = max|x| / qmax over the finite values (float division); 1 when that max is 0, the
// tensor is empty, or f is a float format.
float symmetric_scale(Format f, const float* x, size_t n);
// RNE(x / scale) saturated to [-qmax, qmax]; NaN -> 0; +-inf -> +-qmax. scale must be > 0
// and finite (quantise_to_int returns 0 otherwise).
int32_t quantise_to_int(float x, float scale, Format f);
void quantise_int8(const float* x, size_t n, float scale, int8_t* q);
void quantise_int16(const float* x, size_t n, float scale, int16_t* q);
// q * scale (one float multiply).
void dequantise_int8(const int8_t* q, size_t n, float scale, float* x);
void dequantise_int16(const int16_t* q, size_t n, float scale, float* x);

// Whole tensor as the format stores it, into out (may equal in). Float formats round each
// value; integer formats choose the symmetric scale and store dequantise(quantise(x)).
// Returns the scale (1 for float formats).
float quantise_tensor(Format f, const float* in, float* out, size_t n);

// ---------------------------------------------------------------- fixed-point MAC
// An integer MAC array: int8 x int8 (or int16 x int16) products summed in an int32 or
// int64 accumulator. An int32 accumulator wraps modulo 2^32 like hardware and reports it;
// int16 x int16 products reach 2^30, so int16 dot products want the int64 accumulator.
enum class Accumulator { INT32, INT64 };
struct QuantDot {
  int64_t acc = 0;         // the accumulator's final value (wrapped for INT32)
  bool overflowed = false;  // some partial sum left the accumulator's range
};
QuantDot dot_int8(const int8_t* a, const int8_t* b, size_t n, Accumulator acc);
QuantDot dot_int16(const int16_t* a, const int16_t* b, size_t n, Accumulator acc);
// Back to real units: float(double(acc) * (double(scale_a) * double(scale_b))).
float rescale(int64_t acc, float scale_a, float scale_b);

}  // namespace epochcore::numfmt
