// The RV32 side of the SoC (host.cpu: rv32; docs/firmware.md): an RV32IMAC core with its
// firmware RAM, the mailbox that carries the job block in and the result block out, a
// console and an exit device, at the addresses of firmware/rv32/rv32_soc.h. The core is
// held in reset until `boot` has loaded the firmware ELF and the job (start of
// simulation); it ends the simulation when it stops (exit device, fault or limit).
#pragma once
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <systemc>

#include "epochcore/firmware/runner/job_block.h"
#include "epochcore/models/cpu/console.h"
#include "epochcore/models/cpu/exit_device.h"
#include "epochcore/models/cpu/rv32_cpu.h"
#include "epochcore/models/memory/system_memory.h"
#include "epochcore/platform/scenario/scenario.h"

namespace epochcore {

class Soc;
class CpuDebugger;

class Rv32System : public sc_core::sc_module {
 public:
  Rv32System(sc_core::sc_module_name name, const Scenario& s, Soc& soc);
  const char* kind() const override { return "epochcore::Rv32System"; }
  ~Rv32System() override;

  Rv32Cpu& cpu() { return *cpu_; }
  SystemMemory& ram() { return *ram_; }
  SystemMemory& mailbox() { return *mailbox_; }
  Console& console() { return *console_; }
  ExitDevice& exit_device() { return *exit_; }

  // The host side before the core starts (loader, job block): false stops the run there.
  std::function<bool()> boot;
  // A GDB server (--gdb): the core halts at start and serves it.
  void set_debugger(CpuDebugger* debugger);

  // The firmware ELF (host.firmware, or the project's) into RAM; the job block into the
  // mailbox. False with the reason.
  bool write_job(const ec_fw_job& job, std::string* why);
  // After the run: true with the result block when the firmware wrote one; false with the
  // reason when the core faulted or the firmware failed without one; false with `why` empty
  // when a user's firmware exited with 0 and wrote no result block.
  bool read_result(ec_fw_result* result, std::string* why);
  // The report's "cpu" section: instructions, cycles, time waiting for interrupts, console.
  nlohmann::json report() const;
  // The ELF that runs (set before the simulation starts).
  std::string firmware_path;
  // Print each console line on stdout as it comes (else only the report has it).
  bool echo_console = true;
  // write_job failed on the ELF itself (bad input: exit 2).
  bool bad_firmware = false;
  bool stopped() const { return stopped_; }
  const Rv32Stop& stop() const { return stop_; }

 private:
  void boot_thread();

  const Scenario& s_;
  Soc& soc_;
  std::unique_ptr<Rv32Cpu> cpu_;
  std::unique_ptr<SystemMemory> ram_, mailbox_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<ExitDevice> exit_;
  bool stopped_ = false;
  Rv32Stop stop_;
};

}  // namespace epochcore
