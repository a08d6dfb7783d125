// RV32IMAC + Zicsr execution, traps, interrupts and CSRs (machine mode only).
#include "epochcore/models/cpu/rv32_core.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "epochcore/models/cpu/rv32_ops.h"

namespace epochcore {

namespace rv32 {
const char* cause_name(uint32_t mcause) {
  if (mcause & 0x80000000u) {
    switch (mcause & 0x7FFFFFFFu) {
      case kIrqMsi: return "machine software interrupt";
      case kIrqMti: return "machine timer interrupt";
      case kIrqMei: return "machine external interrupt";
      default: return "unknown interrupt";
    }
  }
  switch (mcause) {
    case kCauseFetchMisaligned: return "instruction address misaligned";
    case kCauseFetchFault: return "instruction access fault";
    case kCauseIllegal: return "illegal instruction";
    case kCauseBreakpoint: return "breakpoint";
    case kCauseLoadMisaligned: return "load address misaligned";
    case kCauseLoadFault: return "load access fault";
    case kCauseStoreMisaligned: return "store/AMO address misaligned";
    case kCauseStoreFault: return "store/AMO access fault";
    case kCauseEcallM: return "environment call from M-mode";
    default: return "unknown exception";
  }
}
}  // namespace rv32

namespace {
uint32_t clamp_cost(uint32_t c) { return std::min<uint32_t>(std::max<uint32_t>(c, 1), 255); }
std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}
}  // namespace

Rv32Core::Rv32Core(const Rv32Timing& t) : timing_(t) {
  for (uint32_t* p : {&timing_.alu, &timing_.load, &timing_.store, &timing_.branch, &timing_.branch_taken,
                      &timing_.jump, &timing_.mul, &timing_.div, &timing_.csr, &timing_.atomic,
                      &timing_.system})
    *p = clamp_cost(*p);
  reset(0);
}

Rv32Core::~Rv32Core() = default;

void Rv32Core::reset(uint32_t pc) {
  std::memset(x_, 0, sizeof x_);
  pc_ = pc & ~1u;
  cycles_ = instret_ = 0;
  events_ = 0;
  mstatus_ = rv32::kMstatusMpp;
  mie_ = mip_ = mtvec_ = mepc_ = mcause_ = mtval_ = mscratch_ = 0;
  mcycle_off_ = minstret_off_ = 0;
  reserved_ = false;
  in_trap_entry_ = false;
  dmi_accesses_ = bus_accesses_ = 0;
  fault_ = false;
  fault_text_.clear();
  code_size_ = 0;
}

// ---------------------------------------------------------------- regions

void Rv32Core::add_region(const Rv32DmiRegion& r) {
  if (r.size < 4 || r.ptr == nullptr) return;
  remove_regions(r.base, r.base + (r.size - 1));
  Region reg;
  reg.r = r;
  regions_.push_back(std::move(reg));
}

void Rv32Core::remove_regions(uint32_t start, uint32_t end) {
  regions_.erase(std::remove_if(regions_.begin(), regions_.end(),
                                [&](const Region& g) {
                                  return g.r.base <= end && start <= g.r.base + (g.r.size - 1);
                                }),
                 regions_.end());
  data_ = nullptr;
  code_size_ = 0;
  code_ = nullptr;
  request_break();  // a running loop must not keep a pointer into a removed region
  events_ &= ~kEvBreak;
  events_ |= kEvRecheck;
}

void Rv32Core::clear_regions() { remove_regions(0, 0xFFFFFFFFu); }

const Rv32DmiRegion* Rv32Core::find_region(uint32_t addr) const {
  for (const Region& g : regions_)
    if (addr - g.r.base < g.r.size) return &g.r;
  return nullptr;
}

void Rv32Core::invalidate_code(uint32_t addr, uint32_t bytes) {
  if (bytes == 0) return;
  const uint64_t end = uint64_t(addr) + bytes;  // exclusive
  for (Region& g : regions_) {
    if (!g.code) continue;
    const uint64_t b = g.r.base, e = b + g.r.size;
    if (end <= b || addr >= e) continue;
    // The instruction starting one halfword earlier may overlap the first byte.
    const uint64_t lo = (std::max<uint64_t>(addr, b) - b) / 2, hi = (std::min<uint64_t>(end, e) - b + 1) / 2;
    for (uint64_t i = lo == 0 ? 0 : lo - 1; i < hi; ++i) g.code[i].op = rv32op::NONE;
  }
}

void Rv32Core::invalidate_all_code() {
  for (Region& g : regions_)
    if (g.code) std::memset(static_cast<void*>(g.code.get()), 0, sizeof(Rv32Decoded) * ((g.r.size + 1) / 2));
}

void Rv32Core::select_code_region(uint32_t pc) {
  code_size_ = 0;
  code_ = nullptr;
  for (Region& g : regions_) {
    if (pc - g.r.base >= g.r.size || !g.r.read) continue;
    if (!g.code && g.r.size <= kMaxCachedRegionBytes)
      g.code.reset(new Rv32Decoded[(g.r.size + 1) / 2]());
    if (g.code) {
      code_base_ = g.r.base;
      code_size_ = g.r.size & ~1u;
      code_ = g.code.get();
      code_latency_ = g.r.read_latency;
    }
    return;
  }
}

// ---------------------------------------------------------------- memory

bool Rv32Core::fetch16(uint32_t addr, uint16_t& v) {
  for (const Region& g : regions_) {
    if (addr - g.r.base <= g.r.size - 2 && g.r.read) {
      std::memcpy(&v, g.r.ptr + (addr - g.r.base), 2);
      cycles_ += g.r.read_latency;
      ++dmi_accesses_;
      return true;
    }
  }
  uint8_t b[2];
  ++bus_accesses_;
  if (!bus_ || !bus_(bus_ctx_, Rv32Access::Fetch, addr, b, 2, cycles_)) return false;
  v = uint16_t(b[0] | b[1] << 8);
  return true;
}

template <typename T>
inline bool Rv32Core::load(uint32_t a, T& v, uint32_t misaligned_cause, uint32_t fault_cause) {
  if (a & (sizeof(T) - 1)) {
    trap(misaligned_cause, a);
    return false;
  }
  const Region* g = data_;
  if (!(g && a - g->r.base <= g->r.size - sizeof(T) && g->r.read)) {
    g = nullptr;
    for (const Region& r : regions_)
      if (a - r.r.base <= r.r.size - sizeof(T) && r.r.read) {
        g = data_ = &r;
        break;
      }
  }
  if (g) {
    std::memcpy(&v, g->r.ptr + (a - g->r.base), sizeof(T));
    cycles_ += g->r.read_latency;
    ++dmi_accesses_;
    return true;
  }
  uint8_t b[4] = {0, 0, 0, 0};
  ++bus_accesses_;
  if (!bus_ || !bus_(bus_ctx_, Rv32Access::Load, a, b, sizeof(T), cycles_)) {
    trap(fault_cause, a);
    return false;
  }
  std::memcpy(&v, b, sizeof(T));
  return true;
}

template <typename T>
inline bool Rv32Core::store(uint32_t a, T v) {
  if (a & (sizeof(T) - 1)) {
    trap(rv32::kCauseStoreMisaligned, a);
    return false;
  }
  const Region* g = data_;
  if (!(g && a - g->r.base <= g->r.size - sizeof(T) && g->r.write)) {
    g = nullptr;
    for (const Region& r : regions_)
      if (a - r.r.base <= r.r.size - sizeof(T) && r.r.write) {
        g = data_ = &r;
        break;
      }
  }
  if (g) {
    const uint32_t off = a - g->r.base;
    std::memcpy(g->r.ptr + off, &v, sizeof(T));
    cycles_ += g->r.write_latency;
    ++dmi_accesses_;
    if (g->code) {  // self-modifying code: forget what was predecoded there
      Rv32Decoded* c = g->code.get();
      const uint32_t i = off >> 1;
      if (i) c[i - 1].op = rv32op::NONE;
      c[i].op = rv32op::NONE;
      if (sizeof(T) == 4) c[i + 1].op = rv32op::NONE;
    }
    return true;
  }
  uint8_t b[4];
  std::memcpy(b, &v, sizeof(T));
  ++bus_accesses_;
  if (!bus_ || !bus_(bus_ctx_, Rv32Access::Store, a, b, sizeof(T), cycles_)) {
    trap(rv32::kCauseStoreFault, a);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- traps

void Rv32Core::fault(const std::string& text, uint32_t pc, uint32_t tval) {
  fault_ = true;
  fault_text_ = text;
  fault_pc_ = pc;
  fault_tval_ = tval;
  events_ |= kEvFault;
  limit_ = 0;
}

void Rv32Core::trap(uint32_t cause, uint32_t tval) {
  if (mtvec_ == 0) {
    fault(std::string("trap with no handler: ") + rv32::cause_name(cause) + " at pc=" + hex(pc_) +
              " tval=" + hex(tval),
          pc_, tval);
    return;
  }
  mepc_ = pc_;
  mcause_ = cause;
  mtval_ = tval;
  mstatus_ = (mstatus_ & ~(rv32::kMstatusMie | rv32::kMstatusMpie)) |
             ((mstatus_ & rv32::kMstatusMie) ? rv32::kMstatusMpie : 0);
  const uint32_t base = mtvec_ & ~3u;
  pc_ = ((mtvec_ & 1) && (cause & 0x80000000u)) ? base + 4 * (cause & 0x7FFFFFFFu) : base;
  cycles_ += timing_.trap;
  in_trap_entry_ = true;
  code_size_ = 0;  // the handler's first fetch goes through fetch_decode (trap-loop check)
}

bool Rv32Core::take_interrupt() {
  if (!(mstatus_ & rv32::kMstatusMie)) return false;
  const uint32_t p = mip_ & mie_;
  if (!p) return false;
  const uint32_t irq = (p & rv32::kMipMeip) ? rv32::kIrqMei : (p & rv32::kMipMsip) ? rv32::kIrqMsi : rv32::kIrqMti;
  trap(0x80000000u | irq, 0);
  return true;
}

void Rv32Core::set_irq_lines(uint32_t bits) {
  const uint32_t v = bits & (rv32::kMipMeip | rv32::kMipMtip | rv32::kMipMsip);
  if (v != mip_) {
    mip_ = v;
    recheck();
  }
}

// ---------------------------------------------------------------- CSRs

uint64_t Rv32Core::time_now() const { return time_ ? time_(time_ctx_) : cycles_; }

bool Rv32Core::read_csr(uint32_t csr, uint32_t& v) const {
  const uint64_t mcycle = cycles_ + mcycle_off_, minstret = instret_ + minstret_off_;
  switch (csr) {
    case 0x300: v = mstatus_ | rv32::kMstatusMpp; return true;
    case 0x301: v = rv32::kMisa; return true;
    case 0x304: v = mie_; return true;
    case 0x305: v = mtvec_; return true;
    case 0x310: v = 0; return true;  // mstatush: little-endian, no MBE/SBE
    case 0x340: v = mscratch_; return true;
    case 0x341: v = mepc_; return true;
    case 0x342: v = mcause_; return true;
    case 0x343: v = mtval_; return true;
    case 0x344: v = mip_; return true;
    case 0xB00: case 0xC00: v = uint32_t(mcycle); return true;
    case 0xB80: case 0xC80: v = uint32_t(mcycle >> 32); return true;
    case 0xB02: case 0xC02: v = uint32_t(minstret); return true;
    case 0xB82: case 0xC82: v = uint32_t(minstret >> 32); return true;
    case 0xC01: v = uint32_t(time_now()); return true;
    case 0xC81: v = uint32_t(time_now() >> 32); return true;
    case 0xF11: case 0xF12: case 0xF13: case 0xF14: v = 0; return true;  // vendor, arch, impl, hart
    default: return false;
  }
}

bool Rv32Core::write_csr(uint32_t csr, uint32_t v) {
  if ((csr >> 10) == 3) return false;  // read-only range
  uint32_t dummy;
  if (!read_csr(csr, dummy)) return false;
  switch (csr) {
    case 0x300: mstatus_ = (v & (rv32::kMstatusMie | rv32::kMstatusMpie)) | rv32::kMstatusMpp; break;
    case 0x304: mie_ = v & (rv32::kMipMeip | rv32::kMipMtip | rv32::kMipMsip); break;
    case 0x305: mtvec_ = v & ~2u; break;  // modes 0 (direct) and 1 (vectored)
    case 0x340: mscratch_ = v; break;
    case 0x341: mepc_ = v & ~1u; break;
    case 0x342: mcause_ = v; break;
    case 0x343: mtval_ = v; break;
    case 0xB00: mcycle_off_ = ((((cycles_ + mcycle_off_) >> 32) << 32) | v) - cycles_; break;
    case 0xB80: mcycle_off_ = ((uint64_t(v) << 32) | uint32_t(cycles_ + mcycle_off_)) - cycles_; break;
    case 0xB02: minstret_off_ = ((((instret_ + minstret_off_) >> 32) << 32) | v) - instret_; break;
    case 0xB82: minstret_off_ = ((uint64_t(v) << 32) | uint32_t(instret_ + minstret_off_)) - instret_; break;
    default: break;  // misa, mstatush, mip: WARL, writes ignored
  }
  recheck();
  return true;
}

// false: the instruction trapped (illegal).
bool Rv32Core::csr_op(const Rv32Decoded& d, uint32_t rs1_value, uint32_t& old) {
  using namespace rv32op;
  const uint32_t csr = uint32_t(d.imm) & 0xFFF;
  const bool imm = d.op >= CSRRWI;
  const uint32_t src = imm ? d.rs1 : rs1_value;
  const uint32_t kind = imm ? d.op - CSRRWI : d.op - CSRRW;  // 0 write, 1 set, 2 clear
  const bool writes = kind == 0 || d.rs1 != 0;
  if (!read_csr(csr, old) || (writes && (csr >> 10) == 3)) return false;
  if (writes) {
    const uint32_t nv = kind == 0 ? src : kind == 1 ? (old | src) : (old & ~src);
    write_csr(csr, nv);
    // This instruction retires after the write: the next one reads the value written.
    if (csr == 0xB02 || csr == 0xB82) minstret_off_ -= 1;
  }
  return true;
}

// ---------------------------------------------------------------- execution

const Rv32Decoded* Rv32Core::fetch_decode(uint32_t pc, Rv32Decoded& tmp) {
  if (pc - code_base_ >= code_size_) select_code_region(pc);
  uint16_t lo = 0, hi = 0;
  uint32_t bad = pc;
  const uint64_t c0 = cycles_;
  bool ok = fetch16(pc, lo);
  if (ok && (lo & 3) == 3) {
    bad = pc + 2;
    ok = fetch16(pc + 2, hi);
  }
  if (!ok) {
    if (in_trap_entry_) {
      fault(std::string("trap loop: instruction access fault fetching the trap handler at pc=") + hex(pc) +
                " (mcause=" + hex(mcause_) + " mepc=" + hex(mepc_) + ")",
            pc, bad);
      return nullptr;
    }
    trap(rv32::kCauseFetchFault, bad);
    return nullptr;
  }
  in_trap_entry_ = false;
  Rv32Decoded* d = (pc - code_base_ < code_size_) ? &code_[(pc - code_base_) >> 1] : &tmp;
  if ((lo & 3) == 3) {
    decode(uint32_t(lo) | uint32_t(hi) << 16, *d, timing_);
  } else {
    const uint32_t e = expand_compressed(lo);
    if (e) decode(e, *d, timing_);
    if (!e || d->op == rv32op::ILLEGAL) {
      d->op = rv32op::ILLEGAL;
      d->imm = lo;
      d->cost = uint8_t(timing_.system);
    }
    d->len = 2;
  }
  if (d != &tmp) {
    // Predecoded: the fetch's DMI latency is paid at every execution, through the cost.
    cycles_ = c0;
    d->cost = uint8_t(std::min<uint32_t>(255, d->cost + code_latency_));
  }
  return d;
}

Rv32Core::RunResult Rv32Core::run(uint64_t cycle_limit) {
  events_ &= ~(kEvBreak | kEvRecheck);
  for (;;) {
    if (fault_) return RunResult::Fault;
    take_interrupt();
    if (fault_) return RunResult::Fault;
    events_ = 0;
    if (cycles_ >= cycle_limit) return RunResult::Budget;
    limit_ = cycle_limit;
    exec_loop();
    const uint32_t ev = events_;
    if (ev & kEvFault) return RunResult::Fault;
    if (ev & kEvWfi) {
      events_ &= ~kEvWfi;
      return RunResult::Wfi;
    }
    if (ev & kEvBreak) {
      events_ &= ~kEvBreak;
      return RunResult::Break;
    }
  }
}

void Rv32Core::exec_loop() {
  using namespace rv32op;
  // Only this loop writes the registers while it runs (restrict: stores to them cannot
  // change the core's other members, which then stay in host registers).
  uint32_t* __restrict const x = x_;
  Rv32Decoded tmp;
  while (cycles_ < limit_) {
    const uint32_t pc = pc_;
    const Rv32Decoded* d;
    const uint32_t off = pc - code_base_;
    if (off < code_size_ && code_[off >> 1].op != NONE) {
      d = &code_[off >> 1];
    } else {
      d = fetch_decode(pc, tmp);
      if (!d) continue;
    }
    uint32_t npc = pc + d->len;
    uint32_t cost = d->cost;
    const uint32_t a = x[d->rs1], b = x[d->rs2];
    const int32_t imm = d->imm;
    const unsigned rd = d->rd;
    const uint8_t op = d->op;  // d may be freed by a slow-path callback that changes the regions
    switch (op) {
      case LUI: x[rd] = uint32_t(imm); break;
      case AUIPC: x[rd] = pc + uint32_t(imm); break;
      case JAL: x[rd] = npc; npc = pc + uint32_t(imm); break;
      case JALR: x[rd] = npc; npc = (a + uint32_t(imm)) & ~1u; break;
#define EC_BRANCH(OP, COND) \
  case OP:                  \
    if (COND) { npc = pc + uint32_t(imm); cost = cost - timing_.branch + timing_.branch_taken; } \
    break;
      EC_BRANCH(BEQ, a == b)
      EC_BRANCH(BNE, a != b)
      EC_BRANCH(BLT, int32_t(a) < int32_t(b))
      EC_BRANCH(BGE, int32_t(a) >= int32_t(b))
      EC_BRANCH(BLTU, a < b)
      EC_BRANCH(BGEU, a >= b)
#undef EC_BRANCH
      case LB: { int8_t v; if (!load(a + uint32_t(imm), v, rv32::kCauseLoadMisaligned, rv32::kCauseLoadFault)) continue; x[rd] = uint32_t(int32_t(v)); break; }
      case LH: { int16_t v; if (!load(a + uint32_t(imm), v, rv32::kCauseLoadMisaligned, rv32::kCauseLoadFault)) continue; x[rd] = uint32_t(int32_t(v)); break; }
      case LW: { uint32_t v; if (!load(a + uint32_t(imm), v, rv32::kCauseLoadMisaligned, rv32::kCauseLoadFault)) continue; x[rd] = v; break; }
      case LBU: { uint8_t v; if (!load(a + uint32_t(imm), v, rv32::kCauseLoadMisaligned, rv32::kCauseLoadFault)) continue; x[rd] = v; break; }
      case LHU: { uint16_t v; if (!load(a + uint32_t(imm), v, rv32::kCauseLoadMisaligned, rv32::kCauseLoadFault)) continue; x[rd] = v; break; }
      case SB: if (!store(a + uint32_t(imm), uint8_t(b))) continue; break;
      case SH: if (!store(a + uint32_t(imm), uint16_t(b))) continue; break;
      case SW: if (!store(a + uint32_t(imm), b)) continue; break;
      case ADDI: x[rd] = a + uint32_t(imm); break;
      case SLTI: x[rd] = int32_t(a) < imm; break;
      case SLTIU: x[rd] = a < uint32_t(imm); break;
      case XORI: x[rd] = a ^ uint32_t(imm); break;
      case ORI: x[rd] = a | uint32_t(imm); break;
      case ANDI: x[rd] = a & uint32_t(imm); break;
      case SLLI: x[rd] = a << imm; break;
      case SRLI: x[rd] = a >> imm; break;
      case SRAI: x[rd] = uint32_t(int32_t(a) >> imm); break;
      case ADD: x[rd] = a + b; break;
      case SUB: x[rd] = a - b; break;
      case SLL: x[rd] = a << (b & 31); break;
      case SLT: x[rd] = int32_t(a) < int32_t(b); break;
      case SLTU: x[rd] = a < b; break;
      case XOR: x[rd] = a ^ b; break;
      case SRL: x[rd] = a >> (b & 31); break;
      case SRA: x[rd] = uint32_t(int32_t(a) >> (b & 31)); break;
      case OR: x[rd] = a | b; break;
      case AND: x[rd] = a & b; break;
      case MUL: x[rd] = a * b; break;
      case MULH: x[rd] = uint32_t(uint64_t(int64_t(int32_t(a)) * int64_t(int32_t(b))) >> 32); break;
      case MULHSU: x[rd] = uint32_t(uint64_t(int64_t(int32_t(a)) * int64_t(uint64_t(b))) >> 32); break;
      case MULHU: x[rd] = uint32_t((uint64_t(a) * uint64_t(b)) >> 32); break;
      case DIV:
        x[rd] = b == 0 ? 0xFFFFFFFFu
                : (a == 0x80000000u && b == 0xFFFFFFFFu) ? a
                                                         : uint32_t(int32_t(a) / int32_t(b));
        break;
      case DIVU: x[rd] = b == 0 ? 0xFFFFFFFFu : a / b; break;
      case REM:
        x[rd] = b == 0 ? a : (a == 0x80000000u && b == 0xFFFFFFFFu) ? 0 : uint32_t(int32_t(a) % int32_t(b));
        break;
      case REMU: x[rd] = b == 0 ? a : a % b; break;
      case FENCE: break;
      case FENCE_I: invalidate_all_code(); break;
      case ECALL: trap(rv32::kCauseEcallM, 0); continue;
      case EBREAK: trap(rv32::kCauseBreakpoint, pc); continue;
      case MRET:
        npc = mepc_;
        mstatus_ = ((mstatus_ & rv32::kMstatusMpie) ? rv32::kMstatusMie : 0) | rv32::kMstatusMpie;
        recheck();
        break;
      case WFI:
        if ((mie_ & (rv32::kMipMeip | rv32::kMipMtip | rv32::kMipMsip)) == 0) {
          fault("wfi with no interrupt source enabled in mie (would sleep forever) at pc=" + hex(pc), pc, 0);
          continue;
        }
        if ((mip_ & mie_) == 0) {
          events_ |= kEvWfi;
          limit_ = 0;
        }
        break;
      case CSRRW: case CSRRS: case CSRRC: case CSRRWI: case CSRRSI: case CSRRCI: {
        uint32_t old = 0;
        if (csr_op(*d, a, old)) {
          x[rd] = old;
          break;
        }
        // mtval: the instruction's bits (CSR instructions are never compressed)
        const uint32_t f3 = op >= CSRRWI ? op - CSRRWI + 5u : op - CSRRW + 1u;
        trap(rv32::kCauseIllegal,
             0x73u | (rd & 31u) << 7 | f3 << 12 | uint32_t(d->rs1) << 15 | (uint32_t(imm) & 0xFFFu) << 20);
        continue;
      }
      case LR: {
        uint32_t v;
        if (!load(a, v, rv32::kCauseLoadMisaligned, rv32::kCauseLoadFault)) continue;
        reserved_ = true;
        reservation_ = a;
        x[rd] = v;
        break;
      }
      case SC:
        if (a & 3) { trap(rv32::kCauseStoreMisaligned, a); continue; }
        if (reserved_ && reservation_ == a) {
          if (!store(a, b)) continue;
          x[rd] = 0;
        } else {
          x[rd] = 1;
        }
        reserved_ = false;
        break;
      case AMOSWAP: case AMOADD: case AMOXOR: case AMOAND: case AMOOR:
      case AMOMIN: case AMOMAX: case AMOMINU: case AMOMAXU: {
        uint32_t v;
        if (a & 3) { trap(rv32::kCauseStoreMisaligned, a); continue; }
        if (!load(a, v, rv32::kCauseStoreMisaligned, rv32::kCauseStoreFault)) continue;
        uint32_t r;
        switch (op) {
          case AMOSWAP: r = b; break;
          case AMOADD: r = v + b; break;
          case AMOXOR: r = v ^ b; break;
          case AMOAND: r = v & b; break;
          case AMOOR: r = v | b; break;
          case AMOMIN: r = int32_t(v) < int32_t(b) ? v : b; break;
          case AMOMAX: r = int32_t(v) > int32_t(b) ? v : b; break;
          case AMOMINU: r = v < b ? v : b; break;
          default: r = v > b ? v : b; break;
        }
        if (!store(a, r)) continue;
        x[rd] = v;
        break;
      }
      default:  // ILLEGAL
        trap(rv32::kCauseIllegal, uint32_t(imm));
        continue;
    }
    pc_ = npc;
    cycles_ += cost;
    ++instret_;
  }
  x[32] = 0;
}

}  // namespace epochcore
