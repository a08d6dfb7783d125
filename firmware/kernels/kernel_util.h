// Small helpers shared by the firmware kernels (plain C, no allocation).
#pragma once
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace epochcore::fw {

// Formats a reason into `why` (if given) and returns false, for "return fail(...)".
inline bool fail(char* why, size_t why_len, const char* fmt, ...) {
  if (why && why_len) {
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(why, why_len, fmt, args);
    va_end(args);
  }
  return false;
}

inline uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace epochcore::fw
