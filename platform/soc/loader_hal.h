// The firmware HAL over the SoC's loader back door (transport_dbg through the system bus):
// no simulated time, no side effects beyond the bytes written. The platform's host side
// uses it before the firmware runs: the driver's probe, and the model compiler writing a
// model's image into system memory. It cannot wait for an interrupt.
#pragma once
#include "epochcore/firmware/hal/hal.h"

namespace epochcore {

class Soc;

class LoaderHal : public fw::Hal {
 public:
  explicit LoaderHal(Soc& soc) : soc_(soc) {}
  fw::HalStatus reg_read(uint32_t offset, uint32_t* value) override;
  fw::HalStatus reg_write(uint32_t offset, uint32_t value) override;
  fw::HalStatus mem_read(uint64_t addr, void* dst, size_t bytes) override;
  fw::HalStatus mem_write(uint64_t addr, const void* src, size_t bytes) override;
  // Never called by the probe or the compiler; returns at once.
  void wait_for_interrupt() override {}
  void log(const char*) override {}

 private:
  Soc& soc_;
};

}  // namespace epochcore
