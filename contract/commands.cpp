#include "epochcore/contract/commands.h"

#include <cmath>
#include <cstring>

namespace epochcore::cmd {

using regs::ErrorCause;

Opcode opcode_of(const Record& r) { return static_cast<Opcode>(r.w[0] & 0xFF); }
uint8_t flags_of(const Record& r) { return static_cast<uint8_t>((r.w[0] >> 8) & 0xFF); }

const char* opcode_name(uint8_t op) {
  switch (static_cast<Opcode>(op)) {
    case Opcode::NOP: return "NOP";
    case Opcode::DMA_IN: return "DMA_IN";
    case Opcode::DMA_OUT: return "DMA_OUT";
    case Opcode::LOAD_COEFFS: return "LOAD_COEFFS";
    case Opcode::RUN_SSM: return "RUN_SSM";
    case Opcode::BARRIER: return "BARRIER";
    case Opcode::END: return "END";
    case Opcode::RUN_GEMM: return "RUN_GEMM";
    case Opcode::RUN_VEC: return "RUN_VEC";
  }
  return "UNKNOWN";
}

const char* vec_op_name(uint8_t op) {
  switch (static_cast<VecOp>(op)) {
    case VecOp::COPY: return "COPY";
    case VecOp::ZERO: return "ZERO";
    case VecOp::GELU: return "GELU";
    case VecOp::GLU: return "GLU";
    case VecOp::ADD: return "ADD";
    case VecOp::SUB: return "SUB";
    case VecOp::MUL: return "MUL";
    case VecOp::AFFINE: return "AFFINE";
    case VecOp::LAYERNORM: return "LAYERNORM";
    case VecOp::POOL_SUM: return "POOL_SUM";
    case VecOp::EMBED: return "EMBED";
  }
  return "UNKNOWN";
}

static uint32_t word0(Opcode op, uint8_t flags = 0, uint8_t spad = 0) {
  return uint32_t(op) | (uint32_t(flags) << 8) | (uint32_t(spad) << 16);
}

Record encode_nop() { Record r; r.w[0] = word0(Opcode::NOP); return r; }
Record encode_barrier() { Record r; r.w[0] = word0(Opcode::BARRIER); return r; }
Record encode_end() { Record r; r.w[0] = word0(Opcode::END); return r; }

Record encode_dma(bool to_spad, const DmaDesc& d) {
  Record r;
  r.w[0] = word0(to_spad ? Opcode::DMA_IN : Opcode::DMA_OUT, 0, uint8_t(d.spad));
  r.w[1] = uint32_t(d.sys_addr);
  r.w[2] = uint32_t(d.sys_addr >> 32);
  r.w[3] = d.spad_addr;
  r.w[4] = d.row_bytes;
  r.w[5] = d.rows;
  r.w[6] = d.sys_stride;
  r.w[7] = d.spad_stride;
  return r;
}

Record encode_load_coeffs(const LoadCoeffs& c) {
  Record r;
  r.w[0] = word0(Opcode::LOAD_COEFFS);
  r.w[1] = c.param_addr;
  r.w[2] = c.n_seg;
  r.w[3] = c.seg_len;
  return r;
}

Record encode_run_ssm(const RunSsm& c) {
  Record r;
  r.w[0] = word0(Opcode::RUN_SSM, c.flags);
  r.w[1] = c.in_addr;
  r.w[2] = c.in_stride;
  r.w[3] = c.out_addr;
  r.w[4] = c.out_stride;
  r.w[5] = c.length;
  return r;
}

Record encode_run_gemm(const RunGemm& c) {
  Record r;
  r.w[0] = word0(Opcode::RUN_GEMM, c.flags);
  r.w[1] = c.param_addr;
  r.w[2] = c.in_addr;
  r.w[3] = c.in_stride;
  r.w[4] = c.out_addr;
  r.w[5] = c.out_stride;
  r.w[6] = uint32_t(c.k) | (uint32_t(c.n) << 16);
  r.w[7] = c.m;
  return r;
}

static uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
static float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

Record encode_run_vec(const RunVec& c) {
  Record r;
  r.w[0] = uint32_t(Opcode::RUN_VEC) | (uint32_t(c.flags) << 8) | (uint32_t(c.op) << 16) |
           (uint32_t(uint8_t(c.a_spad) & 3) << 24) | (uint32_t(uint8_t(c.b_spad) & 3) << 26) |
           (uint32_t(uint8_t(c.d_spad) & 3) << 28);
  r.w[1] = c.a_addr;
  r.w[2] = c.b_addr;
  r.w[3] = c.d_addr;
  r.w[4] = uint32_t(c.channels) | (uint32_t(c.b_stride) << 16);
  r.w[5] = c.length;
  r.w[6] = uint32_t(c.a_stride) | (uint32_t(c.d_stride) << 16);
  r.w[7] = float_bits(c.out_scale);
  return r;
}

RunVec decode_run_vec(const Record& r) {
  RunVec c;
  c.flags = flags_of(r);
  c.op = static_cast<VecOp>((r.w[0] >> 16) & 0xFF);
  c.a_spad = static_cast<SpadId>((r.w[0] >> 24) & 3);
  c.b_spad = static_cast<SpadId>((r.w[0] >> 26) & 3);
  c.d_spad = static_cast<SpadId>((r.w[0] >> 28) & 3);
  c.a_addr = r.w[1];
  c.b_addr = r.w[2];
  c.d_addr = r.w[3];
  c.channels = uint16_t(r.w[4] & 0xFFFF);
  c.b_stride = uint16_t(r.w[4] >> 16);
  c.length = r.w[5];
  c.a_stride = uint16_t(r.w[6] & 0xFFFF);
  c.d_stride = uint16_t(r.w[6] >> 16);
  c.out_scale = bits_float(r.w[7]);
  return c;
}

VecShape vec_shape(const RunVec& c) {
  VecShape s;
  const uint32_t C = c.channels;
  const uint64_t T = c.length;
  s.a_step = c.a_stride;
  s.b_step = c.b_stride;
  s.d_step = c.d_stride;
  s.d_rows = C;
  s.d_row_words = T;
  switch (c.op) {
    case VecOp::ZERO:
      break;
    case VecOp::COPY:
    case VecOp::GELU:
      s.a_rows = C; s.a_row_words = T;
      break;
    case VecOp::GLU:
      s.a_rows = 2 * C; s.a_row_words = T;
      break;
    case VecOp::ADD:
    case VecOp::SUB:
    case VecOp::MUL:
      s.a_rows = C; s.a_row_words = T;
      s.b_rows = C; s.b_row_words = T;
      break;
    case VecOp::AFFINE:
      s.a_rows = C; s.a_row_words = T;
      s.b_rows = 1; s.b_row_words = 2ull * C; s.b_step = 0;
      break;
    case VecOp::LAYERNORM:
      s.a_rows = C; s.a_row_words = T;
      s.b_rows = 1; s.b_row_words = 2ull * C + 1; s.b_step = 0;
      break;
    case VecOp::POOL_SUM:
      s.a_rows = C; s.a_row_words = T;
      s.d_row_words = 1;
      break;
    case VecOp::EMBED:
      s.a_rows = 1; s.a_row_words = T; s.a_step = 0;
      s.b_rows = 1; s.b_row_words = uint64_t(c.b_stride) * C; s.b_step = 0;  // b_stride = vocab
      break;
  }
  return s;
}

DmaDesc decode_dma(const Record& r) {
  DmaDesc d;
  d.sys_addr = uint64_t(r.w[1]) | (uint64_t(r.w[2]) << 32);
  d.spad = static_cast<SpadId>((r.w[0] >> 16) & 0xFF);
  d.spad_addr = r.w[3];
  d.row_bytes = r.w[4];
  d.rows = r.w[5];
  d.sys_stride = r.w[6];
  d.spad_stride = r.w[7];
  return d;
}

LoadCoeffs decode_load_coeffs(const Record& r) { return {r.w[1], r.w[2], r.w[3]}; }

RunSsm decode_run_ssm(const Record& r) {
  RunSsm c;
  c.flags = flags_of(r);
  c.in_addr = r.w[1];
  c.in_stride = r.w[2];
  c.out_addr = r.w[3];
  c.out_stride = r.w[4];
  c.length = r.w[5];
  return c;
}

RunGemm decode_run_gemm(const Record& r) {
  RunGemm c;
  c.flags = flags_of(r);
  c.param_addr = r.w[1];
  c.in_addr = r.w[2];
  c.in_stride = r.w[3];
  c.out_addr = r.w[4];
  c.out_stride = r.w[5];
  c.k = uint16_t(r.w[6] & 0xFFFF);
  c.n = uint16_t(r.w[6] >> 16);
  c.m = r.w[7];
  return c;
}

void pack(const Record& r, uint8_t out[kRecordBytes]) {
  for (size_t i = 0; i < kRecordWords; ++i)
    for (size_t b = 0; b < 4; ++b) out[4 * i + b] = uint8_t(r.w[i] >> (8 * b));
}

Record unpack(const uint8_t in[kRecordBytes]) {
  Record r;
  for (size_t i = 0; i < kRecordWords; ++i)
    r.w[i] = uint32_t(in[4 * i]) | (uint32_t(in[4 * i + 1]) << 8) |
             (uint32_t(in[4 * i + 2]) << 16) | (uint32_t(in[4 * i + 3]) << 24);
  return r;
}

uint32_t segments_per_row(const HwLimits& hw, uint32_t seg_len) {
  if (seg_len == 0 || seg_len > hw.cols) return 0;
  return hw.segments ? hw.cols / seg_len : 1;
}

// A range [addr, addr + (n-1)*stride + bytes) inside a buffer of `size` bytes, 4-aligned.
static bool range_ok(uint64_t addr, uint64_t n, uint64_t stride, uint64_t bytes, uint64_t size) {
  if (addr % 4 || stride % 4 || bytes % 4) return false;
  if (n == 0 || bytes == 0) return true;
  return addr + (n - 1) * stride + bytes <= size;
}

// [lo, hi) byte interval of an operand's rows.
struct Span {
  uint64_t lo = 0, hi = 0;
};
static Span span_of(uint32_t addr, uint32_t rows, uint32_t step, uint64_t row_words) {
  return {addr, addr + (uint64_t(rows) - 1) * step * 4 + row_words * 4};
}

template <typename Fail>
static ErrorCause validate_run_vec(const Record& r, const HwLimits& hw, Fail fail) {
  if ((r.w[0] >> 30) != 0) return fail(ErrorCause::BAD_FIELD, "reserved bits 31:30 of word 0 are not zero");
  const RunVec c = decode_run_vec(r);
  if (uint8_t(c.op) >= kNumVecOps) return fail(ErrorCause::BAD_FIELD, "vector operation (word 0 bits 23:16) is not defined");
  if (c.flags & ~uint8_t(FLAG_ACCUMULATE)) return fail(ErrorCause::BAD_FIELD, "RUN_VEC takes no flag but FLAG_ACCUMULATE");
  if ((c.flags & FLAG_ACCUMULATE) && c.op != VecOp::POOL_SUM)
    return fail(ErrorCause::BAD_FIELD, "FLAG_ACCUMULATE is only defined for POOL_SUM");
  if (c.channels == 0) return fail(ErrorCause::BAD_FIELD, "channels (word 4 bits 15:0) must be at least 1");
  if (c.length == 0) return fail(ErrorCause::BAD_FIELD, "length (word 5) must be at least 1");
  const bool integer = hw.number_format == uint8_t(regs::NumberFormat::INT16) ||
                       hw.number_format == uint8_t(regs::NumberFormat::INT8);
  if (integer && !(std::isfinite(c.out_scale) && c.out_scale > 0.0f))
    return fail(ErrorCause::BAD_FIELD, "out_scale (word 7) must be a positive finite float for the integer formats");
  if (!integer && c.out_scale != 0.0f)
    return fail(ErrorCause::BAD_FIELD, "out_scale (word 7) must be 0 for the float formats");
  if (c.op == VecOp::EMBED && c.b_stride == 0) return fail(ErrorCause::BAD_FIELD, "EMBED needs the vocabulary size in word 4 bits 31:16");
  const VecShape s = vec_shape(c);
  const SpadId ids[3] = {c.a_spad, c.b_spad, c.d_spad};
  const uint32_t rows[3] = {s.a_rows, s.b_rows, s.d_rows};
  const uint64_t words[3] = {s.a_row_words, s.b_row_words, s.d_row_words};
  const uint32_t steps[3] = {s.a_step, s.b_step, s.d_step};
  const uint32_t addrs[3] = {c.a_addr, c.b_addr, c.d_addr};
  static const char* const kOutside[3] = {"operand A misaligned or outside its scratchpad",
                                          "operand B misaligned or outside its scratchpad",
                                          "destination D misaligned or outside its scratchpad"};
  static const char* const kStride[3] = {"a_stride (words) must be at least the row length",
                                         "b_stride (words) must be at least the row length",
                                         "d_stride (words) must be at least the row length"};
  Span spans[3];
  for (int i = 0; i < 3; ++i) {
    if (rows[i] == 0) continue;
    if (uint8_t(ids[i]) >= kNumSpads) return fail(ErrorCause::BAD_SPAD_ID, "operand scratchpad id is not 0 (input), 1 (param) or 2 (output)");
    if (rows[i] > 1 && steps[i] < words[i]) return fail(ErrorCause::BAD_FIELD, kStride[i]);
    if (!range_ok(addrs[i], rows[i], uint64_t(steps[i]) * 4, words[i] * 4, hw.spad_bytes[uint8_t(ids[i])]))
      return fail(ErrorCause::BAD_SPAD_ADDRESS, kOutside[i]);
    spans[i] = span_of(addrs[i], rows[i], steps[i], words[i]);
  }
  // D is either exactly an input operand (same start and row step: in place) or disjoint.
  for (int i = 0; i < 2; ++i) {
    if (rows[i] == 0 || ids[i] != c.d_spad) continue;
    const bool disjoint = spans[2].hi <= spans[i].lo || spans[i].hi <= spans[2].lo;
    const bool in_place = addrs[i] == c.d_addr && steps[i] == s.d_step && c.op != VecOp::EMBED &&
                          !(c.op == VecOp::AFFINE && i == 1) && !(c.op == VecOp::LAYERNORM && i == 1);
    if (!disjoint && !in_place)
      return fail(ErrorCause::BAD_FIELD, i == 0 ? "destination D partly overlaps operand A (allowed: exactly in place, or disjoint)"
                                                : "destination D partly overlaps operand B (allowed: exactly in place, or disjoint)");
  }
  return ErrorCause::NONE;
}

ErrorCause validate(const Record& r, const HwLimits& hw) {
  std::string why;
  return validate(r, hw, hw.rows * hw.cols, &why);
}

ErrorCause validate(const Record& r, const HwLimits& hw, uint32_t loaded_segments,
                    std::string* why) {
  auto fail = [&](ErrorCause c, const char* text) {
    if (why) *why = text;
    return c;
  };
  if (opcode_of(r) != Opcode::RUN_VEC && (r.w[0] >> 24) != 0)
    return fail(ErrorCause::BAD_FIELD, "reserved bits 31:24 of word 0 are not zero");
  switch (opcode_of(r)) {
    case Opcode::NOP:
    case Opcode::BARRIER:
    case Opcode::END:
      return ErrorCause::NONE;
    case Opcode::DMA_IN:
    case Opcode::DMA_OUT: {
      DmaDesc d = decode_dma(r);
      if (uint8_t(d.spad) >= kNumSpads) return fail(ErrorCause::BAD_SPAD_ID, "scratchpad id is not 0 (input), 1 (param) or 2 (output)");
      if (d.row_bytes == 0 || d.rows == 0) return fail(ErrorCause::BAD_FIELD, "row_bytes and rows must be non-zero");
      if (d.row_bytes % 4) return fail(ErrorCause::BAD_FIELD, "row_bytes must be a multiple of 4");
      if (d.rows > 1 && (d.sys_stride < d.row_bytes || d.spad_stride < d.row_bytes))
        return fail(ErrorCause::BAD_FIELD, "2-D strides must be at least row_bytes");
      if (!range_ok(d.spad_addr, d.rows, d.spad_stride, d.row_bytes, hw.spad_bytes[uint8_t(d.spad)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "scratchpad range is misaligned or outside the buffer");
      return ErrorCause::NONE;
    }
    case Opcode::LOAD_COEFFS: {
      LoadCoeffs c = decode_load_coeffs(r);
      uint32_t spr = segments_per_row(hw, c.seg_len);
      if (spr == 0) return fail(ErrorCause::BAD_FIELD, "seg_len must be 1..cols");
      if (c.n_seg == 0 || c.n_seg > uint64_t(spr) * hw.rows)
        return fail(ErrorCause::BAD_FIELD, "n_seg must be 1..rows*segments_per_row");
      if (c.param_addr % sizeof(CoeffRecord) ||
          !range_ok(c.param_addr, 1, 0, uint64_t(c.n_seg) * c.seg_len * sizeof(CoeffRecord),
                    hw.spad_bytes[uint8_t(SpadId::PARAM)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "coefficient records misaligned or outside the parameter scratchpad");
      return ErrorCause::NONE;
    }
    case Opcode::RUN_SSM: {
      RunSsm c = decode_run_ssm(r);
      if (c.flags & ~uint8_t(FLAG_ACCUMULATE | FLAG_RESET_STATE | FLAG_REVERSE)) return fail(ErrorCause::BAD_FIELD, "unknown flag bits");
      if (c.length == 0) return fail(ErrorCause::BAD_FIELD, "length must be at least 1");
      if (loaded_segments == 0) return fail(ErrorCause::BAD_FIELD, "no coefficients loaded (LOAD_COEFFS must come first)");
      uint64_t bytes = uint64_t(c.length) * 4;
      if (loaded_segments > 1 && (c.in_stride < bytes || c.out_stride < bytes))
        return fail(ErrorCause::BAD_FIELD, "strides must be at least 4*length bytes");
      if (!range_ok(c.in_addr, loaded_segments, c.in_stride, bytes, hw.spad_bytes[uint8_t(SpadId::INPUT)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "input range misaligned or outside the input scratchpad");
      if (!range_ok(c.out_addr, loaded_segments, c.out_stride, bytes, hw.spad_bytes[uint8_t(SpadId::OUTPUT)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "output range misaligned or outside the output scratchpad");
      return ErrorCause::NONE;
    }
    case Opcode::RUN_GEMM: {
      RunGemm c = decode_run_gemm(r);
      if (c.flags & ~uint8_t(FLAG_ACCUMULATE)) return fail(ErrorCause::BAD_FIELD, "RUN_GEMM takes no flag but FLAG_ACCUMULATE");
      if (c.k == 0 || c.k > hw.rows) return fail(ErrorCause::BAD_FIELD, "k (word 6 bits 15:0) must be 1..rows");
      if (c.n == 0 || c.n > hw.cols) return fail(ErrorCause::BAD_FIELD, "n (word 6 bits 31:16) must be 1..cols");
      if (c.m == 0) return fail(ErrorCause::BAD_FIELD, "m must be at least 1");
      const uint64_t in_bytes = uint64_t(c.k) * 4, out_bytes = uint64_t(c.n) * 4;
      if (c.m > 1 && (c.in_stride < in_bytes || c.out_stride < out_bytes))
        return fail(ErrorCause::BAD_FIELD, "strides must be at least 4*k (input) and 4*n (output) bytes");
      if (!range_ok(c.param_addr, 1, 0, uint64_t(c.k) * out_bytes, hw.spad_bytes[uint8_t(SpadId::PARAM)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "weight tile misaligned or outside the parameter scratchpad");
      if (!range_ok(c.in_addr, c.m, c.in_stride, in_bytes, hw.spad_bytes[uint8_t(SpadId::INPUT)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "input rows misaligned or outside the input scratchpad");
      if (!range_ok(c.out_addr, c.m, c.out_stride, out_bytes, hw.spad_bytes[uint8_t(SpadId::OUTPUT)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "output rows misaligned or outside the output scratchpad");
      return ErrorCause::NONE;
    }
    case Opcode::RUN_VEC:
      return validate_run_vec(r, hw, fail);
  }
  return fail(ErrorCause::UNKNOWN_OPCODE, "opcode is not defined");
}

}  // namespace epochcore::cmd
