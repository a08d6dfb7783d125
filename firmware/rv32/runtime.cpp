// The RV32 firmware's small runtime (docs/firmware.md, "Building the firmware twice"):
// the C library functions the compiler may call (memcpy, memset, memmove, memcmp,
// strlen), console output, the trap report, and the C++ ABI stubs of a program with no
// heap and no exceptions. Built with -fno-tree-loop-distribute-patterns so that the loops
// below are not turned back into calls to themselves.
#include <stddef.h>
#include <stdint.h>

#include "epochcore/firmware/rv32/rv32_soc.h"
#include "epochcore/firmware/rv32/runtime.h"
#include "epochcore/firmware/runtime/fw_format.h"

extern "C" {

void* memcpy(void* dst, const void* src, size_t n) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  const uint8_t* s = static_cast<const uint8_t*>(src);
  if (((uintptr_t(d) | uintptr_t(s)) & 3) == 0) {
    for (; n >= 4; n -= 4, d += 4, s += 4) *reinterpret_cast<uint32_t*>(d) = *reinterpret_cast<const uint32_t*>(s);
  }
  while (n--) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  const uint8_t* s = static_cast<const uint8_t*>(src);
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  while (n--) d[n] = s[n];  // overlapping, destination above: copy backwards
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  while (n--) *d++ = uint8_t(c);
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const uint8_t* x = static_cast<const uint8_t*>(a);
  const uint8_t* y = static_cast<const uint8_t*>(b);
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

int putchar(int c) {
  *reinterpret_cast<volatile uint32_t*>(uintptr_t(EC_RV32_CONSOLE_BASE + EC_RV32_CONSOLE_TX)) = uint32_t(uint8_t(c));
  return uint8_t(c);
}

int puts(const char* s) {
  while (*s) putchar(*s++);
  putchar('\n');
  return 0;
}

void ec_rv32_exit(uint32_t code) {
  *reinterpret_cast<volatile uint32_t*>(uintptr_t(EC_RV32_EXIT_BASE + EC_RV32_EXIT_CODE)) = code;
  for (;;) __asm__ volatile("wfi");
}

// Called by crt0.S's trap entry (any exception: the firmware runs with interrupts off).
void ec_rv32_trap(uint32_t mcause, uint32_t mepc, uint32_t mtval) {
  char line[96];
  epochcore::fw::fw_format(line, sizeof line, "epochcore-fw: TRAP mcause=0x%08x mepc=0x%08x mtval=0x%08x",
                           unsigned(mcause), unsigned(mepc), unsigned(mtval));
  puts(line);
  ec_rv32_exit(0x100u | (mcause & 0xFFu));
}

// A pure virtual call cannot happen in a correct program: report it as a trap would.
void __cxa_pure_virtual() {
  puts("epochcore-fw: pure virtual call");
  ec_rv32_exit(0x1FFu);
}

}  // extern "C"

// No heap: the deleting destructors of classes with virtual destructors (fw::Hal)
// reference operator delete, which is never called (no object is ever new'ed).
void operator delete(void*) noexcept { ec_rv32_exit(0x1FEu); }
void operator delete(void*, size_t) noexcept { ec_rv32_exit(0x1FEu); }
