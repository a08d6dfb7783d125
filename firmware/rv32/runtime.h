// The RV32 firmware runtime's own entry points (runtime.cpp). Freestanding only.
#pragma once
#include <stdint.h>

extern "C" {
int putchar(int c);
int puts(const char* s);  // the line and a newline on the console
[[noreturn]] void ec_rv32_exit(uint32_t code);  // writes the exit device (0: pass)
void ec_rv32_trap(uint32_t mcause, uint32_t mepc, uint32_t mtval);
}
