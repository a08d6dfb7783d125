// The top-level SoC: host-driver model, system bus, system memory and the EpochCore
// accelerator, built from a scenario. System address map (SocAddressMap, one source for
// the bus, the host driver and the docs):
//   0x0000_0000  system memory (memory.size_mib)
//   csr_base     accelerator CSRs (256 bytes): 0x4000_0000, or the first 1 GiB boundary
//                at or above the end of system memory when memory exceeds 1 GiB
//   csr_base + 0x1000_0000  accelerator scratchpad window (input, param, output, each in
//                a sub-window of SpadMap::stride bytes: 16 MiB, or the largest scratchpad
//                rounded up to a power of two)
// With memory.size_mib <= 1024 this is the historical map (CSRs 0x4000_0000, scratchpads
// 0x5000_0000).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "epochcore/models/accelerator/epochcore_accel.h"
#include "epochcore/models/bus/router.h"
#include "epochcore/models/memory/spad_map.h"
#include "epochcore/models/memory/system_memory.h"
#include "epochcore/models/tlm/protocol_checker.h"
#include "epochcore/platform/host/host_driver.h"
#include "epochcore/platform/soc/rv32_system.h"
#include "epochcore/platform/scenario/scenario.h"

namespace epochcore {

constexpr uint64_t kMemBase = 0x0000'0000;
// The CSR and scratchpad window bases with memory.size_mib <= 1024 (the default map).
constexpr uint64_t kCsrBase = 0x4000'0000;
constexpr uint64_t kSpadWindowBase = 0x5000'0000;
// Alignment of the CSR window above a large system memory; the scratchpad window follows
// the CSR window at this offset.
constexpr uint64_t kCsrAlign = 0x4000'0000;
constexpr uint64_t kCsrToSpadWindow = kSpadWindowBase - kCsrBase;

// The SoC's system address map, computed from the configuration: no window overlaps
// another for any memory or scratchpad size.
struct SocAddressMap {
  uint64_t mem_base = kMemBase;
  uint64_t mem_bytes = 0;
  uint64_t csr_base = kCsrBase;
  uint64_t csr_bytes = 0;
  uint64_t spad_base = kSpadWindowBase;
  SpadMap spad;  // the scratchpads' sub-windows inside the scratchpad window

  uint64_t spad_bytes() const { return spad.window_bytes(); }
  uint64_t end() const { return spad_base + spad_bytes(); }

  static SocAddressMap compute(uint64_t memory_bytes, const SpadMap& spad);
};
SocAddressMap soc_address_map(const Scenario& s);

AccelParams accel_params_from(const Scenario& s);

class Soc : public sc_core::sc_module {
 public:
  Soc(sc_core::sc_module_name name, const Scenario& s);
  const char* kind() const override { return "epochcore::Soc"; }

  // The CPU that runs the firmware (host.cpu): the host-driver model, or the RV32 system.
  bool has_host_driver() const { return host_ != nullptr; }
  HostDriver& host() { return *host_; }
  Rv32System& rv32() { return *rv32_; }
  bool has_rv32() const { return rv32_ != nullptr; }
  // Called on every rising edge of the accelerator's interrupt (a job finished or
  // stopped), e.g. to snapshot counters per job whatever CPU runs the firmware.
  std::function<void()> on_irq_rise;
  EpochCoreAccel& accel() { return *accel_; }
  const EpochCoreAccel& accel() const { return *accel_; }
  SystemMemory& memory() { return *memory_; }
  uint64_t memory_bytes() const { return memory_bytes_; }
  const SocAddressMap& address_map() const { return map_; }
  sc_core::sc_time clock_period() const { return period_; }
  const sc_core::sc_signal<bool>& irq_signal() const { return irq_; }

  // TLM-2.0 base-protocol violations seen so far by every checker of the SoC and of the
  // accelerator (scenario key run.check_protocol; docs/protocol-checker.md). Always 0
  // without the key: then no checker exists. A runner fails the run when this is non-zero
  // (with the default report actions a violation already throws out of sc_start).
  uint64_t protocol_violations() const;
  // The checkers on the system bus (empty without run.check_protocol), initiators first.
  const std::vector<std::unique_ptr<ProtocolChecker>>& protocol_checkers() const { return checkers_; }

  // Loader back door: debug transport through the bus (no time, no side effects).
  bool debug_write(uint64_t addr, const void* src, size_t bytes);
  bool debug_read(uint64_t addr, void* dst, size_t bytes);

 private:
  bool debug(tlm::tlm_command cmd, uint64_t addr, void* data, size_t bytes);
  void irq_rise();
  ProtocolChecker* new_checker(const char* name);

  uint64_t memory_bytes_;
  SocAddressMap map_;
  sc_core::sc_time period_;
  std::unique_ptr<SystemMemory> memory_;
  std::unique_ptr<Router> bus_;
  std::unique_ptr<EpochCoreAccel> accel_;
  std::unique_ptr<HostDriver> host_;      // host.cpu: model
  std::unique_ptr<Rv32System> rv32_;     // host.cpu: rv32
  tlm_utils::simple_initiator_socket<Soc> loader_;
  sc_core::sc_signal<bool> irq_;
  std::vector<std::unique_ptr<ProtocolChecker>> checkers_;  // run.check_protocol
};

}  // namespace epochcore
