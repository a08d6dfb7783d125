/* The job block: what the platform asks the firmware to run and what the firmware
 * reports back, in the mailbox (host.cpu: rv32; firmware/rv32/rv32_soc.h) or in host
 * memory (host.cpu: model). C99, freestanding, little-endian, every field naturally
 * aligned so the layout is the same on RV32 (ilp32) and x86-64.
 *
 * The platform writes ec_fw_job at the mailbox's offset 0 before the core starts; the
 * firmware writes ec_fw_result at EC_FW_RESULT_OFFSET, then writes the exit device
 * (0 when result.ok). */
#ifndef EPOCHCORE_FIRMWARE_RUNNER_JOB_BLOCK_H
#define EPOCHCORE_FIRMWARE_RUNNER_JOB_BLOCK_H

#include <stdint.h>

#define EC_FW_JOB_MAGIC 0x424A4345u    /* "ECJB" */
#define EC_FW_RESULT_MAGIC 0x52464345u /* "ECFR" */
#define EC_FW_JOB_VERSION 1u
#define EC_FW_RESULT_OFFSET 0x1000u    /* from the job block */
#define EC_FW_MESSAGE_BYTES 256u
#define EC_FW_MAX_STAGES 256u          /* model image stages with a result slot */

enum ec_fw_job_kind {
  EC_FW_JOB_NONE = 0,
  EC_FW_JOB_S4D_LAYER = 1, /* fw::s4d_layer_run */
  EC_FW_JOB_GEMM = 2,      /* fw::gemm_run */
  EC_FW_JOB_MODEL = 3      /* fw::run_model_image: a compiled model's streams */
};

typedef struct ec_fw_job {
  uint32_t magic;   /* EC_FW_JOB_MAGIC */
  uint32_t version; /* EC_FW_JOB_VERSION */
  uint32_t kind;    /* enum ec_fw_job_kind */
  uint32_t flags;   /* reserved, 0 */
  /* S4D layer (fw::S4dLayerJob) */
  uint32_t H, M, L, B;
  uint32_t directions, single_buffer, resident, reserved0;
  uint32_t input_spad, input_row_words, output_spad, output_row_words;
  uint64_t params_addr, input_addr, output_addr;
  /* S4D layer and GEMM: the workspace (coefficient records, command stream) */
  uint64_t workspace_addr, workspace_bytes;
  /* GEMM (fw::GemmJob) */
  uint32_t gemm_m, gemm_n, gemm_k, reserved1;
  uint64_t a_addr, b_addr, c_addr;
  /* model: the image's stage table (firmware/runner/model_image.h) */
  uint64_t image_addr;
} ec_fw_job;

/* One submitted command stream's outcome (fw::JobResult). */
typedef struct ec_fw_stage_result {
  uint32_t ok;         /* STATUS.DONE and not STATUS.ERROR */
  uint32_t cause;      /* regs::ErrorCause */
  uint32_t cmd_index;  /* ERR_CMD_INDEX */
  uint32_t commands_done;
  uint64_t cycles;     /* accelerator busy cycles of this stream */
} ec_fw_stage_result;

/* The kernel's plan words, per kind (the report's "plan"):
 *   S4D layer: passes, seg_len, spr, segs_per_fold, folds_per_pass, chunk_len, chunks,
 *              double_buffered, resident
 *   GEMM:      k_blocks, n_blocks, m_chunk, m_chunks, weights_resident, folds, commands */
#define EC_FW_PLAN_WORDS 16u

typedef struct ec_fw_result {
  uint32_t magic;          /* EC_FW_RESULT_MAGIC once written */
  uint32_t ok;             /* the whole job succeeded */
  uint32_t driver_status;  /* fw::DriverStatus of the failing call, 0 when OK */
  uint32_t commands;       /* records in the stream(s) */
  char message[EC_FW_MESSAGE_BYTES]; /* "" on success, else the reason (NUL-terminated) */
  ec_fw_stage_result job;  /* the whole job (layer, GEMM) or the sum over stages (model) */
  uint32_t plan[EC_FW_PLAN_WORDS];
  float scales[4];         /* S4D layer: S4dCoeffScales b, c, d; 0 */
  uint32_t stages;         /* model: stages run (each with a result slot below) */
  uint32_t reserved;
  ec_fw_stage_result stage[EC_FW_MAX_STAGES];
} ec_fw_result;

#ifdef __cplusplus
static_assert(sizeof(ec_fw_job) == 152, "ec_fw_job layout");
static_assert(sizeof(ec_fw_stage_result) == 24, "ec_fw_stage_result layout");
static_assert(sizeof(ec_fw_result) == 6528, "ec_fw_result layout");
#else
typedef char ec_fw_job_size_check[sizeof(ec_fw_job) == 152 ? 1 : -1];
typedef char ec_fw_stage_result_size_check[sizeof(ec_fw_stage_result) == 24 ? 1 : -1];
typedef char ec_fw_result_size_check[sizeof(ec_fw_result) == 6528 ? 1 : -1];
#endif

#endif /* EPOCHCORE_FIRMWARE_RUNNER_JOB_BLOCK_H */
