// A small freestanding printf-style formatter for the firmware's messages (the RV32 build
// has no libc; kernel_util.h's fail() uses it there, the host keeps vsnprintf).
// Conversions: %d %i %u %x %X %c %s %p %% and %f %e %g (doubles, within the precision a
// message needs, not correctly rounded in every last digit); flags '-' and '0', a width,
// a precision ('.N', also for %s); length modifiers hh h l ll z j t.
// Always NUL-terminates (when n > 0); returns the length the full output would have.
#pragma once
#include <stdarg.h>
#include <stddef.h>

namespace epochcore::fw {

int fw_vformat(char* buf, size_t n, const char* fmt, va_list args);
int fw_format(char* buf, size_t n, const char* fmt, ...);

}  // namespace epochcore::fw
