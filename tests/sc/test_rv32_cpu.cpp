// Testbench of Rv32Cpu (docs/iss.md).
//
//   test_rv32_cpu               the fault and stop tests: hand-encoded programs in RAM,
//                               one independent system each, all simulated together
//   test_rv32_cpu FILE.elf      runs an ISA test ELF (tests/rv32/isa): passes when it
//                               writes 0 to the exit device; SKIPPED (77) when FILE is
//                               missing (no cross compiler)
//
// Every CPU socket has a protocol checker; no violation may be counted.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "rv32_system.h"

using namespace epochcore;
using ec_test::Rv32System;

namespace {

// Hand encoders (RISC-V base formats).
uint32_t i_type(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm) {
  return op | rd << 7 | f3 << 12 | rs1 << 15 | (uint32_t(imm) & 0xFFF) << 20;
}
uint32_t s_type(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm) {
  const uint32_t u = uint32_t(imm);
  return 0x23 | (u & 0x1F) << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | (u >> 5 & 0x7F) << 25;
}
uint32_t lui(uint32_t rd, uint32_t v) { return 0x37 | rd << 7 | (v & 0xFFFFF000u); }
uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) { return i_type(0x13, rd, 0, rs1, imm); }
uint32_t lw(uint32_t rd, uint32_t rs1, int32_t imm) { return i_type(0x03, rd, 2, rs1, imm); }
uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t imm) { return s_type(2, rs1, rs2, imm); }
uint32_t csrrw(uint32_t rd, uint32_t csr, uint32_t rs1) { return i_type(0x73, rd, 1, rs1, int32_t(csr)); }
uint32_t csrrs(uint32_t rd, uint32_t csr, uint32_t rs1) { return i_type(0x73, rd, 2, rs1, int32_t(csr)); }
uint32_t bne(uint32_t rs1, uint32_t rs2, int32_t imm) {
  const uint32_t u = uint32_t(imm);
  return 0x63 | (u >> 11 & 1) << 7 | (u >> 1 & 0xF) << 8 | 1u << 12 | rs1 << 15 | rs2 << 20 | (u >> 5 & 0x3F) << 25 |
         (u >> 12 & 1) << 31;
}
constexpr uint32_t kNop = 0x00000013, kEcall = 0x00000073, kWfi = 0x10500073, kLoop = 0x0000006F;  // jal x0, 0
constexpr uint32_t A0 = 10, A1 = 11, T0 = 5, T1 = 6;

struct Case {
  std::string name;
  std::vector<uint32_t> words;
  Rv32Stop::Kind kind;
  std::string cause;  // expected substring ("" for Exit)
  uint32_t pc, tval, exit_code;
  uint64_t max_instructions = 100000;
  sc_core::sc_time max_time = sc_core::sc_time(1, sc_core::SC_MS);
  std::unique_ptr<Rv32System> sys = nullptr;
};

const uint32_t R = EC_RV32_RAM_BASE;

std::vector<Case> make_cases() {
  std::vector<Case> c;
  c.push_back({"illegal_no_handler", {kNop, kNop, csrrs(A0, 0x7C0, 0)}, Rv32Stop::Kind::Fault,
               "trap with no handler: illegal instruction at pc=0x80000008 tval=0x7c002573", R + 8, 0x7C002573u, 0});
  c.push_back({"misaligned_load", {lui(A0, R), lw(A1, A0, 2)}, Rv32Stop::Kind::Fault,
               "trap with no handler: load address misaligned at pc=0x80000004 tval=0x80000002", R + 4, R + 2, 0});
  c.push_back({"unmapped_load", {lui(A0, 0x10000000u), addi(A0, A0, 0x10), lw(A1, A0, 0)}, Rv32Stop::Kind::Fault,
               "trap with no handler: load access fault at pc=0x80000008 tval=0x10000010", R + 8, 0x10000010u, 0});
  c.push_back({"unmapped_store", {lui(A0, 0x10000000u), sw(A1, A0, 4)}, Rv32Stop::Kind::Fault,
               "trap with no handler: store/AMO access fault at pc=0x80000004 tval=0x10000004", R + 4, 0x10000004u, 0});
  c.push_back({"ecall_no_handler", {kNop, kEcall}, Rv32Stop::Kind::Fault,
               "trap with no handler: environment call from M-mode at pc=0x80000004", R + 4, 0, 0});
  c.push_back({"fetch_unmapped", {lui(T0, 0x20000000u), i_type(0x67, 0, 0, T0, 0)}, Rv32Stop::Kind::Fault,
               "trap with no handler: instruction access fault at pc=0x20000000 tval=0x20000000", 0x20000000u,
               0x20000000u, 0});
  c.push_back({"trap_loop", {lui(T0, 0x20000000u), csrrw(0, 0x305, T0), kEcall}, Rv32Stop::Kind::Fault,
               "trap loop: instruction access fault fetching the trap handler at pc=0x20000000", 0x20000000u,
               0x20000000u, 0});
  c.push_back({"wfi_nothing_enabled", {kNop, kWfi}, Rv32Stop::Kind::Fault,
               "wfi with no interrupt source enabled in mie", R + 4, 0, 0});
  Case lim{"instruction_limit", {kNop, kLoop}, Rv32Stop::Kind::Limit, "instruction limit reached: 5000 instructions",
           R + 4, 0, 0};
  lim.max_instructions = 5000;
  c.push_back(std::move(lim));
  Case tl{"time_limit", {kNop, kLoop}, Rv32Stop::Kind::Limit, "simulated-time limit reached", R + 4, 0, 0};
  tl.max_instructions = 0;
  tl.max_time = sc_core::sc_time(20, sc_core::SC_US);
  c.push_back(std::move(tl));
  // Console "ok\n", then exit code 5.
  c.push_back({"console_exit",
               {lui(T0, EC_RV32_CONSOLE_BASE), addi(A0, 0, 'o'), sw(A0, T0, 0), addi(A0, 0, 'k'), sw(A0, T0, 0),
                addi(A0, 0, '\n'), sw(A0, T0, 0), lui(T0, EC_RV32_EXIT_BASE), addi(A0, 0, 5), sw(A0, T0, 0), kLoop},
               Rv32Stop::Kind::Exit, "", R + 40, 0, 5});
  return c;
}

// A scripted debugger: halts at start, sets a breakpoint, patches memory and a register,
// steps once from the breakpoint, then continues to the exit.
struct ScriptedDebugger : CpuDebugger {
  std::vector<std::string> log;
  uint32_t bp_a0 = 0, step_pc = 0, mem_word = 0;
  int polls = 0;
  ResumeAction on_stop(DebuggableCpu& cpu, StopReason why, int code) override {
    char b[96];
    std::snprintf(b, sizeof b, "%d pc=0x%08x code=%d", int(why), cpu.read_reg(32), code);
    log.push_back(b);
    switch (why) {
      case StopReason::Start: {
        cpu.add_breakpoint(EC_RV32_RAM_BASE + 12);
        const uint32_t patched = 0x00750513;  // addi a0, a0, 7 over the second addi a0, a0, 1
        cpu.write_mem(EC_RV32_RAM_BASE + 4, reinterpret_cast<const uint8_t*>(&patched), 4);
        cpu.read_mem(EC_RV32_RAM_BASE + 4, reinterpret_cast<uint8_t*>(&mem_word), 4);
        return ResumeAction::Continue;
      }
      case StopReason::Breakpoint:
        bp_a0 = cpu.read_reg(10);
        cpu.write_reg(11, 40);
        return ResumeAction::Step;
      case StopReason::Step:
        step_pc = cpu.read_reg(32);
        return ResumeAction::Continue;
      default:
        return ResumeAction::Continue;
    }
  }
  bool interrupt_requested() override {
    ++polls;
    return false;
  }
};

// Invalidates the RAM's DMI (as a memory remapping would) 5 us into the run.
struct Invalidator : sc_core::sc_module {
  SystemMemory& ram;
  Invalidator(sc_core::sc_module_name n, SystemMemory& r) : sc_core::sc_module(n), ram(r) {
    SC_HAS_PROCESS(Invalidator);
    SC_THREAD(run);
  }
  void run() {
    wait(5, sc_core::SC_US);
    ram.socket->invalidate_direct_mem_ptr(0, ram.size() - 1);
  }
};

int run_cases() {
  return ec_test::run_testbench("test_rv32_cpu", [] {
    std::vector<Case> cases = make_cases();
    for (Case& k : cases) {
      Rv32CpuConfig cfg;
      cfg.max_instructions = k.max_instructions;
      cfg.max_time = k.max_time;
      k.sys.reset(new Rv32System(k.name.c_str(), cfg, 64 * 1024));
      k.sys->load_words(k.words.data(), k.words.size());
    }
    // The debugger seam: a0 = 1 + 7 (patched) at the breakpoint, a1 = 40 + 2 after the
    // step, exit code a0 + a1 = 50.
    Rv32CpuConfig dcfg;
    dcfg.max_instructions = 100000;
    Rv32System dbg_sys("debugged", dcfg, 64 * 1024);
    const uint32_t prog[] = {addi(A0, 0, 1), addi(A0, A0, 1), kNop, addi(A1, A1, 2),
                             0x00b50533u /* add a0, a0, a1 */, lui(T0, EC_RV32_EXIT_BASE), sw(A0, T0, 0), kLoop};
    dbg_sys.load_words(prog, sizeof prog / 4);
    ScriptedDebugger dbg;
    dbg_sys.cpu.set_debugger(&dbg);
    Rv32System inval_sys("invalidated", dcfg, 64 * 1024);
    const uint32_t loop[] = {lui(T0, 20000 << 12), i_type(0x13, T0, 5, T0, 12) /* srli t0, t0, 12 */,
                             addi(T0, T0, -1), bne(T0, 0, -4), lui(T1, EC_RV32_EXIT_BASE), sw(0, T1, 0), kLoop};
    inval_sys.load_words(loop, sizeof loop / 4);
    Invalidator inval("invalidator", inval_sys.ram);
    sc_core::sc_start();
    for (const auto& l : dbg.log) std::printf("debugger: %s\n", l.c_str());
    // DMI invalidated by the RAM (through the bus) while the CPU runs from it: the CPU
    // drops the region, asks again and finishes.
    EC_CHECK_INFO(inval_sys.describe().find("exit code=0") == 0, inval_sys.describe());
    EC_CHECK_INFO(inval_sys.cpu.stats().dmi_invalidations == 1 && inval_sys.cpu.stats().dmi_grants == 2,
                  std::to_string(inval_sys.cpu.stats().dmi_grants) + " grants");
    EC_CHECK(inval_sys.cpu.instructions() == 2 * 20000 + 4);
    EC_CHECK_INFO(dbg_sys.describe().find("exit code=50") == 0, dbg_sys.describe());
    EC_CHECK(dbg.log.size() == 4);
    EC_CHECK(dbg.mem_word == 0x00750513u);
    EC_CHECK(dbg.bp_a0 == 8);
    EC_CHECK(dbg.step_pc == EC_RV32_RAM_BASE + 16);
    EC_CHECK(dbg.log.size() == 4 && dbg.log[3].find(std::to_string(int(StopReason::Exit))) == 0);
    for (Case& k : cases) {
      const Rv32System& s = *k.sys;
      const std::string info = k.name + ": " + s.describe();
      EC_CHECK_INFO(s.stopped, info);
      EC_CHECK_INFO(s.stop.kind == k.kind, info);
      EC_CHECK_INFO(s.stop.cause.find(k.cause) != std::string::npos, info + " (want '" + k.cause + "')");
      EC_CHECK_INFO(s.stop.pc == k.pc, info);
      EC_CHECK_INFO(s.stop.tval == k.tval, info);
      EC_CHECK_INFO(s.stop.exit_code == k.exit_code, info);
      if (k.name == "console_exit") EC_CHECK_INFO(s.console.text() == "ok\n", s.console.text());
      if (k.name == "instruction_limit") EC_CHECK_INFO(s.cpu.instructions() == 5000, info);
      if (k.name == "time_limit")
        EC_CHECK_INFO(sc_core::sc_time(20, sc_core::SC_US) <= sc_core::sc_time_stamp(), info);
    }
  }, true, 1);
}

int run_elf(const std::string& path) {
  if (!std::ifstream(path)) {
    std::printf("SKIPPED: %s not built (no RISC-V cross compiler?)\n", path.c_str());
    return 77;
  }
  return ec_test::run_testbench("test_rv32_cpu", [&] {
    Rv32CpuConfig cfg;
    cfg.reset_pc = io::read_elf32(path).entry;
    cfg.max_instructions = 50000000;
    cfg.max_time = sc_core::sc_time(1, sc_core::SC_SEC);
    Rv32System sys("sys", cfg, EC_RV32_RAM_DEFAULT_BYTES, sc_core::sc_time(10, sc_core::SC_NS));
    sys.load_elf(path);
    sys.console.on_line = [](const std::string& l) { std::printf("console: %s\n", l.c_str()); };
    sc_core::sc_start();
    const auto st = sys.cpu.stats();
    std::printf("%s: %s; %llu instructions, %llu cycles, %s, wfi %s, dmi %llu, bus %llu\n", path.c_str(),
                sys.describe().c_str(), (unsigned long long)st.instructions, (unsigned long long)st.cycles,
                sc_core::sc_time_stamp().to_string().c_str(), st.wfi_time.to_string().c_str(),
                (unsigned long long)st.dmi_accesses, (unsigned long long)st.bus_accesses);
    EC_CHECK_INFO(sys.stopped && sys.stop.kind == Rv32Stop::Kind::Exit && sys.stop.exit_code == 0,
                  sys.describe() + (sys.stopped && sys.stop.kind == Rv32Stop::Kind::Exit
                                        ? " (the failing check's number)"
                                        : ""));
  }, true, 1);
}

}  // namespace

int sc_main(int argc, char** argv) {
  if (argc > 1) return run_elf(argv[1]);
  return run_cases();
}
