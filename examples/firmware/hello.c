/* A minimal bare-metal program for the EpochCore RV32 SoC (docs/firmware.md): reads the
 * accelerator's identification, runs one small GEMM job through the contract header's
 * encoders (a hand-written command stream), waits for the interrupt with wfi, checks the
 * result and prints through the console. Needs only the C99 contract: no driver, no libc. */
#include <stdint.h>

#include "epochcore/contract/epochcore.h"
#include "epochcore/firmware/rv32/rv32_soc.h"

#define REG(off) (*(volatile uint32_t*)(uintptr_t)(EC_RV32_CSR_BASE + (off)))
#define CONSOLE (*(volatile uint32_t*)(uintptr_t)(EC_RV32_CONSOLE_BASE + EC_RV32_CONSOLE_TX))

static void put_str(const char* s) {
  while (*s) CONSOLE = (uint8_t)*s++;
}
static void put_hex(uint32_t v) {
  put_str("0x");
  for (int i = 7; i >= 0; --i) CONSOLE = (uint8_t)"0123456789abcdef"[(v >> (4 * i)) & 15];
}
static void put_dec(uint32_t v) {
  char b[11];
  int n = 0;
  do b[n++] = (char)('0' + v % 10); while (v /= 10);
  while (n) CONSOLE = (uint8_t)b[--n];
}

/* The job's buffers in system memory (0x0000_0000 upwards; the platform loads its own
 * workload from 0x1000, which this program does not use: it works at 64 MiB). */
#define M 4 /* rows of A and C */
#define K 3 /* inner dimension: weight rows */
#define N 2 /* columns of B and C */
#define BASE 0x04000000u
static float* const A = (float*)(uintptr_t)(BASE);           /* [M][K] */
static float* const B = (float*)(uintptr_t)(BASE + 0x100);   /* [K][N] */
static float* const C = (float*)(uintptr_t)(BASE + 0x200);   /* [M][N] */
static ec_record* const stream = (ec_record*)(uintptr_t)(BASE + 0x400);

static void wait_for_accelerator(void) {
  /* MEIE on, global MIE off: wfi wakes on the accelerator's irq without taking a trap. */
  __asm__ volatile("csrs mie, %0" ::"r"(1u << EC_RV32_IRQ_MEI));
  while ((REG(EC_REG_IRQ_STATUS) & REG(EC_REG_IRQ_ENABLE)) == 0) __asm__ volatile("wfi");
}

int main(void) {
  const uint32_t id = REG(EC_REG_ID), version = REG(EC_REG_VERSION);
  put_str("hello from RV32: accelerator ID ");
  put_hex(id);
  put_str(", register map ");
  put_dec(EC_REGF_GET(VERSION_MAJOR, version));
  put_str(".");
  put_dec(EC_REGF_GET(VERSION_MINOR, version));
  put_str("\n");
  if (id != EC_ID_VALUE) return 2;

  /* Small integers: every product and sum is exact in float32. */
  for (int i = 0; i < M; ++i)
    for (int k = 0; k < K; ++k) A[i * K + k] = (float)(i + k);
  for (int k = 0; k < K; ++k)
    for (int j = 0; j < N; ++j) B[k * N + j] = (float)(k * N + j + 1);

  int n = 0;
  ec_encode_dma(&stream[n++], 1, BASE, EC_SPAD_INPUT, 0, 4 * K * M, 1, 0, 0);          /* A -> input */
  ec_encode_dma(&stream[n++], 1, BASE + 0x100, EC_SPAD_PARAM, 0, 4 * K * N, 1, 0, 0);  /* B -> param */
  ec_encode_simple(&stream[n++], EC_OP_BARRIER);
  ec_encode_run_gemm(&stream[n++], 0, 0, 0, 4 * K, 0, 4 * N, K, N, M);
  ec_encode_simple(&stream[n++], EC_OP_BARRIER);
  ec_encode_dma(&stream[n++], 0, BASE + 0x200, EC_SPAD_OUTPUT, 0, 4 * N * M, 1, 0, 0); /* C <- output */
  ec_encode_simple(&stream[n++], EC_OP_BARRIER);
  ec_encode_simple(&stream[n++], EC_OP_END);

  REG(EC_REG_IRQ_ENABLE) = EC_REGF_MASK(IRQ_DONE) | EC_REGF_MASK(IRQ_ERROR);
  REG(EC_REG_CMD_BASE_LO) = (uint32_t)(uintptr_t)stream;
  REG(EC_REG_CMD_BASE_HI) = 0;
  REG(EC_REG_CMD_LEN) = (uint32_t)(n * EC_RECORD_BYTES);
  REG(EC_REG_DOORBELL) = 1;
  wait_for_accelerator();
  const uint32_t status = REG(EC_REG_STATUS);
  REG(EC_REG_IRQ_STATUS) = REG(EC_REG_IRQ_STATUS); /* acknowledge */
  if (status & EC_REGF_MASK(STATUS_ERROR)) {
    put_str("job error: cause ");
    put_dec(REG(EC_REG_ERR_CAUSE));
    put_str(" at command ");
    put_dec(REG(EC_REG_ERR_CMD_INDEX));
    put_str("\n");
    return 3;
  }

  int wrong = 0;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float want = 0.0f;
      for (int k = 0; k < K; ++k) want += A[i * K + k] * B[k * N + j];
      wrong += C[i * N + j] != want;
    }
  put_str("GEMM ");
  put_dec(M);
  put_str("x");
  put_dec(N);
  put_str("x");
  put_dec(K);
  put_str(wrong ? ": WRONG" : ": correct");
  put_str(", accelerator cycles ");
  put_dec(REG(EC_REG_CYCLE_LO));
  put_str("\n");
  return wrong ? 1 : 0;
}
