// One job block (job_block.h) run to its result: the firmware's entry point, the same in
// the RV32 build (firmware/rv32/main.cpp: the job from the mailbox, the result written
// back to it) and on the host (tests; the platform's host-CPU model). Builds hosted and
// freestanding.
#pragma once
#include <stdint.h>

#include "epochcore/firmware/hal/hal.h"
#include "epochcore/firmware/runner/job_block.h"

namespace epochcore::fw {

// Checks the job block (magic, version), probes the accelerator through `hal`, runs the
// job's kind (S4D layer: s4d_layer_run; GEMM: gemm_run; model: run_model_image) and fills
// *result: magic, ok, driver_status (the failing driver call's fw::DriverStatus; 0 for
// errors that are not the driver's, e.g. a plan that does not fit), commands, message
// ("" on success), job, plan words and scales (job_block.h), stages (model). Returns
// result->ok. The result's per-stage slots beyond `stages` are left as they were.
bool run_job(Hal& hal, const ec_fw_job& job, ec_fw_result* result);

// A one-line summary of a result for a console or a log ("ok: S4D layer, 123 commands,
// 4567 cycles" or "FAILED: <message>"), NUL-terminated in `line`.
void summarise_result(const ec_fw_job& job, const ec_fw_result& result, char* line, uint32_t line_len);

}  // namespace epochcore::fw
