#include "epochcore/firmware/rv32/hal_rv32.h"

#include "epochcore/contract/regs.h"
#include "epochcore/firmware/rv32/rv32_soc.h"
#include "epochcore/firmware/rv32/runtime.h"

extern "C" void* memcpy(void* dst, const void* src, size_t n);

namespace epochcore::fw {

namespace {

volatile uint32_t* csr(uint32_t offset) {
  return reinterpret_cast<volatile uint32_t*>(uintptr_t(EC_RV32_CSR_BASE + offset));
}

bool csr_ok(uint32_t offset) { return offset % 4 == 0 && offset < EC_CSR_WINDOW_BYTES; }

bool mem_ok(uint64_t addr, size_t bytes) { return addr < (1ull << 32) && bytes <= (1ull << 32) - addr; }

inline void fence() { __asm__ volatile("fence iorw, iorw" ::: "memory"); }

constexpr uint32_t kMieMeie = 1u << EC_RV32_IRQ_MEI;  // mie bit 11

}  // namespace

HalStatus Rv32Hal::reg_read(uint32_t offset, uint32_t* value) {
  if (!csr_ok(offset)) return HalStatus::BUS_ERROR;
  *value = *csr(offset);
  return HalStatus::OK;
}

HalStatus Rv32Hal::reg_write(uint32_t offset, uint32_t value) {
  if (!csr_ok(offset)) return HalStatus::BUS_ERROR;
  fence();  // records and data written before the doorbell are visible to the DMA
  *csr(offset) = value;
  return HalStatus::OK;
}

HalStatus Rv32Hal::mem_read(uint64_t addr, void* dst, size_t bytes) {
  if (!mem_ok(addr, bytes)) return HalStatus::BUS_ERROR;
  fence();
  memcpy(dst, reinterpret_cast<const void*>(uintptr_t(addr)), bytes);
  fence();
  return HalStatus::OK;
}

HalStatus Rv32Hal::mem_write(uint64_t addr, const void* src, size_t bytes) {
  if (!mem_ok(addr, bytes)) return HalStatus::BUS_ERROR;
  fence();
  memcpy(reinterpret_cast<void*>(uintptr_t(addr)), src, bytes);
  fence();
  return HalStatus::OK;
}

void Rv32Hal::wait_for_interrupt() {
  // Zicsr: binutils >= 2.38 no longer implies it with -march=rv32imac.
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrs mie, %0\n.option pop" ::"r"(kMieMeie) : "memory");
  while ((*csr(EC_REG_IRQ_STATUS) & *csr(EC_REG_IRQ_ENABLE)) == 0) __asm__ volatile("wfi" ::: "memory");
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrc mie, %0\n.option pop" ::"r"(kMieMeie) : "memory");
}

void Rv32Hal::log(const char* line) { puts(line); }

}  // namespace epochcore::fw
