/* Reset code of the RV32 firmware (docs/firmware.md). Linked to RAM (link.ld): nothing is
 * copied. sp = top of RAM, gp for relaxation, .bss zeroed, the .init_array constructors
 * run (the firmware has none today), main() called, and its return value written to the
 * exit device, which ends the run (0: pass).
 *
 * Traps: mtvec points at ec_rv32_trap_entry, which prints mcause, mepc and mtval on the
 * console and ends the run with exit code 0x100 | (mcause & 0xff) (non-zero). The firmware
 * never enables interrupts globally (mstatus.MIE stays 0; wait_for_interrupt only sets
 * mie.MEIE so that wfi wakes), so only exceptions (bad address, illegal instruction,
 * misaligned access, ebreak, ...) get here. */
#include "epochcore/firmware/rv32/rv32_soc.h"

  /* CSR instructions: Zicsr (binutils >= 2.38 no longer implies it with -march=rv32imac). */
  .option arch, +zicsr

  .section .text.init, "ax", @progbits
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top
  la t0, ec_rv32_trap_entry
  csrw mtvec, t0

  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sw zero, 0(t0)
  addi t0, t0, 4
  j 1b
2:
  la s0, __init_array_start
  la s1, __init_array_end
3:
  bgeu s0, s1, 4f
  lw t0, 0(s0)
  jalr t0
  addi s0, s0, 4
  j 3b
4:
  li a0, 0
  li a1, 0
  call main
  li t0, EC_RV32_EXIT_BASE
  sw a0, EC_RV32_EXIT_CODE(t0)
5:
  wfi
  j 5b

  .align 2
  .globl ec_rv32_trap_entry
ec_rv32_trap_entry:
  /* The stack may be what faulted: restart it at the top of RAM. */
  la sp, __stack_top
  csrr a0, mcause
  csrr a1, mepc
  csrr a2, mtval
  call ec_rv32_trap
6:
  j 6b
