// A Hal over the loader's back door (Soc::debug_read / debug_write): untimed system-memory
// access with no side effects, for host tools that prepare or inspect memory without a
// CPU, e.g. the model compiler writing a compiled image (fw::s4_model_compile) before the
// RV32 core starts, and reading back the logits afterwards. Register access and
// wait_for_interrupt are not supported: register accesses return BUS_ERROR, and
// wait_for_interrupt returns at once and counts the call (unsupported_calls()).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "epochcore/firmware/hal/hal.h"

namespace epochcore {

class Soc;

class DebugHal : public fw::Hal {
 public:
  explicit DebugHal(Soc& soc) : soc_(soc) {}

  fw::HalStatus reg_read(uint32_t offset, uint32_t* value) override;
  fw::HalStatus reg_write(uint32_t offset, uint32_t value) override;
  fw::HalStatus mem_read(uint64_t addr, void* dst, size_t bytes) override;
  fw::HalStatus mem_write(uint64_t addr, const void* src, size_t bytes) override;
  void wait_for_interrupt() override;
  void log(const char* line) override;

  // Register accesses and waits that were refused (the back door has no device access).
  uint64_t unsupported_calls() const { return unsupported_; }
  const std::vector<std::string>& log_lines() const { return log_; }

 private:
  Soc& soc_;
  uint64_t unsupported_ = 0;
  std::vector<std::string> log_;
};

}  // namespace epochcore
