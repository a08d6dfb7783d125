#include "epochcore/platform/soc/loader_hal.h"

#include "epochcore/platform/soc/soc.h"

namespace epochcore {

namespace {
fw::HalStatus status(bool ok) { return ok ? fw::HalStatus::OK : fw::HalStatus::BUS_ERROR; }
}  // namespace

fw::HalStatus LoaderHal::reg_read(uint32_t offset, uint32_t* value) {
  return status(soc_.debug_read(soc_.address_map().csr_base + offset, value, 4));
}

fw::HalStatus LoaderHal::reg_write(uint32_t offset, uint32_t value) {
  return status(soc_.debug_write(soc_.address_map().csr_base + offset, &value, 4));
}

fw::HalStatus LoaderHal::mem_read(uint64_t addr, void* dst, size_t bytes) {
  return status(bytes == 0 || soc_.debug_read(addr, dst, bytes));
}

fw::HalStatus LoaderHal::mem_write(uint64_t addr, const void* src, size_t bytes) {
  return status(bytes == 0 || soc_.debug_write(addr, src, bytes));
}

}  // namespace epochcore
