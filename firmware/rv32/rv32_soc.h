/* The RV32 SoC's address map as the firmware sees it (host.cpu: rv32, docs/firmware.md).
 * One definition: the platform builds the SoC from it (platform/soc), the firmware's linker
 * script and start-up code use it. C99, freestanding.
 *
 *   0x0000_0000  system memory (memory.size_mib, at most 1 GiB with an RV32 core)
 *   0x4000_0000  accelerator CSRs (contract/regs.h offsets)
 *   0x5000_0000  accelerator scratchpad window
 *   0x6000_0000  core-local interruptor (CLINT: msip, mtimecmp, mtime; SiFive layout)
 *   0x6001_0000  console: a byte written at offset 0 is printed
 *   0x6002_0000  exit device: a word written at offset 0 ends the run (0 pass, else fail)
 *   0x6003_0000  mailbox: the job block the platform writes and the result the firmware
 *                writes back (firmware/runner/job_block.h)
 *   0x8000_0000  firmware RAM: code, data, stack (host.ram_kib)
 */
#ifndef EPOCHCORE_FIRMWARE_RV32_RV32_SOC_H
#define EPOCHCORE_FIRMWARE_RV32_RV32_SOC_H

#define EC_RV32_MEM_BASE 0x00000000u
#define EC_RV32_MEM_MAX_BYTES 0x40000000u /* system memory must end below the CSRs */
#define EC_RV32_CSR_BASE 0x40000000u
#define EC_RV32_SPAD_BASE 0x50000000u
#define EC_RV32_SPAD_MAX_BYTES 0x10000000u /* the scratchpad window must end below the CLINT */

#define EC_RV32_CLINT_BASE 0x60000000u
#define EC_RV32_CLINT_BYTES 0x00010000u
#define EC_RV32_CLINT_MSIP 0x0000u     /* bit 0: machine software interrupt pending */
#define EC_RV32_CLINT_MTIMECMP 0x4000u /* 64-bit, lo word then hi word */
#define EC_RV32_CLINT_MTIME 0xBFF8u    /* 64-bit, counts at EC_RV32_MTIME_HZ */
#define EC_RV32_MTIME_HZ 10000000u     /* 10 MHz: one tick every 100 ns of simulated time */

#define EC_RV32_CONSOLE_BASE 0x60010000u
#define EC_RV32_CONSOLE_BYTES 0x00001000u
#define EC_RV32_CONSOLE_TX 0x0u /* write: the low byte is printed */

#define EC_RV32_EXIT_BASE 0x60020000u
#define EC_RV32_EXIT_BYTES 0x00001000u
#define EC_RV32_EXIT_CODE 0x0u /* write: the run ends with this code (0: pass) */

#define EC_RV32_MAILBOX_BASE 0x60030000u
#define EC_RV32_MAILBOX_BYTES 0x00010000u

#define EC_RV32_RAM_BASE 0x80000000u
#define EC_RV32_RAM_DEFAULT_BYTES 0x00100000u /* 1 MiB (host.ram_kib: 1024) */

/* Machine interrupt causes (mcause without the interrupt bit) the SoC wires. */
#define EC_RV32_IRQ_MSI 3u  /* CLINT msip */
#define EC_RV32_IRQ_MTI 7u  /* CLINT mtime >= mtimecmp */
#define EC_RV32_IRQ_MEI 11u /* the accelerator's irq line */

#endif /* EPOCHCORE_FIRMWARE_RV32_RV32_SOC_H */
