// Deterministic double-precision exp, sin and cos for the firmware (docs/firmware.md,
// "Maths on the control core"). Plain IEEE-754 double arithmetic (fdlibm's algorithms:
// range reduction + minimax polynomials), no libm, no table, no FMA: with -ffp-contract=off
// every operation rounds alike on x86-64 (SSE2) and on RV32 (libgcc soft-float), so both
// builds of the firmware compute bit-identical results. Error below 1 ulp (the unit test
// measures it against the host's libm); sin/cos reduce exactly up to |x| = 2^20*pi/2
// (about 1.6e6), beyond that with an error that grows like ulp(x) (still deterministic).
#pragma once
#include <stdint.h>

namespace epochcore::fw {

double fw_exp(double x);
double fw_sin(double x);
double fw_cos(double x);

// IEEE bit-level helpers (no <cmath> on the target).
inline uint64_t fw_bits(double x) {
  uint64_t u;
  __builtin_memcpy(&u, &x, sizeof u);
  return u;
}
inline uint32_t fw_bits(float x) {
  uint32_t u;
  __builtin_memcpy(&u, &x, sizeof u);
  return u;
}
inline double fw_double(uint64_t u) {
  double x;
  __builtin_memcpy(&x, &u, sizeof x);
  return x;
}
inline bool fw_isfinite(double x) { return (fw_bits(x) & 0x7FF0000000000000ull) != 0x7FF0000000000000ull; }
inline bool fw_isfinite(float x) { return (fw_bits(x) & 0x7F800000u) != 0x7F800000u; }
inline double fw_fabs(double x) { return fw_double(fw_bits(x) & 0x7FFFFFFFFFFFFFFFull); }

}  // namespace epochcore::fw
