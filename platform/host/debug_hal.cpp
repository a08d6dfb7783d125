#include "epochcore/platform/host/debug_hal.h"

#include "epochcore/platform/soc/soc.h"

namespace epochcore {

fw::HalStatus DebugHal::reg_read(uint32_t, uint32_t* value) {
  if (value) *value = 0;
  ++unsupported_;
  return fw::HalStatus::BUS_ERROR;
}

fw::HalStatus DebugHal::reg_write(uint32_t, uint32_t) {
  ++unsupported_;
  return fw::HalStatus::BUS_ERROR;
}

fw::HalStatus DebugHal::mem_read(uint64_t addr, void* dst, size_t bytes) {
  if (bytes == 0) return fw::HalStatus::OK;
  return soc_.debug_read(addr, dst, bytes) ? fw::HalStatus::OK : fw::HalStatus::BUS_ERROR;
}

fw::HalStatus DebugHal::mem_write(uint64_t addr, const void* src, size_t bytes) {
  if (bytes == 0) return fw::HalStatus::OK;
  return soc_.debug_write(addr, src, bytes) ? fw::HalStatus::OK : fw::HalStatus::BUS_ERROR;
}

void DebugHal::wait_for_interrupt() { ++unsupported_; }

void DebugHal::log(const char* line) { log_.emplace_back(line ? line : ""); }

}  // namespace epochcore
