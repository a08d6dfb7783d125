// RV32IMAC decoding: 32-bit instructions into Rv32Decoded, RV32C expanded into their
// 32-bit equivalents first (RISC-V unprivileged spec, chapters 2, 7, 8, 16).
#include "epochcore/models/cpu/rv32_core.h"
#include "epochcore/models/cpu/rv32_ops.h"

namespace epochcore {

namespace {

uint32_t enc_r(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, uint32_t rs2, uint32_t f7) {
  return op | rd << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | f7 << 25;
}
uint32_t enc_i(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm) {
  return op | rd << 7 | f3 << 12 | rs1 << 15 | (uint32_t(imm) & 0xFFF) << 20;
}
uint32_t enc_s(uint32_t op, uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm) {
  const uint32_t u = uint32_t(imm);
  return op | (u & 0x1F) << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | ((u >> 5) & 0x7F) << 25;
}
uint32_t enc_b(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm) {
  const uint32_t u = uint32_t(imm);
  return 0x63 | ((u >> 11) & 1) << 7 | ((u >> 1) & 0xF) << 8 | f3 << 12 | rs1 << 15 | rs2 << 20 |
         ((u >> 5) & 0x3F) << 25 | ((u >> 12) & 1) << 31;
}
uint32_t enc_u(uint32_t op, uint32_t rd, uint32_t imm20) { return op | rd << 7 | (imm20 & 0xFFFFF) << 12; }
uint32_t enc_j(uint32_t rd, int32_t imm) {
  const uint32_t u = uint32_t(imm);
  return 0x6F | rd << 7 | ((u >> 12) & 0xFF) << 12 | ((u >> 11) & 1) << 20 | ((u >> 1) & 0x3FF) << 21 |
         ((u >> 20) & 1) << 31;
}
int32_t sext(uint32_t v, unsigned bits) { return int32_t(v << (32 - bits)) >> (32 - bits); }
uint32_t bit(uint16_t c, unsigned i) { return (c >> i) & 1u; }
uint32_t bits(uint16_t c, unsigned hi, unsigned lo) { return (c >> lo) & ((1u << (hi - lo + 1)) - 1); }

}  // namespace

uint32_t Rv32Core::expand_compressed(uint16_t c) {
  const uint32_t f3 = c >> 13;
  const uint32_t rdp = 8 + bits(c, 4, 2), rs1p = 8 + bits(c, 9, 7);  // rd'/rs2' and rs1'/rd'
  const uint32_t rd = bits(c, 11, 7), rs2 = bits(c, 6, 2);
  const int32_t imm6 = sext(bit(c, 12) << 5 | bits(c, 6, 2), 6);
  switch (c & 3) {
    case 0:
      if (f3 == 0) {  // C.ADDI4SPN
        const uint32_t imm = bits(c, 12, 11) << 4 | bits(c, 10, 7) << 6 | bit(c, 6) << 2 | bit(c, 5) << 3;
        return imm == 0 ? 0 : enc_i(0x13, rdp, 0, 2, int32_t(imm));
      }
      if (f3 == 2 || f3 == 6) {  // C.LW, C.SW
        const int32_t imm = int32_t(bits(c, 12, 10) << 3 | bit(c, 6) << 2 | bit(c, 5) << 6);
        return f3 == 2 ? enc_i(0x03, rdp, 2, rs1p, imm) : enc_s(0x23, 2, rs1p, rdp, imm);
      }
      return 0;  // floating point loads/stores, reserved
    case 1:
      switch (f3) {
        case 0: return enc_i(0x13, rd, 0, rd, imm6);  // C.ADDI (C.NOP, hints)
        case 1:
        case 5: {  // C.JAL, C.J
          const uint32_t off = bit(c, 12) << 11 | bit(c, 11) << 4 | bits(c, 10, 9) << 8 | bit(c, 8) << 10 |
                               bit(c, 7) << 6 | bit(c, 6) << 7 | bits(c, 5, 3) << 1 | bit(c, 2) << 5;
          return enc_j(f3 == 1 ? 1 : 0, sext(off, 12));
        }
        case 2: return enc_i(0x13, rd, 0, 0, imm6);  // C.LI
        case 3:
          if (rd == 2) {  // C.ADDI16SP
            const uint32_t imm = bit(c, 12) << 9 | bit(c, 6) << 4 | bit(c, 5) << 6 | bits(c, 4, 3) << 7 |
                                 bit(c, 2) << 5;
            return imm == 0 ? 0 : enc_i(0x13, 2, 0, 2, sext(imm, 10));
          }
          if (imm6 == 0) return 0;  // C.LUI with nzimm = 0 is reserved
          return enc_u(0x37, rd, uint32_t(imm6) & 0xFFFFF);
        case 4: {
          const uint32_t f2 = bits(c, 11, 10);
          const uint32_t shamt = bits(c, 6, 2);
          if (f2 == 0 || f2 == 1) {  // C.SRLI, C.SRAI (shamt[5] = 1 is reserved on RV32)
            if (bit(c, 12)) return 0;
            return enc_r(0x13, rs1p, 5, rs1p, shamt, f2 == 1 ? 0x20 : 0);
          }
          if (f2 == 2) return enc_i(0x13, rs1p, 7, rs1p, imm6);  // C.ANDI
          if (bit(c, 12)) return 0;                               // C.SUBW/C.ADDW: RV64 only
          switch (bits(c, 6, 5)) {
            case 0: return enc_r(0x33, rs1p, 0, rs1p, rdp, 0x20);  // C.SUB
            case 1: return enc_r(0x33, rs1p, 4, rs1p, rdp, 0);     // C.XOR
            case 2: return enc_r(0x33, rs1p, 6, rs1p, rdp, 0);     // C.OR
            default: return enc_r(0x33, rs1p, 7, rs1p, rdp, 0);    // C.AND
          }
        }
        default: {  // C.BEQZ, C.BNEZ
          const uint32_t off = bit(c, 12) << 8 | bits(c, 11, 10) << 3 | bits(c, 6, 5) << 6 | bits(c, 4, 3) << 1 |
                               bit(c, 2) << 5;
          return enc_b(f3 == 6 ? 0 : 1, rs1p, 0, sext(off, 9));
        }
      }
    case 2:
      switch (f3) {
        case 0:  // C.SLLI
          if (bit(c, 12)) return 0;
          return enc_r(0x13, rd, 1, rd, rs2, 0);
        case 2: {  // C.LWSP
          if (rd == 0) return 0;
          const int32_t imm = int32_t(bit(c, 12) << 5 | bits(c, 6, 4) << 2 | bits(c, 3, 2) << 6);
          return enc_i(0x03, rd, 2, 2, imm);
        }
        case 4:
          if (!bit(c, 12)) {
            if (rs2 == 0) return rd == 0 ? 0 : enc_i(0x67, 0, 0, rd, 0);  // C.JR
            return enc_r(0x33, rd, 0, 0, rs2, 0);                         // C.MV
          }
          if (rs2 == 0) return rd == 0 ? 0x00100073u : enc_i(0x67, 1, 0, rd, 0);  // C.EBREAK, C.JALR
          return enc_r(0x33, rd, 0, rd, rs2, 0);                                   // C.ADD
        case 6: {  // C.SWSP
          const int32_t imm = int32_t(bits(c, 12, 9) << 2 | bits(c, 8, 7) << 6);
          return enc_s(0x23, 2, 2, rs2, imm);
        }
        default: return 0;
      }
    default: return 0;  // not compressed
  }
}

void Rv32Core::decode(uint32_t insn, Rv32Decoded& d, const Rv32Timing& t) {
  using namespace rv32op;
  const uint32_t opc = insn & 0x7F, rd = (insn >> 7) & 31, f3 = (insn >> 12) & 7, rs1 = (insn >> 15) & 31,
                 rs2 = (insn >> 20) & 31, f7 = insn >> 25;
  d.rd = uint8_t(rd == 0 ? 32 : rd);
  d.rs1 = uint8_t(rs1);
  d.rs2 = uint8_t(rs2);
  d.len = 4;
  d.imm = int32_t(insn) >> 20;
  d.cost = uint8_t(t.alu);
  d.op = ILLEGAL;
  auto illegal = [&] { d.op = ILLEGAL; d.imm = int32_t(insn); d.cost = uint8_t(t.system); };
  switch (opc) {
    case 0x37: d.op = LUI; d.imm = int32_t(insn & 0xFFFFF000u); return;
    case 0x17: d.op = AUIPC; d.imm = int32_t(insn & 0xFFFFF000u); return;
    case 0x6F:
      d.op = JAL;
      d.imm = (int32_t(insn & 0x80000000u) >> 11) | int32_t(insn & 0xFF000u) | int32_t((insn >> 9) & 0x800u) |
              int32_t((insn >> 20) & 0x7FEu);
      d.cost = uint8_t(t.jump);
      return;
    case 0x67:
      if (f3 != 0) return illegal();
      d.op = JALR;
      d.cost = uint8_t(t.jump);
      return;
    case 0x63: {
      static const uint8_t ops[8] = {BEQ, BNE, ILLEGAL, ILLEGAL, BLT, BGE, BLTU, BGEU};
      if (ops[f3] == ILLEGAL) return illegal();
      d.op = ops[f3];
      d.imm = (int32_t(insn & 0x80000000u) >> 19) | int32_t((insn & 0x80u) << 4) | int32_t((insn >> 20) & 0x7E0u) |
              int32_t((insn >> 7) & 0x1Eu);
      d.cost = uint8_t(t.branch);
      return;
    }
    case 0x03: {
      static const uint8_t ops[8] = {LB, LH, LW, ILLEGAL, LBU, LHU, ILLEGAL, ILLEGAL};
      if (ops[f3] == ILLEGAL) return illegal();
      d.op = ops[f3];
      d.cost = uint8_t(t.load);
      return;
    }
    case 0x23: {
      if (f3 > 2) return illegal();
      static const uint8_t ops[3] = {SB, SH, SW};
      d.op = ops[f3];
      d.imm = int32_t(uint32_t(int32_t(insn) >> 25) << 5) | int32_t(rd);  // shift as unsigned: no UB on negatives
      d.cost = uint8_t(t.store);
      return;
    }
    case 0x13: {
      static const uint8_t ops[8] = {ADDI, SLLI, SLTI, SLTIU, XORI, SRLI, ORI, ANDI};
      d.op = ops[f3];
      if (f3 == 1) {
        if (f7 != 0) return illegal();
        d.imm = int32_t(rs2);
      } else if (f3 == 5) {
        if (f7 == 0x20) d.op = SRAI;
        else if (f7 != 0) return illegal();
        d.imm = int32_t(rs2);
      }
      return;
    }
    case 0x33: {
      if (f7 == 0) {
        static const uint8_t ops[8] = {ADD, SLL, SLT, SLTU, XOR, SRL, OR, AND};
        d.op = ops[f3];
      } else if (f7 == 0x20 && (f3 == 0 || f3 == 5)) {
        d.op = f3 == 0 ? SUB : SRA;
      } else if (f7 == 1) {
        static const uint8_t ops[8] = {MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU};
        d.op = ops[f3];
        d.cost = uint8_t(f3 < 4 ? t.mul : t.div);
      } else {
        return illegal();
      }
      return;
    }
    case 0x0F:
      if (f3 > 1) return illegal();
      d.op = f3 == 0 ? FENCE : FENCE_I;
      d.cost = uint8_t(t.system);
      return;
    case 0x73:
      if (f3 == 0) {
        d.cost = uint8_t(t.system);
        switch (insn) {
          case 0x00000073u: d.op = ECALL; return;
          case 0x00100073u: d.op = EBREAK; return;
          case 0x30200073u: d.op = MRET; return;
          case 0x10500073u: d.op = WFI; return;
          default: return illegal();
        }
      }
      if (f3 == 4) return illegal();
      {
        static const uint8_t ops[8] = {0, CSRRW, CSRRS, CSRRC, 0, CSRRWI, CSRRSI, CSRRCI};
        d.op = ops[f3];
        d.imm = int32_t(insn >> 20);
        d.cost = uint8_t(t.csr);
      }
      return;
    case 0x2F: {
      if (f3 != 2) return illegal();
      d.cost = uint8_t(t.atomic);
      switch (insn >> 27) {
        case 0x02: if (rs2 != 0) return illegal(); d.op = LR; return;
        case 0x03: d.op = SC; return;
        case 0x01: d.op = AMOSWAP; return;
        case 0x00: d.op = AMOADD; return;
        case 0x04: d.op = AMOXOR; return;
        case 0x0C: d.op = AMOAND; return;
        case 0x08: d.op = AMOOR; return;
        case 0x10: d.op = AMOMIN; return;
        case 0x14: d.op = AMOMAX; return;
        case 0x18: d.op = AMOMINU; return;
        case 0x1C: d.op = AMOMAXU; return;
        default: return illegal();
      }
    }
    default: return illegal();
  }
}

}  // namespace epochcore
