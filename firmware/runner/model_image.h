/* A compiled model's image (compiler/: the model compiler, a host tool): weights, inputs,
 * coefficient records and every stage's command stream already in system memory, and
 * this stage table that the runner (firmware/runner/model_runner.h) walks: submit each
 * stream in order, wait, record its outcome. C99, freestanding, little-endian; the same
 * layout on RV32 (ilp32) and x86-64. */
#ifndef EPOCHCORE_FIRMWARE_RUNNER_MODEL_IMAGE_H
#define EPOCHCORE_FIRMWARE_RUNNER_MODEL_IMAGE_H

#include <stdint.h>

#define EC_MODEL_IMAGE_MAGIC 0x494D4345u /* "ECMI" */
#define EC_MODEL_IMAGE_VERSION 1u
#define EC_MODEL_STAGE_NAME_BYTES 32u

typedef struct ec_model_image_header {
  uint32_t magic;   /* EC_MODEL_IMAGE_MAGIC */
  uint32_t version; /* EC_MODEL_IMAGE_VERSION */
  uint32_t stages;  /* entries that follow the header */
  uint32_t reserved;
} ec_model_image_header;

typedef struct ec_model_stage {
  uint64_t stream_addr;  /* 8-aligned, in system memory */
  uint32_t stream_bytes; /* a non-zero multiple of 32 */
  int32_t layer;         /* block index, -1 for encoder and head */
  char name[EC_MODEL_STAGE_NAME_BYTES]; /* "encoder", "layers.3.ssm", ...; NUL-terminated */
} ec_model_stage;

#ifdef __cplusplus
static_assert(sizeof(ec_model_image_header) == 16, "ec_model_image_header layout");
static_assert(sizeof(ec_model_stage) == 48, "ec_model_stage layout");
#endif

#endif /* EPOCHCORE_FIRMWARE_RUNNER_MODEL_IMAGE_H */
