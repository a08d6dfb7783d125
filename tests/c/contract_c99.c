/* The contract from C99: includes only the umbrella header and uses every part of it
 * (register offsets, fields and the X-macro table; error causes; number formats;
 * opcodes, flags, record fields, inline encoders and accessors; the coefficient
 * record). Built hosted with -std=c99 -Wall -Wextra -Werror -pedantic and run (main
 * returns the number of the first failed check); built again with -DEC_FREESTANDING
 * -ffreestanding for RV32 (no main, no libc). */
#include "epochcore/contract/epochcore.h"

/* A register table derived in C from the one list. */
struct reg_row {
  const char* name;
  uint32_t offset;
  int access;
  uint32_t reset;
};
#define ROW(name, offset, access, reset, fields, desc) {#name, offset, EC_ACCESS_##access, reset},
static const struct reg_row reg_table[] = {EC_REGISTER_LIST(ROW)};
#undef ROW

/* Error names by value, opcode names by code (arrays indexed by the list's values). */
#define ERR_NAME(name, value, desc) [value] = #name,
static const char* const err_names[16] = {EC_ERROR_LIST(ERR_NAME)};
#undef ERR_NAME
#define OP_NAME(name, code, unit, desc) [code] = #name,
static const char* const op_names[EC_NUM_OPCODES] = {EC_OPCODE_LIST(OP_NAME)};
#undef OP_NAME

static int str_eq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

/* What a bare-metal driver does: build a small stream into `out` (5 records). */
int ec_test_build_stream(ec_record out[5]) {
  ec_coeff_record coeffs[2];
  coeffs[0].a_re = 0.5f;
  coeffs[1].reserved = 0.0f;
  ec_encode_dma(&out[0], 1, 0x80003000ull, EC_SPAD_PARAM, 0, (uint32_t)sizeof coeffs, 1, 0, 0);
  ec_encode_simple(&out[1], EC_OP_BARRIER);
  ec_encode_load_coeffs(&out[2], 0, 2, 1);
  ec_encode_run_ssm(&out[3], EC_FLAG_RESET_STATE | EC_FLAG_ACCUMULATE, 0, 516, 0, 516, 127);
  ec_encode_simple(&out[4], EC_OP_END);
  return (int)(sizeof coeffs / EC_COEFF_RECORD_BYTES);
}

/* Returns 0 when every check holds, else the number of the first that failed. */
int ec_test_contract(void) {
  ec_record s[5], r, back;
  uint8_t bytes[EC_RECORD_BYTES];
  unsigned i;

  /* Registers. */
  if (sizeof reg_table / sizeof reg_table[0] != EC_NUM_REGISTERS) return 1;
  if (reg_table[0].offset != EC_REG_ID || reg_table[0].reset != EC_ID_VALUE) return 2;
  if (!str_eq(reg_table[EC_NUM_REGISTERS - 1].name, "HW_VECTOR") ||
      reg_table[EC_NUM_REGISTERS - 1].offset != EC_REG_HW_VECTOR)
    return 3;
  for (i = 0; i < EC_NUM_REGISTERS; ++i)
    if (reg_table[i].offset % EC_REG_BYTES || reg_table[i].offset >= EC_CSR_WINDOW_BYTES) return 4;
  if (reg_table[EC_REG_IRQ_STATUS / EC_REG_BYTES].access != EC_ACCESS_W1C) return 5;
  if (EC_REGF_GET(VERSION_MAJOR, EC_VERSION_VALUE) != EC_VERSION_MAJOR_VALUE) return 6;
  if (EC_REGF_GET(HW_ARRAY_COLS, 0x00200010u) != 32 || EC_REGF_GET(HW_ARRAY_ROWS, 0x00200010u) != 16) return 7;
  if (EC_REGF_PUT(SPAD_GEOM_PORTS, 2) != 0x00020000u || EC_REGF_MASK(HW_VECTOR_LANES) != 0xFFFF0000u) return 8;
  if ((EC_STATUS_BUSY | EC_STATUS_DONE | EC_STATUS_ERROR) != 7u || EC_IRQ_ERROR != 2u) return 9;
  if (EC_CTRL_SOFT_RESET != 1u || EC_FEATURE_REAL_ONLY != 2u || EC_FEATURE_SEGMENTS != 1u) return 10;
  if (!str_eq(err_names[EC_ERR_BAD_TOKEN], "BAD_TOKEN") || err_names[7] != 0) return 11;
  if (EC_FMT_INT8 != 4 || EC_NUM_FORMATS != 5 || EC_ERR_INDEX_NONE != 0xFFFFFFFFu) return 12;

  /* Commands. */
  if (ec_test_build_stream(s) != 2) return 13;
  if (ec_record_opcode(&s[0]) != EC_OP_DMA_IN || EC_CMD_GET(&s[0], DMA_SPAD) != EC_SPAD_PARAM) return 14;
  if (ec_dma_sys_addr(&s[0]) != 0x80003000ull || s[0].w[EC_DMA_ROW_BYTES_WORD] != 64) return 15;
  if (ec_record_opcode(&s[1]) != EC_OP_BARRIER || ec_record_opcode(&s[4]) != EC_OP_END) return 16;
  if (s[2].w[EC_LC_N_SEG_WORD] != 2 || s[2].w[EC_LC_SEG_LEN_WORD] != 1) return 17;
  /* As record 21 of the worked example in docs/commands.md: w0 = 0x00000304. */
  if (s[3].w[0] != 0x00000304u || ec_record_flags(&s[3]) != 3u || s[3].w[EC_SSM_LENGTH_WORD] != 0x7Fu) return 18;
  if (!str_eq(op_names[ec_record_opcode(&s[3])], "RUN_SSM")) return 19;

  ec_encode_run_gemm(&r, EC_FLAGS_RUN_GEMM, 64, 0, 16, 0, 32, 4, 8, 3);
  if (EC_CMD_GET(&r, GEMM_K) != 4 || EC_CMD_GET(&r, GEMM_N) != 8 || r.w[6] != 0x00080004u) return 20;
  ec_encode_run_vec(&r, EC_VEC_POOL_SUM, EC_FLAG_ACCUMULATE, EC_SPAD_OUTPUT, EC_SPAD_PARAM,
                    EC_SPAD_INPUT, 4, 8, 12, 3, 5, 100, 7, 1, ec_float_bits(0.25f));
  if (EC_CMD_GET(&r, VEC_OP) != EC_VEC_POOL_SUM || EC_CMD_GET(&r, VEC_A_SPAD) != EC_SPAD_OUTPUT) return 21;
  if (EC_CMD_GET(&r, VEC_B_SPAD) != EC_SPAD_PARAM || EC_CMD_GET(&r, VEC_D_SPAD) != EC_SPAD_INPUT) return 22;
  if (EC_CMD_GET(&r, VEC_RESERVED) != 0 || r.w[0] != 0x06090108u) return 23;
  if (EC_CMD_GET(&r, VEC_CHANNELS) != 3 || EC_CMD_GET(&r, VEC_B_STRIDE) != 5) return 24;
  if (EC_CMD_GET(&r, VEC_A_STRIDE) != 7 || EC_CMD_GET(&r, VEC_D_STRIDE) != 1) return 25;
  if (r.w[EC_VEC_OUT_SCALE_WORD] != 0x3E800000u) return 26;
  ec_encode_run_scan(&r, EC_FLAGS_RUN_SCAN, EC_SPAD_PARAM, 4, 8, 300, 301, 12, 16, 64, 100);
  if (r.w[0] != 0x00010309u || EC_CMD_GET(&r, SCAN_COEF_SPAD) != EC_SPAD_PARAM) return 31;
  if (r.w[3] != ((301u << 16) | 300u) || r.w[EC_SCAN_COEF_STRIDE_WORD] != 64u || r.w[EC_SCAN_LENGTH_WORD] != 100u) return 32;

  ec_record_to_bytes(&s[0], bytes);
  if (bytes[0] != EC_OP_DMA_IN || bytes[2] != EC_SPAD_PARAM || bytes[4] != 0x00 || bytes[5] != 0x30) return 27;
  ec_record_from_bytes(&back, bytes);
  for (i = 0; i < EC_RECORD_WORDS; ++i)
    if (back.w[i] != s[0].w[i]) return 28;
  if (sizeof(ec_coeff_record) != EC_COEFF_RECORD_BYTES || offsetof(ec_coeff_record, d) != 24) return 29;
  if (EC_NUM_OPCODES != 10 || EC_NUM_VEC_OPS != 17 || EC_NUM_SPADS != 3) return 30;
  if (EC_FLAGS_RUN_VEC != (EC_FLAG_ACCUMULATE | EC_FLAG_HISTORY | EC_FLAG_REVERSE) || EC_FLAG_HISTORY != 8) return 31;
  return 0;
}

#ifndef EC_FREESTANDING
int main(void) { return ec_test_contract(); }
#endif
