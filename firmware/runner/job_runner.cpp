#include "epochcore/firmware/runner/job_runner.h"

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/gemm.h"
#include "epochcore/firmware/kernels/kernel_util.h"
#include "epochcore/firmware/kernels/s4d_layer.h"
#include "epochcore/firmware/runner/model_runner.h"

namespace epochcore::fw {

namespace {

ec_fw_stage_result stage_of(const JobResult& j) {
  ec_fw_stage_result r;
  r.ok = j.ok ? 1u : 0u;
  r.cause = uint32_t(j.cause);
  r.cmd_index = j.cmd_index;
  r.commands_done = j.commands_done;
  r.cycles = j.cycles;
  return r;
}

void copy_message(char* dst, const char* src) {
  uint32_t i = 0;
  for (; i + 1 < EC_FW_MESSAGE_BYTES && src[i]; ++i) dst[i] = src[i];
  dst[i] = '\0';
}

// A kernel's failure that came from the accelerator (the stream stopped on an error).
uint32_t status_of(bool ok, const JobResult& j) {
  if (ok) return uint32_t(DriverStatus::OK);
  return j.cause != regs::ErrorCause::NONE ? uint32_t(DriverStatus::JOB_ERROR) : uint32_t(DriverStatus::OK);
}

const char* kind_name(uint32_t kind) {
  switch (kind) {
    case EC_FW_JOB_S4D_LAYER: return "S4D layer";
    case EC_FW_JOB_GEMM: return "GEMM";
    case EC_FW_JOB_MODEL: return "model";
  }
  return "unknown job";
}

}  // namespace

bool run_job(Hal& hal, const ec_fw_job& job, ec_fw_result* result) {
  ec_fw_result& r = *result;
  uint8_t* p = reinterpret_cast<uint8_t*>(&r);
  for (size_t i = 0; i < offsetof(ec_fw_result, stage); ++i) p[i] = 0;
  r.magic = EC_FW_RESULT_MAGIC;
  r.job.cmd_index = EC_ERR_INDEX_NONE;
  char* msg = r.message;
  const size_t msg_len = sizeof r.message;

  if (job.magic != EC_FW_JOB_MAGIC)
    return fail(msg, msg_len, "job block: bad magic 0x%08x (expected 0x%08x, \"ECJB\")", unsigned(job.magic),
                unsigned(EC_FW_JOB_MAGIC));
  if (job.version != EC_FW_JOB_VERSION)
    return fail(msg, msg_len, "job block: version %u is not supported (expected %u)", unsigned(job.version),
                unsigned(EC_FW_JOB_VERSION));

  Driver driver(hal);
  AccelInfo hw;
  const DriverStatus probed = driver.probe(&hw);
  if (probed != DriverStatus::OK) {
    r.driver_status = uint32_t(probed);
    return fail(msg, msg_len, "probe of the accelerator failed: %s", driver_status_name(probed));
  }

  switch (job.kind) {
    case EC_FW_JOB_S4D_LAYER: {
      S4dLayerJob j;
      j.H = job.H;
      j.M = job.M;
      j.L = job.L;
      j.B = job.B;
      j.directions = job.directions;
      j.params_addr = job.params_addr;
      j.input_addr = job.input_addr;
      j.output_addr = job.output_addr;
      j.workspace_addr = job.workspace_addr;
      j.workspace_bytes = job.workspace_bytes;
      j.single_buffer = job.single_buffer != 0;
      j.resident = job.resident != 0;
      j.input_spad = job.input_spad;
      j.input_row_words = job.input_row_words;
      j.output_spad = job.output_spad;
      j.output_row_words = job.output_row_words;
      S4dLayerResult lr;
      const bool ok = s4d_layer_run(hal, driver, hw, j, &lr);
      r.ok = ok;
      r.driver_status = status_of(ok, lr.job);
      r.commands = lr.commands;
      copy_message(r.message, lr.message);
      r.job = stage_of(lr.job);
      const S4dPlan& pl = lr.plan;
      const uint32_t words[] = {pl.passes, pl.seg_len, pl.spr, pl.segs_per_fold, pl.folds_per_pass,
                                pl.chunk_len, pl.chunks, pl.double_buffered ? 1u : 0u, pl.resident ? 1u : 0u};
      for (uint32_t i = 0; i < sizeof words / sizeof words[0]; ++i) r.plan[i] = words[i];
      r.scales[0] = lr.scales.b;
      r.scales[1] = lr.scales.c;
      r.scales[2] = lr.scales.d;
      return ok;
    }
    case EC_FW_JOB_GEMM: {
      GemmJob j;
      j.M = job.gemm_m;
      j.N = job.gemm_n;
      j.K = job.gemm_k;
      j.a_addr = job.a_addr;
      j.b_addr = job.b_addr;
      j.c_addr = job.c_addr;
      j.workspace_addr = job.workspace_addr;
      j.workspace_bytes = job.workspace_bytes;
      GemmResult gr;
      const bool ok = gemm_run(hal, driver, hw, j, &gr);
      r.ok = ok;
      r.driver_status = status_of(ok, gr.job);
      r.commands = uint32_t(gr.plan.commands);
      copy_message(r.message, gr.message);
      r.job = stage_of(gr.job);
      const GemmPlan& pl = gr.plan;
      const uint32_t words[] = {pl.k_blocks, pl.n_blocks, pl.m_chunk, pl.m_chunks, pl.weights_resident ? 1u : 0u,
                                uint32_t(pl.folds), uint32_t(pl.commands)};
      for (uint32_t i = 0; i < sizeof words / sizeof words[0]; ++i) r.plan[i] = words[i];
      return ok;
    }
    case EC_FW_JOB_MODEL:
      return run_model_image(hal, driver, job.image_addr, &r);
    default:
      return fail(msg, msg_len, "job block: unknown kind %u (expected 1 S4D layer, 2 GEMM, 3 model)",
                  unsigned(job.kind));
  }
}

void summarise_result(const ec_fw_job& job, const ec_fw_result& r, char* line, uint32_t line_len) {
  if (r.ok)
    fail(line, line_len, "ok: %s, %u commands, %llu cycles%s", kind_name(job.kind), unsigned(r.commands),
         (unsigned long long)r.job.cycles, "");
  else
    fail(line, line_len, "FAILED: %s: %s", kind_name(job.kind), r.message);
}

}  // namespace epochcore::fw
