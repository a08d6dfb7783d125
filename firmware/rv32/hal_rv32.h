// The HAL of the RV32 firmware: loads and stores on the SoC's address map (rv32_soc.h).
// Freestanding only (firmware/rv32 is not part of the host library).
#pragma once
#include "epochcore/firmware/hal/hal.h"

namespace epochcore::fw {

class Rv32Hal final : public Hal {
 public:
  // Accelerator registers at EC_RV32_CSR_BASE + offset (4-aligned, inside the CSR window).
  HalStatus reg_read(uint32_t offset, uint32_t* value) override;
  HalStatus reg_write(uint32_t offset, uint32_t value) override;
  // System memory at its 32-bit address (EC_RV32_MEM_BASE = 0): a copy with a fence on
  // either side (the accelerator's DMA writes memory behind the core's back). Addresses
  // at or beyond 4 GiB (or a range crossing it) give BUS_ERROR.
  HalStatus mem_read(uint64_t addr, void* dst, size_t bytes) override;
  HalStatus mem_write(uint64_t addr, const void* src, size_t bytes) override;
  // Sets mie.MEIE (never mstatus.MIE: no interrupt is taken, wfi just wakes) and sleeps
  // with wfi until IRQ_STATUS & IRQ_ENABLE is non-zero; then clears mie.MEIE.
  void wait_for_interrupt() override;
  // The line on the console, with a newline.
  void log(const char* line) override;
};

}  // namespace epochcore::fw
