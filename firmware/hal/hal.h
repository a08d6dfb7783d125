// Hardware-access layer: everything the firmware needs from the machine it runs on.
// The host-driver model implements it with timed TLM transactions; an instruction-set
// simulator port would implement it with loads and stores. No SystemC types here.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace epochcore::fw {

enum class HalStatus { OK = 0, BUS_ERROR = 1 };

class Hal {
 public:
  virtual ~Hal() = default;
  // 32-bit accelerator register access at `offset` from the accelerator's CSR base.
  virtual HalStatus reg_read(uint32_t offset, uint32_t* value) = 0;
  virtual HalStatus reg_write(uint32_t offset, uint32_t value) = 0;
  // System-memory access (bytes, any alignment).
  virtual HalStatus mem_read(uint64_t addr, void* dst, size_t bytes) = 0;
  virtual HalStatus mem_write(uint64_t addr, const void* src, size_t bytes) = 0;
  // Returns once the accelerator's interrupt line is high (at once if it already is).
  virtual void wait_for_interrupt() = 0;
  // Firmware trace output (one line, no newline needed).
  virtual void log(const char* line) = 0;
};

}  // namespace epochcore::fw
