// Host-driver model: a SystemC initiator that runs firmware in its thread and turns the
// firmware's HAL calls into timed TLM transactions (loosely timed, with a quantum
// keeper). Register accesses synchronise first, as device accesses on a real core would.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "epochcore/firmware/hal/hal.h"

namespace epochcore {

class HostDriver : public sc_core::sc_module, public fw::Hal {
 public:
  tlm_utils::simple_initiator_socket<HostDriver> socket;
  sc_core::sc_in<bool> irq;

  HostDriver(sc_core::sc_module_name name, uint64_t csr_base);
  const char* kind() const override { return "epochcore::HostDriver"; }

  // The firmware program, run once at the start of simulation; then `on_exit`.
  std::function<void(fw::Hal&)> program;
  std::function<void()> on_exit;
  std::function<void(const std::string&)> log_sink;  // default: kept in log_lines()
  // Called before every register write the firmware makes (for fault injection).
  std::function<void(uint32_t offset, uint32_t value)> before_reg_write;
  const std::vector<std::string>& log_lines() const { return log_; }
  uint64_t transactions() const { return transactions_; }

  fw::HalStatus reg_read(uint32_t offset, uint32_t* value) override;
  fw::HalStatus reg_write(uint32_t offset, uint32_t value) override;
  fw::HalStatus mem_read(uint64_t addr, void* dst, size_t bytes) override;
  fw::HalStatus mem_write(uint64_t addr, const void* src, size_t bytes) override;
  void wait_for_interrupt() override;
  void log(const char* line) override;

 private:
  static constexpr size_t kMaxBurst = 4096;
  void thread();
  fw::HalStatus transport(tlm::tlm_command cmd, uint64_t addr, void* data, size_t bytes);

  uint64_t csr_base_;
  tlm_utils::tlm_quantumkeeper qk_;
  std::vector<std::string> log_;
  uint64_t transactions_ = 0;
};

}  // namespace epochcore
