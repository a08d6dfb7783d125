// The runner of a compiled model's image (model_image.h): the firmware half of the model
// compiler. Builds for the host-driver model and bare-metal for RV32 from this source.
#pragma once
#include <stdint.h>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/runner/job_block.h"
#include "epochcore/firmware/runner/model_image.h"

namespace epochcore::fw {

// Called after each stage's stream has completed (before the next is submitted), e.g. so
// the platform can snapshot counters per stage. `index` counts from 0.
using ModelStageHook = void (*)(void* ctx, uint32_t index, const ec_model_stage& stage, const JobResult& job);

// Reads the stage table at image_addr, checks it (magic, version, stage count within
// EC_FW_MAX_STAGES, streams aligned and non-empty), runs each stream through the driver
// in order and stops at the first that fails. Fills `result` (ok, message naming the
// stage, per-stage results, job = sums, commands = records run). False on any failure.
bool run_model_image(Hal& hal, Driver& driver, uint64_t image_addr, ec_fw_result* result,
                     ModelStageHook on_stage = nullptr, void* ctx = nullptr);

}  // namespace epochcore::fw
