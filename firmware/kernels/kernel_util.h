// Small helpers shared by the firmware kernels (plain C, no allocation). Builds hosted
// (the host-driver model) and freestanding (RV32: fw_format instead of vsnprintf).
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#if __STDC_HOSTED__
#include <cstdio>
#else
#include "epochcore/firmware/runtime/fw_format.h"
#endif

namespace epochcore::fw {

// Formats a reason into `why` (if given) and returns false, for "return fail(...)".
// The host checks the format strings (-Wformat). Not on RV32: there uint32_t is
// `unsigned long` (same size and ABI as unsigned int), which %u would flag everywhere.
#if __STDC_HOSTED__
inline bool fail(char* why, size_t why_len, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
inline bool fail(char* why, size_t why_len, const char* fmt, ...) {
  if (why && why_len) {
    va_list args;
    va_start(args, fmt);
#if __STDC_HOSTED__
    std::vsnprintf(why, why_len, fmt, args);
#else
    fw_vformat(why, why_len, fmt, args);
#endif
    va_end(args);
  }
  return false;
}

inline uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
template <typename T>
inline T fw_min(T a, T b) { return b < a ? b : a; }
template <typename T>
inline T fw_max(T a, T b) { return a < b ? b : a; }

}  // namespace epochcore::fw
