// The seam between a CPU model and a debugger (the GDB server, platform/debug): the CPU
// calls the debugger when it stops and polls it while running; the debugger reads and
// writes the CPU's registers and memory through DebuggableCpu. Single-threaded: the
// debugger serves its client from inside on_stop(), on the simulation thread, so the
// whole platform is halted while the debugger has the CPU.
#pragma once
#include <stdint.h>

namespace epochcore {

enum class StopReason {
  Start,       // halted before the first instruction (--gdb)
  Breakpoint,  // pc reached a software breakpoint set by the debugger
  Step,        // one instruction stepped
  Interrupt,   // the debugger asked to halt (Ctrl-C)
  Exit,        // the firmware wrote the exit device (exit code given)
  Fault        // the run stops on a fault (illegal instruction with no handler, limit, ...)
};

enum class ResumeAction { Continue, Step, Kill, Detach };

class DebuggableCpu {
 public:
  virtual ~DebuggableCpu() = default;
  // GDB's RISC-V numbering: 0..31 the x registers, 32 the pc.
  static constexpr unsigned kNumRegs = 33;
  virtual uint32_t read_reg(unsigned index) const = 0;
  virtual void write_reg(unsigned index, uint32_t value) = 0;
  // Debug accesses (transport_dbg on the CPU's bus: RAM, system memory, the accelerator's
  // CSRs and scratchpads); false where nothing answers.
  virtual bool read_mem(uint32_t addr, uint8_t* dst, uint32_t bytes) = 0;
  virtual bool write_mem(uint32_t addr, const uint8_t* src, uint32_t bytes) = 0;
  virtual void add_breakpoint(uint32_t addr) = 0;
  virtual void remove_breakpoint(uint32_t addr) = 0;
};

class CpuDebugger {
 public:
  virtual ~CpuDebugger() = default;
  // The CPU has stopped (exit_code with StopReason::Exit/Fault); returns how to go on.
  // Blocks (serving the client) until the client resumes, steps, kills or detaches.
  virtual ResumeAction on_stop(DebuggableCpu& cpu, StopReason why, int exit_code) = 0;
  // Polled while running (at least once per quantum): true when the client asked to halt.
  virtual bool interrupt_requested() = 0;
};

}  // namespace epochcore
