// Rv32Core driven directly with hand-encoded instructions (no SystemC, no cross compiler):
// a few instructions per extension, traps, interrupt priority, RV32C expansion.
#include <catch2/catch.hpp>

#include <cstring>
#include <initializer_list>
#include <vector>

#include "epochcore/models/cpu/rv32_core.h"

using namespace epochcore;

namespace {

constexpr uint32_t kBase = 0x80000000u, kDev = 0x10000000u;
enum Reg : uint32_t { X0 = 0, RA = 1, SP = 2, T0 = 5, T1 = 6, T2 = 7, S0 = 8, A0 = 10, A1 = 11, A2 = 12, A3 = 13 };

uint32_t r_(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
uint32_t i_(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return (uint32_t(imm) & 0xFFF) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
uint32_t s_(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  const uint32_t u = uint32_t(imm);
  return (u >> 5 & 0x7F) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 0x1F) << 7 | 0x23;
}
uint32_t b_(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  const uint32_t u = uint32_t(imm);
  return (u >> 12 & 1) << 31 | (u >> 5 & 0x3F) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u >> 1 & 0xF) << 8 |
         (u >> 11 & 1) << 7 | 0x63;
}
uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) { return i_(imm, rs1, 0, rd, 0x13); }
uint32_t lui(uint32_t rd, uint32_t v) { return (v & 0xFFFFF000u) | rd << 7 | 0x37; }
uint32_t add(uint32_t rd, uint32_t a, uint32_t b) { return r_(0, b, a, 0, rd, 0x33); }
uint32_t sub(uint32_t rd, uint32_t a, uint32_t b) { return r_(0x20, b, a, 0, rd, 0x33); }
uint32_t mext(uint32_t f3, uint32_t rd, uint32_t a, uint32_t b) { return r_(1, b, a, f3, rd, 0x33); }
uint32_t lw(uint32_t rd, uint32_t rs1, int32_t imm) { return i_(imm, rs1, 2, rd, 0x03); }
uint32_t lb(uint32_t rd, uint32_t rs1, int32_t imm) { return i_(imm, rs1, 0, rd, 0x03); }
uint32_t lhu(uint32_t rd, uint32_t rs1, int32_t imm) { return i_(imm, rs1, 5, rd, 0x03); }
uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t imm) { return s_(imm, rs2, rs1, 2); }
uint32_t csr(uint32_t f3, uint32_t rd, uint32_t c, uint32_t rs1) { return i_(int32_t(c), rs1, f3, rd, 0x73); }
uint32_t amo(uint32_t f5, uint32_t rd, uint32_t addr, uint32_t src) { return r_(f5 << 2, src, addr, 2, rd, 0x2F); }
constexpr uint32_t kEcall = 0x73, kEbreak = 0x00100073, kMret = 0x30200073, kWfi = 0x10500073;

struct Machine {
  std::vector<uint8_t> ram = std::vector<uint8_t>(64 * 1024);
  Rv32Core core;
  uint32_t dev = 0;
  unsigned dev_accesses = 0;

  explicit Machine(const Rv32Timing& t = Rv32Timing{}, uint32_t read_latency = 0) : core(t) {
    Rv32DmiRegion r;
    r.read_latency = read_latency;
    r.base = kBase;
    r.size = uint32_t(ram.size());
    r.ptr = ram.data();
    core.add_region(r);
    core.set_bus(&Machine::bus, this);
    core.reset(kBase);
  }
  static bool bus(void* ctx, Rv32Access k, uint32_t a, uint8_t* d, unsigned len, uint64_t& cycles) {
    auto* m = static_cast<Machine*>(ctx);
    if (a - kDev >= 16 || k == Rv32Access::Fetch) return false;
    ++m->dev_accesses;
    cycles += 5;
    if (k == Rv32Access::Store)
      std::memcpy(&m->dev, d, len);
    else
      std::memcpy(d, &m->dev, len);
    return true;
  }
  void put(std::initializer_list<uint32_t> words, uint32_t off = 0) {
    for (uint32_t w : words) {
      std::memcpy(&ram[off], &w, 4);
      off += 4;
    }
  }
  void put16(std::initializer_list<uint16_t> hw, uint32_t off = 0) {
    for (uint16_t h : hw) {
      std::memcpy(&ram[off], &h, 2);
      off += 2;
    }
  }
  uint32_t word(uint32_t off) const {
    uint32_t v;
    std::memcpy(&v, &ram[off], 4);
    return v;
  }
  // Runs to the program's final ECALL (no handler: the run ends with a fault there).
  void run_to_ecall() {
    REQUIRE(core.run(1000000) == Rv32Core::RunResult::Fault);
    INFO(core.fault_text());
    REQUIRE(core.fault_text().find("environment call") != std::string::npos);
  }
};

}  // namespace

TEST_CASE("rv32 core: RV32I arithmetic, x0, lui/auipc", "[rv32_core]") {
  Machine m;
  m.put({addi(A0, X0, 5), addi(A1, X0, -7), add(A2, A0, A1), sub(A3, A0, A1), addi(X0, X0, 9), lui(T0, 0x12345000u),
         0x00000317u /* auipc t1, 0 */, r_(0, A1, A0, 3, T2, 0x33) /* sltu t2, a0, a1 */,
         r_(0x20, A0, A1, 5, S0, 0x33) /* sra s0, a1, a0 */, kEcall});
  m.run_to_ecall();
  CHECK(m.core.reg(A2) == uint32_t(-2));
  CHECK(m.core.reg(A3) == 12);
  CHECK(m.core.reg(X0) == 0);
  CHECK(m.core.reg(T0) == 0x12345000u);
  CHECK(m.core.reg(T1) == kBase + 24);
  CHECK(m.core.reg(T2) == 1);
  CHECK(m.core.reg(S0) == uint32_t(-1));
  CHECK(m.core.instret() == 9);
}

TEST_CASE("rv32 core: loads, stores, branches and timing", "[rv32_core]") {
  Rv32Timing t;
  Machine m(t);
  m.put({lui(A0, kBase), addi(A0, A0, 0x400), addi(A1, X0, -128), sw(A1, A0, 0), lb(A2, A0, 0), lhu(A3, A0, 2),
         addi(T0, X0, 3), addi(T0, T0, -1), b_(-4, X0, T0, 1) /* bne t0, x0, -4 */, kEcall});
  m.run_to_ecall();
  CHECK(m.word(0x400) == uint32_t(-128));
  CHECK(m.core.reg(A2) == uint32_t(-128));
  CHECK(m.core.reg(A3) == 0xFFFFu);
  // lui, 2 addi, sw, 2 loads, addi, 3x(addi, bne: taken twice); the final ECALL ends the
  // run (no handler) without costing anything
  const uint64_t want = 3 * t.alu + t.store + 2 * t.load + t.alu + 3 * t.alu + 2 * t.branch_taken + t.branch;
  CHECK(m.core.cycles() == want);
  CHECK(m.core.instret() == 13);
}

TEST_CASE("rv32 core: M extension corner cases", "[rv32_core]") {
  Machine m;
  m.put({lui(A0, 0x80000000u), addi(A1, X0, -1), mext(4, T0, A0, A1) /* div */, mext(6, T1, A0, A1) /* rem */,
         mext(4, T2, A1, X0) /* div by 0 */, mext(7, S0, A0, X0) /* remu by 0 */, mext(1, A2, A1, A1) /* mulh */,
         mext(3, A3, A1, A1) /* mulhu */, kEcall});
  m.run_to_ecall();
  CHECK(m.core.reg(T0) == 0x80000000u);
  CHECK(m.core.reg(T1) == 0);
  CHECK(m.core.reg(T2) == 0xFFFFFFFFu);
  CHECK(m.core.reg(S0) == 0x80000000u);
  CHECK(m.core.reg(A2) == 0);
  CHECK(m.core.reg(A3) == 0xFFFFFFFEu);
}

TEST_CASE("rv32 core: A extension", "[rv32_core]") {
  Machine m;
  m.put({lui(A0, kBase), addi(A0, A0, 0x400), addi(A1, X0, 10), sw(A1, A0, 0),
         amo(0x02, T0, A0, X0) /* lr.w t0 */, amo(0x03, T1, A0, A1) /* sc.w t1: succeeds */,
         amo(0x03, T2, A0, A1) /* sc.w t2: fails, no reservation */, amo(0x00, S0, A0, A1) /* amoadd */,
         addi(A3, X0, -5), amo(0x10, A2, A0, A3) /* amomin */, kEcall});
  m.run_to_ecall();
  CHECK(m.core.reg(T0) == 10);
  CHECK(m.core.reg(T1) == 0);
  CHECK(m.core.reg(T2) == 1);
  CHECK(m.core.reg(S0) == 10);
  CHECK(m.core.reg(A2) == 20);
  CHECK(m.word(0x400) == uint32_t(-5));
}

TEST_CASE("rv32 core: slow-path device accesses", "[rv32_core]") {
  Machine m;
  m.put({lui(A0, kDev), addi(A1, X0, 77), sw(A1, A0, 4), lw(A2, A0, 4), kEcall});
  m.run_to_ecall();
  CHECK(m.dev == 77);
  CHECK(m.core.reg(A2) == 77);
  CHECK(m.dev_accesses == 2);
  CHECK(m.core.bus_accesses() == 2);
}

TEST_CASE("rv32 core: RV32C expands as the assembler encodes", "[rv32_core]") {
  // Pairs from GNU as (rv32imac): the compressed form and its 32-bit equivalent.
  const struct { uint16_t c; uint32_t full; } table[] = {
      {0x1fe0, 0x3fc10413}, {0x5f7c, 0x07c72783}, {0xc2bc, 0x04f6a023}, {0x0001, 0x00000013},
      {0x1501, 0xfe050513}, {0x2ffd, 0x7fe000ef}, {0x45fd, 0x01f00593}, {0x7101, 0xe0010113},
      {0x7605, 0xfffe1637}, {0x80fd, 0x01f4d493}, {0x8785, 0x4017d793}, {0x9b7d, 0xfff77713},
      {0x8c1d, 0x40f40433}, {0x8cb9, 0x00e4c4b3}, {0x8d4d, 0x00b56533}, {0x8e75, 0x00d67633},
      {0xb001, 0x801ff06f}, {0xd001, 0xf00400e3}, {0xeffd, 0x0e079f63}, {0x02fe, 0x01f29293},
      {0x50fe, 0x0fc12083}, {0x8302, 0x00030067}, {0x851e, 0x00700533}, {0x9002, 0x00100073},
      {0x9682, 0x000680e7}, {0x994e, 0x01390933}, {0xc176, 0x09d12023},
  };
  for (const auto& e : table) {
    INFO(std::hex << e.c);
    CHECK(Rv32Core::expand_compressed(e.c) == e.full);
  }
  // Reserved encodings.
  for (uint16_t bad : {uint16_t(0x0000) /* addi4spn 0 */, uint16_t(0x6101) /* addi16sp 0 */,
                       uint16_t(0x6001) /* lui x0? nzimm 0 */, uint16_t(0x4002) /* lwsp x0 */,
                       uint16_t(0x8002) /* jr x0 */, uint16_t(0x9001) /* srli shamt[5] */,
                       uint16_t(0x2000) /* c.fld */, uint16_t(0x9c01) /* c.subw */})
    CHECK(Rv32Core::expand_compressed(bad) == 0);
}

TEST_CASE("rv32 core: compressed program runs", "[rv32_core]") {
  Machine m;
  // c.li a0,5; c.addi a0,3; c.mv a1,a0; c.slli a1,2; c.add a1,a0; then ecall.
  m.put16({0x4515, 0x050d, 0x85aa, 0x058a, 0x95aa, 0x0073, 0x0000});
  m.run_to_ecall();
  CHECK(m.core.reg(A0) == 8);
  CHECK(m.core.reg(A1) == 40);
  CHECK(m.core.fault_pc() == kBase + 10);
}

TEST_CASE("rv32 core: a handler reads mcause/mepc/mtval and mret returns past the fault", "[rv32_core]") {
  Machine m;
  m.put({lui(T0, kBase), addi(T0, T0, 0x100), csr(1, X0, 0x305, T0), 0xFFFFFFFFu, addi(A3, X0, 7), kWfi});
  m.put({csr(2, S0, 0x342, X0), csr(2, A1, 0x341, X0), csr(2, A2, 0x343, X0), addi(A1, A1, 4),
         csr(1, X0, 0x341, A1), kMret},
        0x100);
  REQUIRE(m.core.run(1000) == Rv32Core::RunResult::Fault);  // the WFI with mie = 0
  CHECK(m.core.fault_text().find("wfi with no interrupt source enabled") != std::string::npos);
  CHECK(m.core.reg(S0) == 2);
  CHECK(m.core.reg(A1) == kBase + 16);
  CHECK(m.core.reg(A2) == 0xFFFFFFFFu);
  CHECK(m.core.reg(A3) == 7);
}

TEST_CASE("rv32 core: trap CSRs for an illegal instruction", "[rv32_core]") {
  Machine m;
  m.put({lui(T0, kBase), addi(T0, T0, 0x100), csr(1, X0, 0x305, T0), 0xFFFFFFFFu});
  m.put({kWfi}, 0x100);  // wfi with mie = 0: the run ends there
  REQUIRE(m.core.run(1000) == Rv32Core::RunResult::Fault);
  CHECK(m.core.fault_text().find("wfi") != std::string::npos);
  uint32_t cause, epc, tval, status;
  m.core.read_csr(0x342, cause);
  m.core.read_csr(0x341, epc);
  m.core.read_csr(0x343, tval);
  m.core.read_csr(0x300, status);
  CHECK(cause == 2);
  CHECK(epc == kBase + 12);
  CHECK(tval == 0xFFFFFFFFu);
  CHECK((status & 0x1800u) == 0x1800u);  // MPP reads 3
}

TEST_CASE("rv32 core: CSR rules", "[rv32_core]") {
  Machine m;
  uint32_t v;
  CHECK(m.core.read_csr(0x301, v));
  CHECK(v == 0x40001105u);
  CHECK_FALSE(m.core.write_csr(0xF14, 1));  // mhartid is read-only
  CHECK_FALSE(m.core.read_csr(0x7C0, v));   // unknown
  // csrrs with rs1 = x0 on a read-only CSR reads it; csrrw to it is illegal.
  m.put({csr(2, A0, 0xF14, X0), csr(1, A1, 0xC00, A0)});
  REQUIRE(m.core.run(1000) == Rv32Core::RunResult::Fault);
  CHECK(m.core.fault_text().find("illegal instruction at pc=0x80000004") != std::string::npos);
  CHECK(m.core.fault_tval() == csr(1, A1, 0xC00, A0));
}

TEST_CASE("rv32 core: misaligned and unmapped accesses trap", "[rv32_core]") {
  Machine m;
  m.put({lui(A0, kBase), lw(A1, A0, 2)});
  REQUIRE(m.core.run(1000) == Rv32Core::RunResult::Fault);
  CHECK(m.core.fault_text() == "trap with no handler: load address misaligned at pc=0x80000004 tval=0x80000002");
  Machine u;
  u.put({lui(A0, 0x20000000u), sw(A1, A0, 8)});
  REQUIRE(u.core.run(1000) == Rv32Core::RunResult::Fault);
  CHECK(u.core.fault_text() == "trap with no handler: store/AMO access fault at pc=0x80000004 tval=0x20000008");
}

TEST_CASE("rv32 core: interrupt priority MEI > MSI > MTI, vectored mtvec", "[rv32_core]") {
  Machine m;
  // mtvec = base + 0x100 | vectored; mie = all three; mstatus.MIE = 1; then spin.
  m.put({lui(T0, kBase), addi(T0, T0, 0x101), csr(1, X0, 0x305, T0), addi(T1, X0, 0x7FF), addi(T1, T1, 0x089),
         csr(1, X0, 0x304, T1), addi(T2, X0, 8), csr(1, X0, 0x300, T2), 0x0000006F /* j . */});
  // vector entries: each spins at its own slot (cause * 4).
  for (uint32_t c = 0; c < 16; ++c) m.put({0x0000006F}, 0x100 + 4 * c);
  REQUIRE(m.core.run(200) == Rv32Core::RunResult::Budget);
  m.core.set_irq_lines(rv32::kMipMtip | rv32::kMipMsip | rv32::kMipMeip);
  m.core.run(m.core.cycles() + 10);
  uint32_t cause;
  m.core.read_csr(0x342, cause);
  CHECK(cause == (0x80000000u | 11));
  CHECK(m.core.pc() == kBase + 0x100 + 4 * 11);
  // Return to the spin loop with only MSI and MTI pending: MSI next.
  m.core.set_irq_lines(rv32::kMipMtip | rv32::kMipMsip);
  m.core.write_csr(0x300, 0x8);
  m.core.set_pc(kBase + 32);
  m.core.run(m.core.cycles() + 10);
  m.core.read_csr(0x342, cause);
  CHECK(cause == (0x80000000u | 3));
  m.core.set_irq_lines(rv32::kMipMtip);
  m.core.write_csr(0x300, 0x8);
  m.core.run(m.core.cycles() + 10);
  m.core.read_csr(0x342, cause);
  CHECK(cause == (0x80000000u | 7));
  CHECK(m.core.pc() == kBase + 0x100 + 4 * 7);
}

TEST_CASE("rv32 core: WFI returns to the host until an enabled interrupt is pending", "[rv32_core]") {
  Machine m;
  m.put({addi(T0, X0, 0x080), csr(1, X0, 0x304, T0), kWfi, addi(A0, X0, 1), kEcall});
  CHECK(m.core.run(1000) == Rv32Core::RunResult::Wfi);
  CHECK(m.core.pc() == kBase + 12);
  m.core.set_irq_lines(rv32::kMipMtip);  // mstatus.MIE = 0: wakes but no trap
  m.run_to_ecall();
  CHECK(m.core.reg(A0) == 1);
}

TEST_CASE("rv32 core: stores into predecoded code take effect", "[rv32_core]") {
  Machine m;
  // loop twice over "addi a0, a0, 1" which the first pass rewrites into "addi a0, a0, 100".
  m.put({addi(T0, X0, 2), lui(A1, kBase), lw(A2, A1, 0x100), addi(A0, A0, 1), sw(A2, A1, 12), addi(T0, T0, -1),
         b_(-12, X0, T0, 1), kEcall});
  m.put({addi(A0, A0, 100)}, 0x100);
  m.run_to_ecall();
  CHECK(m.core.reg(A0) == 101);
}

TEST_CASE("rv32 core: counters", "[rv32_core]") {
  Machine m;
  m.put({addi(A0, X0, 1), csr(2, A1, 0xC02, X0) /* instret */, csr(2, A2, 0xB00, X0) /* mcycle */,
         csr(1, X0, 0xB02, X0) /* minstret = 0 */, csr(2, A3, 0xB02, X0), kEcall});
  m.run_to_ecall();
  CHECK(m.core.reg(A1) == 1);
  CHECK(m.core.reg(A2) == 1 + m.core.timing().csr);
  CHECK(m.core.reg(A3) == 0);
}

TEST_CASE("rv32 core: ebreak and c.ebreak", "[rv32_core]") {
  Machine m;
  m.put({kEbreak});
  REQUIRE(m.core.run(100) == Rv32Core::RunResult::Fault);
  CHECK(m.core.fault_text() == "trap with no handler: breakpoint at pc=0x80000000 tval=0x80000000");
  Machine c;
  c.put16({0x0001, 0x9002});
  REQUIRE(c.core.run(100) == Rv32Core::RunResult::Fault);
  CHECK(c.core.fault_text() == "trap with no handler: breakpoint at pc=0x80000002 tval=0x80000002");
}

TEST_CASE("rv32 core: removed DMI regions go to the slow path; invalidate_code", "[rv32_core]") {
  Machine m;
  m.put({addi(A0, X0, 1), kEcall});
  m.run_to_ecall();
  CHECK(m.core.reg(A0) == 1);
  // A debugger-style write behind the core's back: without invalidate_code the old
  // predecoded instruction would run again.
  m.core.clear_fault();
  m.core.set_pc(kBase);
  m.put({addi(A0, X0, 9)});
  m.core.invalidate_code(kBase, 4);
  m.run_to_ecall();
  CHECK(m.core.reg(A0) == 9);
  // Without the RAM region every fetch goes to the bus, which answers nothing there.
  m.core.clear_fault();
  m.core.set_pc(kBase);
  m.core.remove_regions(kBase, kBase + 3);
  CHECK(m.core.region_count() == 0);
  REQUIRE(m.core.run(100) == Rv32Core::RunResult::Fault);
  CHECK(m.core.fault_text() == "trap with no handler: instruction access fault at pc=0x80000000 tval=0x80000000");
}

TEST_CASE("rv32 core: a DMI read latency is paid by every execution of a predecoded instruction", "[rv32_core]") {
  Rv32Timing t;
  Machine m(t, 2);
  m.put({addi(T0, X0, 3), addi(T0, T0, -1), b_(-4, X0, T0, 1), kEcall});
  m.run_to_ecall();
  // addi, 3x (addi, bne), 2 of them taken; every fetch +2
  CHECK(m.core.cycles() == (t.alu + 2) * 4 + (t.branch_taken + 2) * 2 + (t.branch + 2));
  CHECK(m.core.instret() == 7);
}
