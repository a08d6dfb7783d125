#include "epochcore/contract/commands.h"

#if __STDC_HOSTED__
#include <cmath>
#include <cstdio>
#endif

namespace epochcore::cmd {

using regs::ErrorCause;

// A named field of a record (EC_<f>_WORD/_SHIFT/_WIDTH of cmd.h).
#define GET(r, f) EC_FIELD_GET((r).w[EC_##f##_WORD], EC_##f##_SHIFT, EC_##f##_WIDTH)
#define PUT(r, f, v) ((r).w[EC_##f##_WORD] |= EC_FIELD_PUT(v, EC_##f##_SHIFT, EC_##f##_WIDTH))

ec_record to_c(const Record& r) {
  ec_record c;
  __builtin_memcpy(c.w, r.w, sizeof c.w);
  return c;
}
Record from_c(const ec_record& c) {
  Record r;
  __builtin_memcpy(r.w, c.w, sizeof r.w);
  return r;
}

#define EC_CPP_FIELD_(group, field, word, shift, width, doc) {#group, doc, word, shift, width},
const RecordFieldInfo kRecordFields[] = {EC_CMD_FIELD_LIST(EC_CPP_FIELD_)};
#undef EC_CPP_FIELD_
const size_t kNumRecordFields = sizeof(kRecordFields) / sizeof(kRecordFields[0]);

#define EC_CPP_OP_(name, code, unit, desc) {Opcode::name, #name, unit, desc},
const OpcodeInfo kOpcodes[] = {EC_OPCODE_LIST(EC_CPP_OP_)};
#undef EC_CPP_OP_
static_assert(sizeof(kOpcodes) / sizeof(kOpcodes[0]) == kNumOpcodes, "one row per opcode");

#if __STDC_HOSTED__
std::string opcodes_markdown_table() {
  std::string t = "| code | opcode | unit | what it does |\n| --- | --- | --- | --- |\n";
  char code[8];
  for (const OpcodeInfo& o : kOpcodes) {
    std::snprintf(code, sizeof code, "0x%02X", unsigned(o.opcode));
    t += std::string("| ") + code + " | `" + o.name + "` | " + o.unit + " | " + o.description + " |\n";
  }
  return t;
}
#endif

Opcode opcode_of(const Record& r) { return static_cast<Opcode>(GET(r, W0_OPCODE)); }
uint8_t flags_of(const Record& r) { return static_cast<uint8_t>(GET(r, W0_FLAGS)); }

const char* opcode_name(uint8_t op) {
#define EC_CPP_OP_(name, code, unit, desc) \
  case code: return #name;
  switch (op) { EC_OPCODE_LIST(EC_CPP_OP_) }
#undef EC_CPP_OP_
  return "UNKNOWN";
}

const char* vec_op_name(uint8_t op) {
#define EC_CPP_VEC_(name, code) \
  case code: return #name;
  switch (op) { EC_VEC_OP_LIST(EC_CPP_VEC_) }
#undef EC_CPP_VEC_
  return "UNKNOWN";
}

static Record simple(Opcode op) {
  Record r;
  PUT(r, W0_OPCODE, uint32_t(op));
  return r;
}

Record encode_nop() { return simple(Opcode::NOP); }
Record encode_barrier() { return simple(Opcode::BARRIER); }
Record encode_end() { return simple(Opcode::END); }

Record encode_dma(bool to_spad, const DmaDesc& d) {
  Record r = simple(to_spad ? Opcode::DMA_IN : Opcode::DMA_OUT);
  PUT(r, DMA_SPAD, uint8_t(d.spad));
  PUT(r, DMA_SYS_ADDR_LO, uint32_t(d.sys_addr));
  PUT(r, DMA_SYS_ADDR_HI, uint32_t(d.sys_addr >> 32));
  PUT(r, DMA_SPAD_ADDR, d.spad_addr);
  PUT(r, DMA_ROW_BYTES, d.row_bytes);
  PUT(r, DMA_ROWS, d.rows);
  PUT(r, DMA_SYS_STRIDE, d.sys_stride);
  PUT(r, DMA_SPAD_STRIDE, d.spad_stride);
  return r;
}

Record encode_load_coeffs(const LoadCoeffs& c) {
  Record r = simple(Opcode::LOAD_COEFFS);
  PUT(r, LC_PARAM_ADDR, c.param_addr);
  PUT(r, LC_N_SEG, c.n_seg);
  PUT(r, LC_SEG_LEN, c.seg_len);
  PUT(r, LC_REV_SEGS, c.rev_segs);
  return r;
}

Record encode_run_ssm(const RunSsm& c) {
  Record r = simple(Opcode::RUN_SSM);
  PUT(r, SSM_FLAGS, c.flags);
  PUT(r, SSM_IN_ADDR, c.in_addr);
  PUT(r, SSM_IN_STRIDE, c.in_stride);
  PUT(r, SSM_OUT_ADDR, c.out_addr);
  PUT(r, SSM_OUT_STRIDE, c.out_stride);
  PUT(r, SSM_LENGTH, c.length);
  PUT(r, SSM_REV_LENGTH, c.rev_length);
  PUT(r, SSM_REV_IN_OFFSET, c.rev_in_offset);
  return r;
}

Record encode_run_gemm(const RunGemm& c) {
  Record r = simple(Opcode::RUN_GEMM);
  PUT(r, GEMM_FLAGS, c.flags);
  PUT(r, GEMM_PARAM_ADDR, c.param_addr);
  PUT(r, GEMM_IN_ADDR, c.in_addr);
  PUT(r, GEMM_IN_STRIDE, c.in_stride);
  PUT(r, GEMM_OUT_ADDR, c.out_addr);
  PUT(r, GEMM_OUT_STRIDE, c.out_stride);
  PUT(r, GEMM_K, c.k);
  PUT(r, GEMM_N, c.n);
  PUT(r, GEMM_M, c.m);
  return r;
}

Record encode_run_scan(const RunScan& c) {
  Record r = simple(Opcode::RUN_SCAN);
  PUT(r, SCAN_FLAGS, c.flags);
  PUT(r, SCAN_COEF_SPAD, uint8_t(c.coef_spad));
  PUT(r, SCAN_U_ADDR, c.u_addr);
  PUT(r, SCAN_DT_ADDR, c.dt_addr);
  PUT(r, SCAN_IN_STRIDE, c.in_stride);
  PUT(r, SCAN_OUT_STRIDE, c.out_stride);
  PUT(r, SCAN_OUT_ADDR, c.out_addr);
  PUT(r, SCAN_COEF_ADDR, c.coef_addr);
  PUT(r, SCAN_COEF_STRIDE, c.coef_stride);
  PUT(r, SCAN_LENGTH, c.length);
  return r;
}

static uint32_t float_bits(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  return u;
}
static float bits_float(uint32_t u) {
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

Record encode_run_vec(const RunVec& c) {
  Record r = simple(Opcode::RUN_VEC);
  PUT(r, VEC_FLAGS, c.flags);
  PUT(r, VEC_OP, uint8_t(c.op));
  PUT(r, VEC_A_SPAD, uint8_t(c.a_spad));
  PUT(r, VEC_B_SPAD, uint8_t(c.b_spad));
  PUT(r, VEC_D_SPAD, uint8_t(c.d_spad));
  PUT(r, VEC_A_ADDR, c.a_addr);
  PUT(r, VEC_B_ADDR, c.b_addr);
  PUT(r, VEC_D_ADDR, c.d_addr);
  PUT(r, VEC_CHANNELS, c.channels);
  PUT(r, VEC_B_STRIDE, c.b_stride);
  PUT(r, VEC_LENGTH, c.length);
  PUT(r, VEC_A_STRIDE, c.a_stride);
  PUT(r, VEC_D_STRIDE, c.d_stride);
  PUT(r, VEC_OUT_SCALE, float_bits(c.out_scale));
  return r;
}

RunVec decode_run_vec(const Record& r) {
  RunVec c;
  c.flags = uint8_t(GET(r, VEC_FLAGS));
  c.op = static_cast<VecOp>(GET(r, VEC_OP));
  c.a_spad = static_cast<SpadId>(GET(r, VEC_A_SPAD));
  c.b_spad = static_cast<SpadId>(GET(r, VEC_B_SPAD));
  c.d_spad = static_cast<SpadId>(GET(r, VEC_D_SPAD));
  c.a_addr = GET(r, VEC_A_ADDR);
  c.b_addr = GET(r, VEC_B_ADDR);
  c.d_addr = GET(r, VEC_D_ADDR);
  c.channels = uint16_t(GET(r, VEC_CHANNELS));
  c.b_stride = uint16_t(GET(r, VEC_B_STRIDE));
  c.length = GET(r, VEC_LENGTH);
  c.a_stride = uint16_t(GET(r, VEC_A_STRIDE));
  c.d_stride = uint16_t(GET(r, VEC_D_STRIDE));
  c.out_scale = bits_float(GET(r, VEC_OUT_SCALE));
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
    case VecOp::RMSNORM:
      s.a_rows = C; s.a_row_words = T;
      s.b_rows = 1; s.b_row_words = uint64_t(C) + 1; s.b_step = 0;
      break;
    case VecOp::CONV1D:  // b_stride = K taps; B = C*K weights, then C biases
      s.a_rows = C; s.a_row_words = T;
      if ((c.flags & FLAG_HISTORY) && c.b_stride > 0) s.a_before = c.b_stride - 1u;
      s.b_rows = 1; s.b_row_words = (uint64_t(c.b_stride) + 1) * C; s.b_step = 0;
      break;
    case VecOp::SILU:
    case VecOp::SOFTPLUS:
      s.a_rows = C; s.a_row_words = T;
      break;
    case VecOp::GATE:
      s.a_rows = C; s.a_row_words = T;
      s.b_rows = C; s.b_row_words = T;
      break;
    case VecOp::LIQUID:  // b_stride = Q orders; B = C*Q coefficients [C][Q]
      s.a_rows = C; s.a_row_words = T;
      if (c.flags & FLAG_HISTORY) s.a_before = c.b_stride;
      s.b_rows = 1; s.b_row_words = uint64_t(c.b_stride) * C; s.b_step = 0;
      break;
  }
  return s;
}

DmaDesc decode_dma(const Record& r) {
  DmaDesc d;
  d.sys_addr = uint64_t(GET(r, DMA_SYS_ADDR_LO)) | (uint64_t(GET(r, DMA_SYS_ADDR_HI)) << 32);
  d.spad = static_cast<SpadId>(GET(r, DMA_SPAD));
  d.spad_addr = GET(r, DMA_SPAD_ADDR);
  d.row_bytes = GET(r, DMA_ROW_BYTES);
  d.rows = GET(r, DMA_ROWS);
  d.sys_stride = GET(r, DMA_SYS_STRIDE);
  d.spad_stride = GET(r, DMA_SPAD_STRIDE);
  return d;
}

LoadCoeffs decode_load_coeffs(const Record& r) {
  return {GET(r, LC_PARAM_ADDR), GET(r, LC_N_SEG), GET(r, LC_SEG_LEN), GET(r, LC_REV_SEGS)};
}

RunSsm decode_run_ssm(const Record& r) {
  RunSsm c;
  c.flags = uint8_t(GET(r, SSM_FLAGS));
  c.in_addr = GET(r, SSM_IN_ADDR);
  c.in_stride = GET(r, SSM_IN_STRIDE);
  c.out_addr = GET(r, SSM_OUT_ADDR);
  c.out_stride = GET(r, SSM_OUT_STRIDE);
  c.length = GET(r, SSM_LENGTH);
  c.rev_length = GET(r, SSM_REV_LENGTH);
  c.rev_in_offset = GET(r, SSM_REV_IN_OFFSET);
  return c;
}

RunScan decode_run_scan(const Record& r) {
  RunScan c;
  c.flags = uint8_t(GET(r, SCAN_FLAGS));
  c.coef_spad = SpadId(GET(r, SCAN_COEF_SPAD));
  c.u_addr = GET(r, SCAN_U_ADDR);
  c.dt_addr = GET(r, SCAN_DT_ADDR);
  c.in_stride = uint16_t(GET(r, SCAN_IN_STRIDE));
  c.out_stride = uint16_t(GET(r, SCAN_OUT_STRIDE));
  c.out_addr = GET(r, SCAN_OUT_ADDR);
  c.coef_addr = GET(r, SCAN_COEF_ADDR);
  c.coef_stride = GET(r, SCAN_COEF_STRIDE);
  c.length = GET(r, SCAN_LENGTH);
  return c;
}

RunGemm decode_run_gemm(const Record& r) {
  RunGemm c;
  c.flags = uint8_t(GET(r, GEMM_FLAGS));
  c.param_addr = GET(r, GEMM_PARAM_ADDR);
  c.in_addr = GET(r, GEMM_IN_ADDR);
  c.in_stride = GET(r, GEMM_IN_STRIDE);
  c.out_addr = GET(r, GEMM_OUT_ADDR);
  c.out_stride = GET(r, GEMM_OUT_STRIDE);
  c.k = uint16_t(GET(r, GEMM_K));
  c.n = uint16_t(GET(r, GEMM_N));
  c.m = GET(r, GEMM_M);
  return c;
}

void pack(const Record& r, uint8_t out[kRecordBytes]) {
  const ec_record c = to_c(r);
  ec_record_to_bytes(&c, out);
}

Record unpack(const uint8_t in[kRecordBytes]) {
  ec_record c;
  ec_record_from_bytes(&c, in);
  return from_c(c);
}

uint32_t segments_per_row(const HwLimits& hw, uint32_t seg_len) {
  if (seg_len == 0 || seg_len > hw.cols) return 0;
  return hw.segments ? hw.cols / seg_len : 1;
}

#if __STDC_HOSTED__  // validation: the platform and the tests (std::string reasons)
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

static_assert(kMaxConvTaps == 16, "the CONV1D error text below names the limit");
static_assert(kMaxLiquidOrders == 7, "the LIQUID error text below names the limit");

template <typename Fail>
static ErrorCause validate_run_vec(const Record& r, const HwLimits& hw, Fail fail) {
  if (GET(r, VEC_RESERVED) != 0) return fail(ErrorCause::BAD_FIELD, "reserved bits 31:30 of word 0 are not zero");
  const RunVec c = decode_run_vec(r);
  if (uint8_t(c.op) >= kNumVecOps) return fail(ErrorCause::BAD_FIELD, "vector operation (word 0 bits 23:16) is not defined");
  if (c.flags & ~uint8_t(FLAG_ACCUMULATE | FLAG_HISTORY | FLAG_REVERSE))
    return fail(ErrorCause::BAD_FIELD, "RUN_VEC takes no flag but FLAG_ACCUMULATE, FLAG_HISTORY and FLAG_REVERSE");
  if ((c.flags & FLAG_ACCUMULATE) && c.op != VecOp::POOL_SUM && c.op != VecOp::LIQUID)
    return fail(ErrorCause::BAD_FIELD, "FLAG_ACCUMULATE is only defined for POOL_SUM and LIQUID");
  if ((c.flags & FLAG_HISTORY) && c.op != VecOp::CONV1D && c.op != VecOp::LIQUID)
    return fail(ErrorCause::BAD_FIELD, "FLAG_HISTORY is only defined for CONV1D and LIQUID");
  if ((c.flags & FLAG_REVERSE) && c.op != VecOp::LIQUID)
    return fail(ErrorCause::BAD_FIELD, "FLAG_REVERSE is only defined for LIQUID");
  if (c.channels == 0) return fail(ErrorCause::BAD_FIELD, "channels (word 4 bits 15:0) must be at least 1");
  if (c.length == 0) return fail(ErrorCause::BAD_FIELD, "length (word 5) must be at least 1");
  const bool integer = hw.number_format == uint8_t(regs::NumberFormat::INT16) ||
                       hw.number_format == uint8_t(regs::NumberFormat::INT8);
  if (integer && !(std::isfinite(c.out_scale) && c.out_scale > 0.0f))
    return fail(ErrorCause::BAD_FIELD, "out_scale (word 7) must be a positive finite float for the integer formats");
  if (!integer && c.out_scale != 0.0f)
    return fail(ErrorCause::BAD_FIELD, "out_scale (word 7) must be 0 for the float formats");
  if (c.op == VecOp::EMBED && c.b_stride == 0) return fail(ErrorCause::BAD_FIELD, "EMBED needs the vocabulary size in word 4 bits 31:16");
  if (c.op == VecOp::CONV1D && (c.b_stride == 0 || c.b_stride > kMaxConvTaps))
    return fail(ErrorCause::BAD_FIELD, "CONV1D taps K (word 4 bits 31:16) must be in 1..16 (EC_VEC_CONV1D_MAX_TAPS)");
  if (c.op == VecOp::LIQUID && (c.b_stride == 0 || c.b_stride > kMaxLiquidOrders))
    return fail(ErrorCause::BAD_FIELD, "LIQUID orders Q (word 4 bits 31:16) must be in 1..7 (EC_VEC_LIQUID_MAX_ORDERS)");
  const VecShape s = vec_shape(c);
  const SpadId ids[3] = {c.a_spad, c.b_spad, c.d_spad};
  const uint32_t rows[3] = {s.a_rows, s.b_rows, s.d_rows};
  const uint64_t words[3] = {s.a_row_words, s.b_row_words, s.d_row_words};
  const uint32_t steps[3] = {s.a_step, s.b_step, s.d_step};
  const uint32_t addrs[3] = {c.a_addr, c.b_addr, c.d_addr};
  static const char* const kOutside[3] = {"operand A misaligned or outside its scratchpad",
                                          "operand B misaligned or outside its scratchpad",
                                          "destination D misaligned or outside its scratchpad"};
  const uint64_t before[3] = {s.a_before, 0, 0};  // CONV1D history words before each A row
  static const char* const kStride[3] = {"a_stride (words) must be at least the row length (CONV1D with FLAG_HISTORY: length + K-1) (LIQUID with FLAG_HISTORY: length + Q)",
                                         "b_stride (words) must be at least the row length",
                                         "d_stride (words) must be at least the row length"};
  Span spans[3];
  for (int i = 0; i < 3; ++i) {
    if (rows[i] == 0) continue;
    if (uint8_t(ids[i]) >= kNumSpads) return fail(ErrorCause::BAD_SPAD_ID, "operand scratchpad id is not 0 (input), 1 (param) or 2 (output)");
    if (rows[i] > 1 && steps[i] < words[i] + before[i]) return fail(ErrorCause::BAD_FIELD, kStride[i]);
    if (uint64_t(addrs[i]) < 4 * before[i])
      return fail(ErrorCause::BAD_SPAD_ADDRESS, "operand A's history words (CONV1D: K-1, LIQUID: Q; FLAG_HISTORY) lie before the scratchpad start");
    const uint64_t start = addrs[i] - 4 * before[i];
    if (!range_ok(start, rows[i], uint64_t(steps[i]) * 4, (words[i] + before[i]) * 4, hw.spad_bytes[uint8_t(ids[i])]))
      return fail(ErrorCause::BAD_SPAD_ADDRESS, kOutside[i]);
    spans[i] = span_of(uint32_t(start), rows[i], steps[i], words[i] + before[i]);
  }
  // D is either exactly an input operand (same start and row step: in place) or disjoint.
  for (int i = 0; i < 2; ++i) {
    if (rows[i] == 0 || ids[i] != c.d_spad) continue;
    const bool disjoint = spans[2].hi <= spans[i].lo || spans[i].hi <= spans[2].lo;
    const bool b_table = c.op == VecOp::AFFINE || c.op == VecOp::LAYERNORM || c.op == VecOp::RMSNORM ||
                         c.op == VecOp::CONV1D || c.op == VecOp::LIQUID;  // B is a parameter block, never in place
    // LIQUID reads A's neighbours (products of delayed and, reversed, mirrored steps): never in place.
    if (c.op == VecOp::LIQUID && i == 0 && !disjoint)
      return fail(ErrorCause::BAD_FIELD, "LIQUID: destination D must not overlap operand A (with its history words)");
    const bool in_place = addrs[i] == c.d_addr && steps[i] == s.d_step && c.op != VecOp::EMBED &&
                          !(b_table && i == 1);
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
  return validate(r, hw, loaded_segments, 0, hw.cols, why);
}

ErrorCause validate(const Record& r, const HwLimits& hw, uint32_t loaded_segments,
                    uint32_t loaded_reversed, std::string* why) {
  return validate(r, hw, loaded_segments, loaded_reversed, hw.cols, why);
}

ErrorCause validate(const Record& r, const HwLimits& hw, uint32_t loaded_segments,
                    uint32_t loaded_reversed, uint32_t loaded_seg_len, std::string* why) {
  auto fail = [&](ErrorCause c, const char* text) {
    if (why) *why = text;
    return c;
  };
  if (opcode_of(r) != Opcode::RUN_VEC && GET(r, W0_RESERVED) != 0)
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
      if (c.rev_segs != 0 && !hw.segment_direction)
        return fail(ErrorCause::BAD_FIELD, "rev_segs (word 4) must be 0: no per-segment direction (HW_FEATURES.SEGMENT_DIRECTION)");
      if (c.rev_segs > c.n_seg) return fail(ErrorCause::BAD_FIELD, "rev_segs (word 4) must be 0..n_seg");
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
      if ((c.rev_length != 0 || c.rev_in_offset != 0) && !hw.segment_direction)
        return fail(ErrorCause::BAD_FIELD, "rev_length and rev_in_offset (words 6, 7) must be 0: no per-segment direction (HW_FEATURES.SEGMENT_DIRECTION)");
      if (c.rev_length > c.length) return fail(ErrorCause::BAD_FIELD, "rev_length (word 6) must be 0..length");
      if (c.rev_in_offset % 4) return fail(ErrorCause::BAD_FIELD, "rev_in_offset (word 7) must be a multiple of 4");
      const uint32_t n_fwd = loaded_segments - loaded_reversed;
      uint64_t bytes = uint64_t(c.length) * 4;
      if (loaded_segments > 1 && (c.in_stride < bytes || c.out_stride < bytes))
        return fail(ErrorCause::BAD_FIELD, "strides must be at least 4*length bytes");
      // Forward segments use rows 0..n_fwd-1, reversed ones rows 0..loaded_reversed-1.
      const uint32_t rows_used = n_fwd > loaded_reversed ? n_fwd : loaded_reversed;
      const uint64_t rev_bytes = uint64_t(c.rev_length ? c.rev_length : c.length) * 4;
      if (n_fwd && !range_ok(c.in_addr, n_fwd, c.in_stride, bytes, hw.spad_bytes[uint8_t(SpadId::INPUT)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "input range misaligned or outside the input scratchpad");
      if (loaded_reversed && !range_ok(uint64_t(c.in_addr) + c.rev_in_offset, loaded_reversed, c.in_stride,
                                       rev_bytes, hw.spad_bytes[uint8_t(SpadId::INPUT)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "reversed segments' input range misaligned or outside the input scratchpad");
      if (!range_ok(c.out_addr, rows_used, c.out_stride, bytes, hw.spad_bytes[uint8_t(SpadId::OUTPUT)]))
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
    case Opcode::RUN_SCAN: {
      const RunScan c = decode_run_scan(r);
      if (!hw.selective) return fail(ErrorCause::BAD_FIELD, "RUN_SCAN needs a SELECTIVE accelerator (HW_FEATURES bit 3)");
      if (c.flags & ~uint8_t(EC_FLAGS_RUN_SCAN)) return fail(ErrorCause::BAD_FIELD, "RUN_SCAN takes no flag but FLAG_ACCUMULATE and FLAG_RESET_STATE");
      if (c.length == 0) return fail(ErrorCause::BAD_FIELD, "length (word 7) must be at least 1");
      if (loaded_segments == 0) return fail(ErrorCause::BAD_FIELD, "no coefficients loaded (LOAD_COEFFS must come first)");
      if (loaded_reversed != 0)
        return fail(ErrorCause::BAD_FIELD, "RUN_SCAN runs forward segments only: the loaded LOAD_COEFFS has rev_segs (word 4) != 0");
      if (c.coef_spad != SpadId::INPUT && c.coef_spad != SpadId::PARAM)
        return fail(ErrorCause::BAD_SPAD_ID, "coef_spad is not 0 (input) or 1 (param)");
      const uint64_t bytes = uint64_t(c.length) * 4, block = uint64_t(loaded_seg_len) * 8;
      if (loaded_segments > 1 && (uint64_t(c.in_stride) * 4 < bytes || uint64_t(c.out_stride) * 4 < bytes))
        return fail(ErrorCause::BAD_FIELD, "in_stride and out_stride (words) must be at least length");
      if (c.length > 1 && c.coef_stride < block)
        return fail(ErrorCause::BAD_FIELD, "coef_stride must be at least 8*seg_len bytes (B and C of one step)");
      const uint64_t in_size = hw.spad_bytes[uint8_t(SpadId::INPUT)];
      if (!range_ok(c.u_addr, loaded_segments, uint64_t(c.in_stride) * 4, bytes, in_size))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "u range misaligned or outside the input scratchpad");
      if (!range_ok(c.dt_addr, loaded_segments, uint64_t(c.in_stride) * 4, bytes, in_size))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "Delta range misaligned or outside the input scratchpad");
      if (!range_ok(c.out_addr, loaded_segments, uint64_t(c.out_stride) * 4, bytes, hw.spad_bytes[uint8_t(SpadId::OUTPUT)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "output range misaligned or outside the output scratchpad");
      if (!range_ok(c.coef_addr, c.length, c.coef_stride, block, hw.spad_bytes[uint8_t(c.coef_spad)]))
        return fail(ErrorCause::BAD_SPAD_ADDRESS, "coefficient blocks misaligned or outside their scratchpad");
      return ErrorCause::NONE;
    }
  }
  return fail(ErrorCause::UNKNOWN_OPCODE, "opcode is not defined");
}

#endif  // __STDC_HOSTED__

}  // namespace epochcore::cmd
