// Rv32Cpu: the RV32IMAC core (rv32_core.h) as a SystemC/TLM-2.0 initiator (docs/iss.md).
//
// - socket: every fetch, load and store outside the CLINT. DMI is requested for any
//   address the CPU touches (a denied range is remembered until an invalidation) and
//   used when granted; invalidate_direct_mem_ptr drops the regions it overlaps.
// - Temporal decoupling: the core runs ahead of SystemC time by up to `quantum`
//   (its own quantum keeper, not the global one); it synchronises when the quantum is
//   used up and before every access that is not DMI, so device accesses happen in order
//   at their own time. irq_external and the timer are seen at the next synchronisation.
// - The CLINT lives inside the module (core-local; its range never reaches the bus):
//   msip at +0x0, mtimecmp at +0x4000, mtime at +0xBFF8 (SiFive layout), mtime counting
//   at mtime_hz of the CPU's own local time (writable: the offset is kept).
// - WFI synchronises, then waits for irq_external's rise or the timer; that time is
//   wfi_time() (and counts in mcycle, as the clock keeps running).
// - The run ends once (on_stop): Exit (request_exit(code) during one of the CPU's own
//   stores: the CPU stops after that instruction), Fault (a trap with mtvec == 0, a trap
//   loop, WFI that can never wake, a debugger kill) or Limit (max_instructions,
//   max_time). Nothing aborts the simulator.
#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "epochcore/models/cpu/cpu_debug.h"
#include "epochcore/models/cpu/rv32_core.h"

namespace epochcore {

struct Rv32CpuConfig {
  sc_core::sc_time clock_period = sc_core::sc_time(10, sc_core::SC_NS);  // 100 MHz
  uint32_t reset_pc = 0x80000000u;  // EC_RV32_RAM_BASE (firmware/rv32/rv32_soc.h)
  uint32_t a0 = 0, a1 = 0;          // initial a0/a1 (e.g. hart id and a job block address)
  sc_core::sc_time quantum = sc_core::sc_time(10, sc_core::SC_US);  // 1000 cycles at 100 MHz
  Rv32Timing timing;
  uint64_t max_instructions = 0;                      // 0: no limit
  sc_core::sc_time max_time = sc_core::SC_ZERO_TIME;  // 0: none (simulated time since the start)
  uint32_t clint_base = 0x60000000u;  // EC_RV32_CLINT_BASE
  uint32_t clint_size = 0x00010000u;  // EC_RV32_CLINT_BYTES
  uint64_t mtime_hz = 10000000u;      // EC_RV32_MTIME_HZ
  bool use_dmi = true;
  // Held in reset until release(): the platform loads the firmware and the job first.
  bool start_held = false;
};

struct Rv32Stop {
  enum class Kind { Exit, Fault, Limit };
  Kind kind = Kind::Exit;
  uint32_t exit_code = 0;
  std::string cause;  // "" for Exit
  uint32_t pc = 0;
  uint32_t tval = 0;
};
const char* to_string(Rv32Stop::Kind k);  // "exit", "fault", "limit"

class Rv32Cpu : public sc_core::sc_module, public DebuggableCpu {
 public:
  tlm_utils::simple_initiator_socket<Rv32Cpu> socket;
  sc_core::sc_in<bool> irq_external;  // level, MEIP

  std::function<void(const Rv32Stop&)> on_stop;  // called once when the run ends

  struct Stats {
    uint64_t instructions = 0;
    uint64_t cycles = 0;
    sc_core::sc_time wfi_time;
    uint64_t dmi_accesses = 0;    // loads, stores and instruction decodes through DMI
    uint64_t bus_accesses = 0;    // through b_transport
    uint64_t clint_accesses = 0;
    uint64_t syncs = 0;
    uint64_t dmi_grants = 0;         // DMI regions obtained
    uint64_t dmi_invalidations = 0;  // invalidate_direct_mem_ptr calls received
  };

  Rv32Cpu(sc_core::sc_module_name name, const Rv32CpuConfig& config = Rv32CpuConfig{});
  const char* kind() const override { return "epochcore::Rv32Cpu"; }

  // Lets a core configured with start_held run (from the reset pc, or what write_reg(32)
  // set). Once.
  void release();
  // A device calls this during one of the CPU's stores (the exit device).
  void request_exit(uint32_t code);
  void set_debugger(CpuDebugger* d) { debugger_ = d; }

  bool stopped() const { return stopped_; }
  const Rv32Stop& stop() const { return stop_; }
  Stats stats() const;
  sc_core::sc_time wfi_time() const { return wfi_time_; }
  uint64_t instructions() const { return core_.instret(); }
  uint64_t cycles() const { return core_.cycles(); }
  const Rv32CpuConfig& config() const { return cfg_; }
  Rv32Core& core() { return core_; }  // for tests and loaders (before the run)

  // DebuggableCpu
  uint32_t read_reg(unsigned index) const override;
  void write_reg(unsigned index, uint32_t value) override;
  bool read_mem(uint32_t addr, uint8_t* dst, uint32_t bytes) override;
  bool write_mem(uint32_t addr, const uint8_t* src, uint32_t bytes) override;
  void add_breakpoint(uint32_t addr) override { breakpoints_.insert(addr); }
  void remove_breakpoint(uint32_t addr) override { breakpoints_.erase(addr); }

 private:
  // A quantum keeper with this CPU's own quantum (the global one belongs to the platform).
  class Keeper : public tlm_utils::tlm_quantumkeeper {
   public:
    sc_core::sc_time quantum;
    sc_core::sc_time compute_local_quantum() override { return quantum; }
  };
  struct Denied {
    uint64_t start, end;
    bool write;
  };

  void thread();
  void run_fast();
  void run_debug();
  bool handle_result(Rv32Core::RunResult r);  // false: the run has ended
  void do_wfi();
  void finish(Rv32Stop::Kind kind, uint32_t code, const std::string& cause, uint32_t pc, uint32_t tval);
  bool check_limits();  // true (and finished) when a limit is reached
  uint64_t batch_limit() const;

  // Time: the core's local time is base_time_ + (cycles - base_cycles_) * period.
  uint64_t local_ps() const;
  void sync();               // SystemC time catches up with the core
  void publish_local_time();  // tells the keeper how far ahead the core is
  void update_irqs();
  uint64_t mtime() const;
  uint64_t timer_fire_ps() const;  // when mtime reaches mtimecmp (UINT64_MAX: never)

  static bool bus_cb(void* ctx, Rv32Access kind, uint32_t addr, uint8_t* data, unsigned len, uint64_t& cycles);
  static uint64_t time_cb(void* ctx);
  bool bus_access(Rv32Access kind, uint32_t addr, uint8_t* data, unsigned len, uint64_t& cycles);
  bool clint_access(bool write, uint32_t offset, uint8_t* data, unsigned len);
  bool try_dmi(uint32_t addr, bool write);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

  Rv32CpuConfig cfg_;
  Rv32Core core_;
  Keeper qk_;
  uint64_t period_ps_;
  uint64_t base_ps_ = 0, base_cycles_ = 0;
  uint64_t start_ps_ = 0, max_time_ps_ = 0;

  // CLINT
  uint32_t msip_ = 0;
  uint64_t mtimecmp_ = ~0ull;
  int64_t mtime_offset_ = 0;

  std::vector<Denied> denied_;
  bool exit_requested_ = false;
  uint32_t exit_code_ = 0;
  bool stopped_ = false;
  Rv32Stop stop_;
  sc_core::sc_time wfi_time_;
  uint64_t clint_accesses_ = 0, syncs_ = 0, bus_transactions_ = 0, dmi_in_callback_ = 0;
  uint64_t dmi_grants_ = 0, dmi_invalidations_ = 0;
  tlm::tlm_generic_payload tx_;

  CpuDebugger* debugger_ = nullptr;
  bool released_ = false;
  sc_core::sc_event release_event_;
  std::set<uint32_t> breakpoints_;
};

}  // namespace epochcore
