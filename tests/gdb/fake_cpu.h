// A fake DebuggableCpu for the GDB server's tests (tests/sc/test_gdb_server.cpp,
// tests/gdb/fake_target.cpp): 33 registers, 4 KiB of RAM at 0x8000_0000 (nops but for four
// distinctive addi at the start), a 16-byte "device" at 0x4000_0000 that answers only
// aligned word accesses (as the accelerator's CSRs do), and a scripted program that runs
// the way a CPU would drive a CpuDebugger:
//   every instruction: pc += 4, t0 (x5) += 1; at kLoopEnd the pc goes back to kRamBase
//   while t0 < t1 (x6) * 16; at kExitPc the program exits with code a0 (x10);
//   executing at fault_pc (if set) faults;
//   a software breakpoint stops before the instruction at its address executes;
//   interrupt_requested() is polled every kQuantum instructions.
#pragma once
#include <cstdint>
#include <cstring>
#include <set>

#include "epochcore/models/cpu/cpu_debug.h"

namespace ec_test {

class FakeCpu : public epochcore::DebuggableCpu {
 public:
  static constexpr uint32_t kRamBase = 0x80000000u, kRamBytes = 4096;
  static constexpr uint32_t kDevBase = 0x40000000u, kDevBytes = 16;
  static constexpr uint32_t kLoopEnd = kRamBase + 0x3C, kExitPc = kRamBase + 0x40;
  static constexpr unsigned kQuantum = 64;

  enum class End { Exit, Fault, Killed, Running };

  uint32_t fault_pc = 0;  // executing the instruction there faults (0: never)

  FakeCpu() {
    static const uint32_t first[4] = {0x00108093u, 0x00210113u, 0x00318193u, 0x00420213u};
    for (uint32_t i = 0; i < kRamBytes / 4; ++i) {
      const uint32_t w = i < 4 ? first[i] : 0x00000013u;  // addi xN,xN,N then nops
      std::memcpy(&ram_[4 * i], &w, 4);
    }
    for (uint32_t i = 0; i < kDevBytes / 4; ++i) dev_[i] = 0xEC000000u + i;
    regs_[32] = kRamBase;
    regs_[6] = 1;  // one pass through the loop by default
    regs_[2] = kRamBase + kRamBytes - 16;  // sp
  }

  uint32_t read_reg(unsigned i) const override { return i < kNumRegs ? regs_[i] : 0; }
  void write_reg(unsigned i, uint32_t v) override {
    if (i != 0 && i < kNumRegs) regs_[i] = v;
  }
  bool read_mem(uint32_t addr, uint8_t* dst, uint32_t n) override {
    if (in_ram(addr, n)) {
      std::memcpy(dst, &ram_[addr - kRamBase], n);
      return true;
    }
    if (n == 4 && addr % 4 == 0 && addr >= kDevBase && addr - kDevBase < kDevBytes) {
      std::memcpy(dst, &dev_[(addr - kDevBase) / 4], 4);
      return true;
    }
    return false;
  }
  bool write_mem(uint32_t addr, const uint8_t* src, uint32_t n) override {
    if (!in_ram(addr, n)) return false;
    std::memcpy(&ram_[addr - kRamBase], src, n);
    return true;
  }
  void add_breakpoint(uint32_t addr) override { bps_.insert(addr); }
  void remove_breakpoint(uint32_t addr) override { bps_.erase(addr); }

  const std::set<uint32_t>& breakpoints() const { return bps_; }
  uint32_t pc() const { return regs_[32]; }
  int exit_code() const { return static_cast<int>(regs_[10]); }
  uint64_t executed() const { return executed_; }

  // Runs the program under `dbg` (null: without a debugger) until it exits or is killed.
  End run(epochcore::CpuDebugger* dbg) {
    using epochcore::ResumeAction;
    using epochcore::StopReason;
    ResumeAction act = dbg ? dbg->on_stop(*this, StopReason::Start, 0) : ResumeAction::Continue;
    for (;;) {
      if (act == ResumeAction::Kill) return End::Killed;
      if (act == ResumeAction::Detach) {
        dbg = nullptr;
        act = ResumeAction::Continue;
      }
      if (act == ResumeAction::Step) {
        if (regs_[32] == fault_pc) return faulted(dbg);
        if (execute()) return exited(dbg);
        act = dbg->on_stop(*this, StopReason::Step, 0);
        continue;
      }
      // Continue: until a breakpoint, an interrupt or the exit.
      StopReason why = StopReason::Breakpoint;
      for (unsigned n = 0;; ++n) {
        if (dbg && bps_.count(regs_[32])) break;
        if (dbg && n % kQuantum == 0 && n != 0 && dbg->interrupt_requested()) {
          why = StopReason::Interrupt;
          break;
        }
        if (regs_[32] == fault_pc) return faulted(dbg);
        if (execute()) return exited(dbg);
      }
      act = dbg->on_stop(*this, why, 0);
    }
  }

 private:
  bool in_ram(uint32_t addr, uint32_t n) const {
    return addr >= kRamBase && addr - kRamBase <= kRamBytes && n <= kRamBytes - (addr - kRamBase);
  }
  bool execute() {  // one instruction; true at the exit
    ++executed_;
    regs_[5] += 1;
    const uint32_t pc = regs_[32];
    regs_[32] = (pc == kLoopEnd && regs_[5] < uint64_t{regs_[6]} * 16) ? kRamBase : pc + 4;
    return regs_[32] == kExitPc;
  }
  End exited(epochcore::CpuDebugger* dbg) {
    if (dbg) dbg->on_stop(*this, epochcore::StopReason::Exit, exit_code());
    return End::Exit;
  }

  End faulted(epochcore::CpuDebugger* dbg) {
    if (dbg) dbg->on_stop(*this, epochcore::StopReason::Fault, 1);
    return End::Fault;
  }

  uint32_t regs_[kNumRegs] = {};
  uint8_t ram_[kRamBytes];
  uint32_t dev_[kDevBytes / 4];
  std::set<uint32_t> bps_;
  uint64_t executed_ = 0;
};

}  // namespace ec_test
