// An RV32IMAC + Zicsr instruction-set simulator core, machine mode only: plain C++, no
// SystemC (the SystemC/TLM-2.0 wrapper is Rv32Cpu, rv32_cpu.h; docs/iss.md).
//
// Memory: a small table of direct (DMI) regions is checked first; everything else goes
// through one slow-path callback (a plain function pointer, so no std::function or
// virtual call is paid per instruction). Instructions fetched from a DMI region of at
// most kMaxCachedRegionBytes are predecoded once into a per-region cache, invalidated by
// stores into it (from this core), invalidate_code() (debugger, loaders) and FENCE.I.
//
// Timing: every instruction costs cycles from Rv32Timing (all >= 1, so a cycle budget
// bounds the instruction count), plus DMI latencies and the cycles the slow path reports.
// mcycle counts these cycles, minstret the retired instructions.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace epochcore {

// Cycles per instruction class. Defaults: ALU/LUI/AUIPC 1, load 2, store 1, branch not
// taken 1, branch taken 3, JAL/JALR 3, MUL* 3, DIV/REM* 34, CSR access 2, LR/SC/AMO 4,
// FENCE/ECALL/EBREAK/MRET/WFI and traps 3. Values of 0 are raised to 1.
struct Rv32Timing {
  uint32_t alu = 1;
  uint32_t load = 2;
  uint32_t store = 1;
  uint32_t branch = 1;        // conditional branch not taken
  uint32_t branch_taken = 3;  // conditional branch taken
  uint32_t jump = 3;          // JAL, JALR
  uint32_t mul = 3;
  uint32_t div = 34;
  uint32_t csr = 2;
  uint32_t atomic = 4;   // LR, SC, AMO*
  uint32_t system = 3;   // FENCE, FENCE.I, ECALL, EBREAK, MRET, WFI
  uint32_t trap = 3;     // extra cycles to enter a trap handler
};

// One direct-access region: [base, base + size) at host memory `ptr`.
struct Rv32DmiRegion {
  uint32_t base = 0;
  uint32_t size = 0;  // bytes; 0 < size, base + size - 1 <= 0xFFFFFFFF
  uint8_t* ptr = nullptr;
  bool read = true;
  bool write = true;
  uint32_t read_latency = 0;   // cycles added per read (fetch or load)
  uint32_t write_latency = 0;  // cycles added per write
};

enum class Rv32Access : uint8_t { Fetch, Load, Store };

// The slow path: one access of `len` (1, 2 or 4) bytes at `addr`, little-endian data at
// `data`. Adds the cycles it takes to `cycles`; false on a bus error (access fault).
using Rv32BusFn = bool (*)(void* ctx, Rv32Access kind, uint32_t addr, uint8_t* data, unsigned len,
                           uint64_t& cycles);
// The time CSR (mtime); null: time reads mcycle.
using Rv32TimeFn = uint64_t (*)(void* ctx);

namespace rv32 {
// mcause values (interrupts have bit 31 set).
constexpr uint32_t kCauseFetchMisaligned = 0, kCauseFetchFault = 1, kCauseIllegal = 2,
                   kCauseBreakpoint = 3, kCauseLoadMisaligned = 4, kCauseLoadFault = 5,
                   kCauseStoreMisaligned = 6, kCauseStoreFault = 7, kCauseEcallM = 11;
constexpr uint32_t kIrqMsi = 3, kIrqMti = 7, kIrqMei = 11;
constexpr uint32_t kMipMsip = 1u << kIrqMsi, kMipMtip = 1u << kIrqMti, kMipMeip = 1u << kIrqMei;
constexpr uint32_t kMstatusMie = 1u << 3, kMstatusMpie = 1u << 7, kMstatusMpp = 3u << 11;
constexpr uint32_t kMisa = 0x40001105u;  // MXL=1 (32), A C I M
const char* cause_name(uint32_t mcause);  // "illegal instruction", "machine timer interrupt", ...
}  // namespace rv32

// One predecoded instruction (op codes in rv32_core.cpp).
struct Rv32Decoded {
  uint8_t op = 0;  // 0: not decoded yet
  uint8_t rd = 0;  // 32 (a sink) when the destination is x0
  uint8_t rs1 = 0;
  uint8_t rs2 = 0;
  int32_t imm = 0;  // immediate; CSR number for CSR ops; raw bits for illegal ones
  uint8_t len = 4;  // 2 (compressed) or 4
  uint8_t cost = 1; // cycles, with the fetch latency (a taken branch: branch_taken instead of branch)
};

class Rv32Core {
 public:
  enum class RunResult {
    Budget,  // the cycle limit was reached
    Break,   // request_break() was called (by the slow path or the host)
    Wfi,     // a WFI with no enabled interrupt pending: pc is past the WFI
    Fault    // the run must end: fault_text(), fault_pc(), fault_tval()
  };
  static constexpr uint32_t kMaxCachedRegionBytes = 64u << 20;  // predecode regions up to 64 MiB

  explicit Rv32Core(const Rv32Timing& timing = Rv32Timing{});
  ~Rv32Core();
  Rv32Core(const Rv32Core&) = delete;
  Rv32Core& operator=(const Rv32Core&) = delete;

  // Resets registers, CSRs and counters (regions and callbacks stay).
  void reset(uint32_t pc);

  // Memory.
  void set_bus(Rv32BusFn fn, void* ctx) { bus_ = fn; bus_ctx_ = ctx; }
  void set_time_source(Rv32TimeFn fn, void* ctx) { time_ = fn; time_ctx_ = ctx; }
  void add_region(const Rv32DmiRegion& r);  // replaces regions it overlaps
  void remove_regions(uint32_t start, uint32_t end);  // every region overlapping [start, end]
  void clear_regions();
  size_t region_count() const { return regions_.size(); }
  const Rv32DmiRegion* find_region(uint32_t addr) const;
  void invalidate_code(uint32_t addr, uint32_t bytes);  // predecoded instructions there
  void invalidate_all_code();

  // Runs until cycles() >= cycle_limit or an event (RunResult). Interrupts are taken at
  // instruction boundaries, checked when the run starts and after every CSR write, MRET
  // and request_break().
  RunResult run(uint64_t cycle_limit);
  // From inside a slow-path callback or between runs: the current instruction completes,
  // then run() returns Break.
  void request_break() { events_ |= kEvBreak; limit_ = 0; }

  // The hardware interrupt lines (rv32::kMipMeip/kMipMtip/kMipMsip).
  void set_irq_lines(uint32_t mip_bits);
  uint32_t irq_lines() const { return mip_; }
  bool interrupt_pending_enabled() const { return (mip_ & mie_) != 0; }
  uint32_t mie() const { return mie_; }

  // State.
  uint32_t pc() const { return pc_; }
  void set_pc(uint32_t pc) { pc_ = pc & ~1u; }
  uint32_t reg(unsigned i) const { return i < 32 ? x_[i] : 0; }
  void set_reg(unsigned i, uint32_t v) { if (i > 0 && i < 32) x_[i] = v; }
  // CSR access as an instruction would (false: unknown CSR or read-only write).
  bool read_csr(uint32_t csr, uint32_t& value) const;
  bool write_csr(uint32_t csr, uint32_t value);

  uint64_t cycles() const { return cycles_; }  // all cycles since reset
  void add_cycles(uint64_t c) { cycles_ += c; }  // time spent outside (WFI)
  uint64_t instret() const { return instret_; }
  uint64_t dmi_accesses() const { return dmi_accesses_; }  // loads/stores/fetch decodes via DMI
  uint64_t bus_accesses() const { return bus_accesses_; }  // via the slow path
  const Rv32Timing& timing() const { return timing_; }

  bool faulted() const { return fault_; }
  const std::string& fault_text() const { return fault_text_; }
  uint32_t fault_pc() const { return fault_pc_; }
  uint32_t fault_tval() const { return fault_tval_; }
  void clear_fault() { fault_ = false; }

  // Expands a 16-bit instruction into its 32-bit equivalent (0 when reserved/illegal).
  static uint32_t expand_compressed(uint16_t c);
  static void decode(uint32_t insn, Rv32Decoded& d, const Rv32Timing& t);  // 32-bit only

 private:
  struct Region {
    Rv32DmiRegion r;
    std::unique_ptr<Rv32Decoded[]> code;  // predecoded, per halfword; null when too large
  };
  enum : uint32_t { kEvBreak = 1, kEvRecheck = 2, kEvWfi = 4, kEvFault = 8 };

  void exec_loop();
  void execute(const Rv32Decoded& d);
  const Rv32Decoded* fetch_decode(uint32_t pc, Rv32Decoded& tmp);
  bool fetch16(uint32_t addr, uint16_t& v);
  void select_code_region(uint32_t pc);
  template <typename T> bool load(uint32_t addr, T& v, uint32_t misaligned_cause, uint32_t fault_cause);
  template <typename T> bool store(uint32_t addr, T v);
  bool take_interrupt();
  void trap(uint32_t cause, uint32_t tval);
  void fault(const std::string& text, uint32_t pc, uint32_t tval);
  bool csr_op(const Rv32Decoded& d, uint32_t rs1_value, uint32_t& old);  // false: illegal
  void recheck() { events_ |= kEvRecheck; limit_ = 0; }
  uint64_t time_now() const;

  uint32_t x_[33] = {};  // x_[32]: where writes to x0 go
  uint32_t pc_ = 0;
  uint64_t cycles_ = 0, instret_ = 0;
  uint64_t limit_ = 0;
  uint32_t events_ = 0;

  // The code region of the current pc (cache of regions_).
  uint32_t code_base_ = 0, code_size_ = 0, code_latency_ = 0;
  Rv32Decoded* code_ = nullptr;
  // The last data region hit.
  const Region* data_ = nullptr;

  std::vector<Region> regions_;
  Rv32BusFn bus_ = nullptr;
  void* bus_ctx_ = nullptr;
  Rv32TimeFn time_ = nullptr;
  void* time_ctx_ = nullptr;
  Rv32Timing timing_;

  // CSRs.
  uint32_t mstatus_ = 0, mie_ = 0, mip_ = 0, mtvec_ = 0, mepc_ = 0, mcause_ = 0, mtval_ = 0,
           mscratch_ = 0;
  uint64_t mcycle_off_ = 0, minstret_off_ = 0;
  // LR/SC reservation.
  bool reserved_ = false;
  uint32_t reservation_ = 0;
  bool in_trap_entry_ = false;  // a trap was taken, its handler's first fetch is pending

  uint64_t dmi_accesses_ = 0, bus_accesses_ = 0;
  bool fault_ = false;
  std::string fault_text_;
  uint32_t fault_pc_ = 0, fault_tval_ = 0;
};

}  // namespace epochcore
