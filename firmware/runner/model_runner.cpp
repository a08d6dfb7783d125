// The runner of a compiled model's image: walks the stage table, submits each stream,
// waits, records its outcome. No allocation, no exceptions, no std::string: only the
// driver, the HAL and snprintf.
#include "epochcore/firmware/runner/model_runner.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"

namespace epochcore::fw {

namespace {

void zero(void* p, size_t n) {
  unsigned char* b = static_cast<unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = 0;
}

// Ends `result` as failed with the message; returns false.
bool failed(ec_fw_result* r, DriverStatus status, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
bool failed(ec_fw_result* r, DriverStatus status, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(r->message, sizeof r->message, fmt, args);
  va_end(args);
  r->ok = 0;
  r->driver_status = uint32_t(status);
  r->job.ok = 0;
  return false;
}

}  // namespace

bool run_model_image(Hal& hal, Driver& driver, uint64_t image_addr, ec_fw_result* result, ModelStageHook on_stage,
                     void* ctx) {
  ec_fw_result* r = result;
  zero(r, sizeof *r);
  r->magic = EC_FW_RESULT_MAGIC;

  ec_model_image_header header;
  if (hal.mem_read(image_addr, &header, sizeof header) != HalStatus::OK)
    return failed(r, DriverStatus::OK, "model image at 0x%llx: reading the stage table header failed",
                  (unsigned long long)image_addr);
  if (header.magic != EC_MODEL_IMAGE_MAGIC)
    return failed(r, DriverStatus::OK, "model image at 0x%llx: bad magic 0x%08x (expected 0x%08x)",
                  (unsigned long long)image_addr, unsigned(header.magic), unsigned(EC_MODEL_IMAGE_MAGIC));
  if (header.version != EC_MODEL_IMAGE_VERSION)
    return failed(r, DriverStatus::OK, "model image at 0x%llx: version %u (expected %u)",
                  (unsigned long long)image_addr, unsigned(header.version), unsigned(EC_MODEL_IMAGE_VERSION));
  if (header.stages == 0 || header.stages > EC_FW_MAX_STAGES)
    return failed(r, DriverStatus::OK, "model image at 0x%llx: %u stages (expected 1 to %u)",
                  (unsigned long long)image_addr, unsigned(header.stages), unsigned(EC_FW_MAX_STAGES));

  // Check the whole table before running anything.
  for (uint32_t i = 0; i < header.stages; ++i) {
    ec_model_stage st;
    const uint64_t at = image_addr + sizeof header + uint64_t(i) * sizeof st;
    if (hal.mem_read(at, &st, sizeof st) != HalStatus::OK)
      return failed(r, DriverStatus::OK, "model image: reading stage %u's table entry at 0x%llx failed", unsigned(i),
                    (unsigned long long)at);
    st.name[EC_MODEL_STAGE_NAME_BYTES - 1] = '\0';
    if (st.stream_addr % 8 != 0)
      return failed(r, DriverStatus::OK, "%s (stage %u): stream address 0x%llx is not 8-aligned", st.name,
                    unsigned(i), (unsigned long long)st.stream_addr);
    if (st.stream_bytes == 0 || st.stream_bytes % cmd::kRecordBytes != 0)
      return failed(r, DriverStatus::OK, "%s (stage %u): stream of %u bytes is not a non-zero multiple of %u",
                    st.name, unsigned(i), unsigned(st.stream_bytes), unsigned(cmd::kRecordBytes));
  }

  for (uint32_t i = 0; i < header.stages; ++i) {
    ec_model_stage st;
    const uint64_t at = image_addr + sizeof header + uint64_t(i) * sizeof st;
    if (hal.mem_read(at, &st, sizeof st) != HalStatus::OK)
      return failed(r, DriverStatus::OK, "model image: reading stage %u's table entry at 0x%llx failed", unsigned(i),
                    (unsigned long long)at);
    st.name[EC_MODEL_STAGE_NAME_BYTES - 1] = '\0';
    const uint32_t records = st.stream_bytes / uint32_t(cmd::kRecordBytes);
    JobResult job;
    const DriverStatus status = driver.run(st.stream_addr, st.stream_bytes, &job);
    ec_fw_stage_result& out = r->stage[i];
    out.ok = status == DriverStatus::OK && job.ok;
    out.cause = uint32_t(job.cause);
    out.cmd_index = job.cmd_index;
    out.commands_done = job.commands_done;
    out.cycles = job.cycles;
    r->stages = i + 1;
    r->commands += records;
    r->job.cycles += job.cycles;
    r->job.commands_done += job.commands_done;
    r->job.cause = out.cause;
    r->job.cmd_index = out.cmd_index;
    if (status == DriverStatus::JOB_ERROR) {
      // Name the failing command from the stream itself.
      char what[64] = "no command";
      uint8_t rec[cmd::kRecordBytes];
      if (job.cmd_index < records &&
          hal.mem_read(st.stream_addr + uint64_t(job.cmd_index) * cmd::kRecordBytes, rec, sizeof rec) ==
              HalStatus::OK) {
        const cmd::Record record = cmd::unpack(rec);
        const cmd::Opcode op = cmd::opcode_of(record);
        if (op == cmd::Opcode::RUN_VEC)
          snprintf(what, sizeof what, "%s %s", cmd::opcode_name(uint8_t(op)),
                   cmd::vec_op_name(uint8_t(cmd::decode_run_vec(record).op)));
        else
          snprintf(what, sizeof what, "%s", cmd::opcode_name(uint8_t(op)));
      }
      return failed(r, status, "%s: accelerator error %s at command %u (%s)", st.name,
                    regs::error_cause_name(job.cause), unsigned(job.cmd_index), what);
    }
    if (status != DriverStatus::OK)
      return failed(r, status, "%s: driver error %s", st.name, driver_status_name(status));
    if (!job.ok)
      return failed(r, status, "%s: the stream did not complete (cause %s)", st.name,
                    regs::error_cause_name(job.cause));
    if (on_stage) on_stage(ctx, i, st, job);
  }
  r->ok = 1;
  r->job.ok = 1;
  r->job.cause = 0;
  r->job.cmd_index = 0;
  return true;
}

}  // namespace epochcore::fw
