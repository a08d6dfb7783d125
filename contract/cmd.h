/* The ProDF command-stream format: THE definition (C99, freestanding: only <stdint.h>
 * and <stddef.h>). Fixed 32-byte records of eight little-endian 32-bit words in system
 * memory. The command processor, the firmware, the C++ helpers (commands.h) and
 * docs/commands.md derive from the lists below. The static inline encoders let a
 * bare-metal driver build records without the C++ helpers.
 */
#ifndef EPOCHCORE_CONTRACT_CMD_H
#define EPOCHCORE_CONTRACT_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "epochcore/contract/regs.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EC_RECORD_BYTES 32u
#define EC_RECORD_WORDS 8u

/* X(name, code, unit, what it does). */
#define EC_OPCODE_LIST(X) \
  X(NOP, 0x00, "-", "nothing") \
  X(DMA_IN, 0x01, "DMA", "system memory -> scratchpad, 1-D or 2-D strided") \
  X(DMA_OUT, 0x02, "DMA", "scratchpad -> system memory, 1-D or 2-D strided") \
  X(LOAD_COEFFS, 0x03, "compute", "parameter scratchpad -> PE coefficient registers; clears all PE states") \
  X(RUN_SSM, 0x04, "compute", "one ProDF run of `length` time steps on the loaded segments") \
  X(BARRIER, 0x05, "-", "waits until every earlier command has completed") \
  X(END, 0x06, "-", "the stream is complete: `STATUS.DONE`, DONE interrupt") \
  X(RUN_GEMM, 0x07, "compute", "one weight-stationary GEMM fold in MAC mode") \
  X(RUN_VEC, 0x08, "compute (vector unit)", "one vector-unit operation over a scratchpad tile") \
  X(RUN_SCAN, 0x09, "compute", "one selective-scan (Mamba S6) run of `length` steps on the loaded segments (SELECTIVE accelerators)")
#define EC_X_OP_(name, code, unit, desc) EC_OP_##name = code,
enum ec_opcode { EC_OPCODE_LIST(EC_X_OP_) };
#define EC_X_OP_COUNT_(name, code, unit, desc) +1
enum { EC_NUM_OPCODES = 0 EC_OPCODE_LIST(EC_X_OP_COUNT_) };

/* Flags (word 0 bits 15:8): X(name, bit, meaning). RUN_GEMM takes FLAG_ACCUMULATE alone;
 * RUN_VEC takes FLAG_ACCUMULATE (POOL_SUM, LIQUID), FLAG_HISTORY (CONV1D, LIQUID) and
 * FLAG_REVERSE (LIQUID only). */
#define EC_FLAG_LIST(X) \
  X(ACCUMULATE, 0, "RUN_SSM, RUN_SCAN: out += y instead of out = y (mode passes); RUN_GEMM, RUN_VEC POOL_SUM: add to the old output; RUN_VEC LIQUID: the sum starts from D, not A") \
  X(RESET_STATE, 1, "RUN_SSM, RUN_SCAN: clear PE states before the pass (else they carry on)") \
  X(REVERSE, 2, "RUN_SSM: step k reads and writes element length-1-k (backward layers); RUN_VEC LIQUID: output t takes the products of step length-1-t") \
  X(HISTORY, 3, "RUN_VEC CONV1D: the K-1 words before each A row are the previous inputs (else zeros); LIQUID: likewise the Q words")
#define EC_X_FLAG_(name, bit, desc) EC_FLAG_##name = 1 << (bit),
enum ec_flag { EC_FLAG_LIST(EC_X_FLAG_) };
#define EC_FLAGS_RUN_SSM (EC_FLAG_ACCUMULATE | EC_FLAG_RESET_STATE | EC_FLAG_REVERSE)
#define EC_FLAGS_RUN_GEMM EC_FLAG_ACCUMULATE
#define EC_FLAGS_RUN_VEC (EC_FLAG_ACCUMULATE | EC_FLAG_HISTORY | EC_FLAG_REVERSE)
#define EC_FLAGS_RUN_SCAN (EC_FLAG_ACCUMULATE | EC_FLAG_RESET_STATE)

/* Scratchpad ids (DMA word 0 bits 23:16; RUN_VEC operand ids). */
enum ec_spad_id { EC_SPAD_INPUT = 0, EC_SPAD_PARAM = 1, EC_SPAD_OUTPUT = 2 };
enum { EC_NUM_SPADS = 3 };

/* RUN_VEC operations (word 0 bits 23:16): X(name, code). docs/vector-unit.md. */
#define EC_VEC_OP_LIST(X) \
  X(COPY, 0) X(ZERO, 1) X(GELU, 2) X(GLU, 3) X(ADD, 4) X(SUB, 5) X(MUL, 6) X(AFFINE, 7) \
  X(LAYERNORM, 8) X(POOL_SUM, 9) X(EMBED, 10) X(RMSNORM, 11) X(CONV1D, 12) X(SILU, 13) \
  X(SOFTPLUS, 14) X(GATE, 15) X(LIQUID, 16)
#define EC_X_VEC_OP_(name, code) EC_VEC_##name = code,
enum ec_vec_op { EC_VEC_OP_LIST(EC_X_VEC_OP_) };
#define EC_X_VEC_OP_COUNT_(name, code) +1
enum { EC_NUM_VEC_OPS = 0 EC_VEC_OP_LIST(EC_X_VEC_OP_COUNT_) };
/* CONV1D: the number of taps K (word 4 bits 31:16, the b_stride field) is 1..this. */
#define EC_VEC_CONV1D_MAX_TAPS 16u
/* LIQUID: the number of liquid orders Q = P-1 (word 4 bits 31:16, the b_stride field) is
 * 1..this (Liquid-S4 liquid_degree P <= 8). docs/liquid-s4.md. */
#define EC_VEC_LIQUID_MAX_ORDERS 7u

/* Record fields: X(group, field, word, shift, width, name in docs/commands.md) gives
 * EC_<group>_<field>_WORD, _SHIFT and _WIDTH. W0 is word 0 as every opcode has it; the
 * other groups are the per-opcode layouts (their tables in docs/commands.md). */
#define EC_CMD_FIELD_LIST(X) \
  X(W0, OPCODE, 0, 0, 8, "opcode") \
  X(W0, FLAGS, 0, 8, 8, "flags") \
  X(W0, SPAD, 0, 16, 8, "spad") \
  X(W0, RESERVED, 0, 24, 8, "reserved") \
  X(DMA, SPAD, 0, 16, 8, "spad") \
  X(DMA, SYS_ADDR_LO, 1, 0, 32, "sys_addr low") \
  X(DMA, SYS_ADDR_HI, 2, 0, 32, "sys_addr high") \
  X(DMA, SPAD_ADDR, 3, 0, 32, "spad_addr") \
  X(DMA, ROW_BYTES, 4, 0, 32, "row_bytes") \
  X(DMA, ROWS, 5, 0, 32, "rows") \
  X(DMA, SYS_STRIDE, 6, 0, 32, "sys_stride") \
  X(DMA, SPAD_STRIDE, 7, 0, 32, "spad_stride") \
  X(LC, PARAM_ADDR, 1, 0, 32, "param_addr") \
  X(LC, N_SEG, 2, 0, 32, "n_seg") \
  X(LC, SEG_LEN, 3, 0, 32, "seg_len") \
  X(LC, REV_SEGS, 4, 0, 32, "rev_segs") \
  X(SSM, FLAGS, 0, 8, 8, "flags") \
  X(SSM, IN_ADDR, 1, 0, 32, "in_addr") \
  X(SSM, IN_STRIDE, 2, 0, 32, "in_stride") \
  X(SSM, OUT_ADDR, 3, 0, 32, "out_addr") \
  X(SSM, OUT_STRIDE, 4, 0, 32, "out_stride") \
  X(SSM, LENGTH, 5, 0, 32, "length") \
  X(SSM, REV_LENGTH, 6, 0, 32, "rev_length") \
  X(SSM, REV_IN_OFFSET, 7, 0, 32, "rev_in_offset") \
  X(GEMM, FLAGS, 0, 8, 8, "flags") \
  X(GEMM, PARAM_ADDR, 1, 0, 32, "param_addr") \
  X(GEMM, IN_ADDR, 2, 0, 32, "in_addr") \
  X(GEMM, IN_STRIDE, 3, 0, 32, "in_stride") \
  X(GEMM, OUT_ADDR, 4, 0, 32, "out_addr") \
  X(GEMM, OUT_STRIDE, 5, 0, 32, "out_stride") \
  X(GEMM, K, 6, 0, 16, "k") \
  X(GEMM, N, 6, 16, 16, "n") \
  X(GEMM, M, 7, 0, 32, "m") \
  X(VEC, FLAGS, 0, 8, 8, "flags") \
  X(VEC, OP, 0, 16, 8, "op") \
  X(VEC, A_SPAD, 0, 24, 2, "a_spad") \
  X(VEC, B_SPAD, 0, 26, 2, "b_spad") \
  X(VEC, D_SPAD, 0, 28, 2, "d_spad") \
  X(VEC, RESERVED, 0, 30, 2, "reserved") \
  X(VEC, A_ADDR, 1, 0, 32, "a_addr") \
  X(VEC, B_ADDR, 2, 0, 32, "b_addr") \
  X(VEC, D_ADDR, 3, 0, 32, "d_addr") \
  X(VEC, CHANNELS, 4, 0, 16, "channels") \
  X(VEC, B_STRIDE, 4, 16, 16, "b_stride") \
  X(VEC, LENGTH, 5, 0, 32, "length") \
  X(VEC, A_STRIDE, 6, 0, 16, "a_stride") \
  X(VEC, D_STRIDE, 6, 16, 16, "d_stride") \
  X(VEC, OUT_SCALE, 7, 0, 32, "out_scale") \
  X(SCAN, FLAGS, 0, 8, 8, "flags") \
  X(SCAN, COEF_SPAD, 0, 16, 8, "coef_spad") \
  X(SCAN, U_ADDR, 1, 0, 32, "u_addr") \
  X(SCAN, DT_ADDR, 2, 0, 32, "dt_addr") \
  X(SCAN, IN_STRIDE, 3, 0, 16, "in_stride") \
  X(SCAN, OUT_STRIDE, 3, 16, 16, "out_stride") \
  X(SCAN, OUT_ADDR, 4, 0, 32, "out_addr") \
  X(SCAN, COEF_ADDR, 5, 0, 32, "coef_addr") \
  X(SCAN, COEF_STRIDE, 6, 0, 32, "coef_stride") \
  X(SCAN, LENGTH, 7, 0, 32, "length")
#define EC_X_CMD_FIELD_(group, field, word, shift, width, doc) \
  EC_##group##_##field##_WORD = word, EC_##group##_##field##_SHIFT = shift, \
  EC_##group##_##field##_WIDTH = width,
enum ec_cmd_field { EC_CMD_FIELD_LIST(EC_X_CMD_FIELD_) };

/* One record as eight host-order words (store them little-endian: ec_record_to_bytes). */
typedef struct ec_record {
  uint32_t w[EC_RECORD_WORDS];
} ec_record;

/* Field access by name: EC_CMD_GET(r, GEMM_N), EC_CMD_SET(r, VEC_A_SPAD, id). */
#define EC_CMD_MASK(f) EC_FIELD_MASK(EC_##f##_SHIFT, EC_##f##_WIDTH)
#define EC_CMD_GET(r, f) EC_FIELD_GET((r)->w[EC_##f##_WORD], EC_##f##_SHIFT, EC_##f##_WIDTH)
#define EC_CMD_SET(r, f, v) \
  ((r)->w[EC_##f##_WORD] = ((r)->w[EC_##f##_WORD] & ~EC_CMD_MASK(f)) | \
                           EC_FIELD_PUT(v, EC_##f##_SHIFT, EC_##f##_WIDTH))

/* One PE's coefficients as stored in the parameter scratchpad, little-endian float32:
 * x = a*x + b*u;  psum_out = psum_in + Re(c*x) + d*u. */
#define EC_COEFF_RECORD_BYTES 32u
typedef struct ec_coeff_record {
  float a_re, a_im, b_re, b_im, c_re, c_im, d, reserved;
} ec_coeff_record;
/* C99 static check: the array size is negative (a compile error) unless 32 bytes. */
typedef char ec_coeff_record_is_32_bytes[(sizeof(ec_coeff_record) == EC_COEFF_RECORD_BYTES) ? 1 : -1];

/* ----------------------------------------------------------------- encoders */
static inline void ec_record_clear(ec_record* r) {
  unsigned i;
  for (i = 0; i < EC_RECORD_WORDS; ++i) r->w[i] = 0;
}

/* Word 0: opcode, flags, scratchpad id (DMA) or vector operation (RUN_VEC). */
static inline uint32_t ec_word0(uint32_t opcode, uint32_t flags, uint32_t spad) {
  return EC_FIELD_PUT(opcode, EC_W0_OPCODE_SHIFT, EC_W0_OPCODE_WIDTH) |
         EC_FIELD_PUT(flags, EC_W0_FLAGS_SHIFT, EC_W0_FLAGS_WIDTH) |
         EC_FIELD_PUT(spad, EC_W0_SPAD_SHIFT, EC_W0_SPAD_WIDTH);
}

/* NOP, BARRIER, END: no fields. */
static inline void ec_encode_simple(ec_record* r, uint32_t opcode) {
  ec_record_clear(r);
  r->w[0] = ec_word0(opcode, 0, 0);
}

/* DMA_IN (to_spad != 0) or DMA_OUT; rows = 1 for a 1-D transfer. */
static inline void ec_encode_dma(ec_record* r, int to_spad, uint64_t sys_addr, uint32_t spad,
                                 uint32_t spad_addr, uint32_t row_bytes, uint32_t rows,
                                 uint32_t sys_stride, uint32_t spad_stride) {
  ec_record_clear(r);
  r->w[0] = ec_word0(to_spad ? EC_OP_DMA_IN : EC_OP_DMA_OUT, 0, 0);
  EC_CMD_SET(r, DMA_SPAD, spad);
  r->w[EC_DMA_SYS_ADDR_LO_WORD] = (uint32_t)sys_addr;
  r->w[EC_DMA_SYS_ADDR_HI_WORD] = (uint32_t)(sys_addr >> 32);
  r->w[EC_DMA_SPAD_ADDR_WORD] = spad_addr;
  r->w[EC_DMA_ROW_BYTES_WORD] = row_bytes;
  r->w[EC_DMA_ROWS_WORD] = rows;
  r->w[EC_DMA_SYS_STRIDE_WORD] = sys_stride;
  r->w[EC_DMA_SPAD_STRIDE_WORD] = spad_stride;
}

static inline void ec_encode_load_coeffs(ec_record* r, uint32_t param_addr, uint32_t n_seg,
                                         uint32_t seg_len) {
  ec_record_clear(r);
  r->w[0] = ec_word0(EC_OP_LOAD_COEFFS, 0, 0);
  r->w[EC_LC_PARAM_ADDR_WORD] = param_addr;
  r->w[EC_LC_N_SEG_WORD] = n_seg;
  r->w[EC_LC_SEG_LEN_WORD] = seg_len;
}

/* Per-segment direction (HW_FEATURES.SEGMENT_DIRECTION): the last rev_segs of the n_seg
 * segments step backwards in every RUN_SSM until the next LOAD_COEFFS (0: none). */
static inline void ec_set_load_coeffs_rev_segs(ec_record* r, uint32_t rev_segs) {
  r->w[EC_LC_REV_SEGS_WORD] = rev_segs;
}

/* RUN_SSM with reversed segments loaded: they step rev_length time steps (0: length) and
 * read their input rev_in_offset bytes further into their rows. */
static inline void ec_set_run_ssm_reversed(ec_record* r, uint32_t rev_length, uint32_t rev_in_offset) {
  r->w[EC_SSM_REV_LENGTH_WORD] = rev_length;
  r->w[EC_SSM_REV_IN_OFFSET_WORD] = rev_in_offset;
}

static inline void ec_encode_run_ssm(ec_record* r, uint32_t flags, uint32_t in_addr,
                                     uint32_t in_stride, uint32_t out_addr,
                                     uint32_t out_stride, uint32_t length) {
  ec_record_clear(r);
  r->w[0] = ec_word0(EC_OP_RUN_SSM, 0, 0);
  EC_CMD_SET(r, SSM_FLAGS, flags);
  r->w[EC_SSM_IN_ADDR_WORD] = in_addr;
  r->w[EC_SSM_IN_STRIDE_WORD] = in_stride;
  r->w[EC_SSM_OUT_ADDR_WORD] = out_addr;
  r->w[EC_SSM_OUT_STRIDE_WORD] = out_stride;
  r->w[EC_SSM_LENGTH_WORD] = length;
}

static inline void ec_encode_run_gemm(ec_record* r, uint32_t flags, uint32_t param_addr,
                                      uint32_t in_addr, uint32_t in_stride, uint32_t out_addr,
                                      uint32_t out_stride, uint16_t k, uint16_t n, uint32_t m) {
  ec_record_clear(r);
  r->w[0] = ec_word0(EC_OP_RUN_GEMM, 0, 0);
  EC_CMD_SET(r, GEMM_FLAGS, flags);
  r->w[EC_GEMM_PARAM_ADDR_WORD] = param_addr;
  r->w[EC_GEMM_IN_ADDR_WORD] = in_addr;
  r->w[EC_GEMM_IN_STRIDE_WORD] = in_stride;
  r->w[EC_GEMM_OUT_ADDR_WORD] = out_addr;
  r->w[EC_GEMM_OUT_STRIDE_WORD] = out_stride;
  EC_CMD_SET(r, GEMM_K, k);
  EC_CMD_SET(r, GEMM_N, n);
  r->w[EC_GEMM_M_WORD] = m;
}

/* RUN_VEC; out_scale_bits is the float32 bit pattern of the output scale (0 for the
 * float formats): ec_float_bits converts. */
static inline void ec_encode_run_vec(ec_record* r, uint32_t op, uint32_t flags, uint32_t a_spad,
                                     uint32_t b_spad, uint32_t d_spad, uint32_t a_addr,
                                     uint32_t b_addr, uint32_t d_addr, uint16_t channels,
                                     uint16_t b_stride, uint32_t length, uint16_t a_stride,
                                     uint16_t d_stride, uint32_t out_scale_bits) {
  ec_record_clear(r);
  r->w[0] = ec_word0(EC_OP_RUN_VEC, 0, 0);
  EC_CMD_SET(r, VEC_FLAGS, flags);
  EC_CMD_SET(r, VEC_OP, op);
  EC_CMD_SET(r, VEC_A_SPAD, a_spad);
  EC_CMD_SET(r, VEC_B_SPAD, b_spad);
  EC_CMD_SET(r, VEC_D_SPAD, d_spad);
  r->w[EC_VEC_A_ADDR_WORD] = a_addr;
  r->w[EC_VEC_B_ADDR_WORD] = b_addr;
  r->w[EC_VEC_D_ADDR_WORD] = d_addr;
  EC_CMD_SET(r, VEC_CHANNELS, channels);
  EC_CMD_SET(r, VEC_B_STRIDE, b_stride);
  r->w[EC_VEC_LENGTH_WORD] = length;
  EC_CMD_SET(r, VEC_A_STRIDE, a_stride);
  EC_CMD_SET(r, VEC_D_STRIDE, d_stride);
  r->w[EC_VEC_OUT_SCALE_WORD] = out_scale_bits;
}

/* RUN_SCAN: strides in words (16 bits), the coefficient stream in scratchpad coef_spad
 * (EC_SPAD_INPUT or EC_SPAD_PARAM), its step stride in bytes. */
static inline void ec_encode_run_scan(ec_record* r, uint32_t flags, uint32_t coef_spad,
                                      uint32_t u_addr, uint32_t dt_addr, uint16_t in_stride,
                                      uint16_t out_stride, uint32_t out_addr, uint32_t coef_addr,
                                      uint32_t coef_stride, uint32_t length) {
  ec_record_clear(r);
  r->w[0] = ec_word0(EC_OP_RUN_SCAN, 0, 0);
  EC_CMD_SET(r, SCAN_FLAGS, flags);
  EC_CMD_SET(r, SCAN_COEF_SPAD, coef_spad);
  r->w[EC_SCAN_U_ADDR_WORD] = u_addr;
  r->w[EC_SCAN_DT_ADDR_WORD] = dt_addr;
  EC_CMD_SET(r, SCAN_IN_STRIDE, in_stride);
  EC_CMD_SET(r, SCAN_OUT_STRIDE, out_stride);
  r->w[EC_SCAN_OUT_ADDR_WORD] = out_addr;
  r->w[EC_SCAN_COEF_ADDR_WORD] = coef_addr;
  r->w[EC_SCAN_COEF_STRIDE_WORD] = coef_stride;
  r->w[EC_SCAN_LENGTH_WORD] = length;
}

/* float32 bit pattern (C99 allows reading another union member). */
static inline uint32_t ec_float_bits(float f) {
  union { float f; uint32_t u; } v;
  v.f = f;
  return v.u;
}

/* ----------------------------------------------------------------- accessors */
static inline uint32_t ec_record_opcode(const ec_record* r) { return EC_CMD_GET(r, W0_OPCODE); }
static inline uint32_t ec_record_flags(const ec_record* r) { return EC_CMD_GET(r, W0_FLAGS); }
static inline uint64_t ec_dma_sys_addr(const ec_record* r) {
  return (uint64_t)r->w[EC_DMA_SYS_ADDR_LO_WORD] | ((uint64_t)r->w[EC_DMA_SYS_ADDR_HI_WORD] << 32);
}

/* Little-endian byte form, as the records sit in memory (any host byte order). */
static inline void ec_record_to_bytes(const ec_record* r, uint8_t out[EC_RECORD_BYTES]) {
  unsigned i, b;
  for (i = 0; i < EC_RECORD_WORDS; ++i)
    for (b = 0; b < 4; ++b) out[4 * i + b] = (uint8_t)(r->w[i] >> (8 * b));
}
static inline void ec_record_from_bytes(ec_record* r, const uint8_t in[EC_RECORD_BYTES]) {
  unsigned i;
  for (i = 0; i < EC_RECORD_WORDS; ++i)
    r->w[i] = (uint32_t)in[4 * i] | ((uint32_t)in[4 * i + 1] << 8) |
              ((uint32_t)in[4 * i + 2] << 16) | ((uint32_t)in[4 * i + 3] << 24);
}

#ifdef __cplusplus
}
#endif

#endif /* EPOCHCORE_CONTRACT_CMD_H */
