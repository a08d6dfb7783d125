// A stand-in CPU: one SC_THREAD running firmware, a TLM initiator with a quantum keeper
// (loosely timed) and DMI for memory. It implements EpochCore's firmware HAL
// (epochcore/firmware/hal/hal.h) once per accelerator it drives, all over one bus socket
// and one interrupt line (the interrupt combiner's output).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "epochcore/firmware/hal/hal.h"

class Cpu : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Cpu> socket;
  sc_core::sc_in<bool> irq;

  explicit Cpu(sc_core::sc_module_name name);
  ~Cpu() override;

  // One accelerator at `csr_base`; returns its HAL (valid as long as the CPU).
  epochcore::fw::Hal& add_device(uint64_t csr_base);
  // The firmware, run once by the CPU's thread at the start of simulation.
  std::function<void(Cpu&)> program;

  // Memory accesses (DMI when the target granted it, else b_transport in bursts).
  epochcore::fw::HalStatus mem_read(uint64_t addr, void* dst, size_t bytes);
  epochcore::fw::HalStatus mem_write(uint64_t addr, const void* src, size_t bytes);
  uint64_t dmi_accesses() const { return dmi_accesses_; }
  uint64_t bus_accesses() const { return bus_accesses_; }
  // Interrupts of one device deferred (masked) while waiting for another's.
  uint64_t deferred_interrupts() const { return deferred_; }

 private:
  class DeviceHal;
  static constexpr size_t kMaxBurst = 4096;

  void thread();
  epochcore::fw::HalStatus transport(tlm::tlm_command cmd, uint64_t addr, void* data, size_t bytes);
  epochcore::fw::HalStatus reg_access(tlm::tlm_command cmd, uint64_t addr, uint32_t* value);
  bool dmi_access(tlm::tlm_command cmd, uint64_t addr, void* data, size_t bytes);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
  void wait_for_device(const DeviceHal& dev);

  tlm_utils::tlm_quantumkeeper qk_;
  std::vector<std::unique_ptr<DeviceHal>> devices_;
  tlm::tlm_dmi dmi_;
  bool dmi_valid_ = false;
  uint64_t dmi_accesses_ = 0, bus_accesses_ = 0, deferred_ = 0;
};
