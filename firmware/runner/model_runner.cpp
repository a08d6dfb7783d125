#include "epochcore/firmware/runner/model_runner.h"

#include "epochcore/firmware/kernels/kernel_util.h"

namespace epochcore::fw {

namespace {

uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

// The table is little-endian in memory; decode it field by field (any host byte order).
ec_model_image_header decode_header(const uint8_t* p) {
  return ec_model_image_header{le32(p), le32(p + 4), le32(p + 8), le32(p + 12)};
}

ec_model_stage decode_stage(const uint8_t* p) {
  ec_model_stage s;
  s.stream_addr = uint64_t(le32(p)) | (uint64_t(le32(p + 4)) << 32);
  s.stream_bytes = le32(p + 8);
  s.layer = int32_t(le32(p + 12));
  for (uint32_t i = 0; i < EC_MODEL_STAGE_NAME_BYTES; ++i) s.name[i] = char(p[16 + i]);
  s.name[EC_MODEL_STAGE_NAME_BYTES - 1] = '\0';  // a name that fills the field is cut
  return s;
}

ec_fw_stage_result stage_result(const JobResult& j) {
  ec_fw_stage_result r;
  r.ok = j.ok ? 1u : 0u;
  r.cause = uint32_t(j.cause);
  r.cmd_index = j.cmd_index;
  r.commands_done = j.commands_done;
  r.cycles = j.cycles;
  return r;
}

// Everything but the per-stage slots, cleared (the slots of stages run are written).
void clear_result(ec_fw_result* r) {
  uint8_t* p = reinterpret_cast<uint8_t*>(r);
  for (size_t i = 0; i < offsetof(ec_fw_result, stage); ++i) p[i] = 0;
  r->magic = EC_FW_RESULT_MAGIC;
}

}  // namespace

bool run_model_image(Hal& hal, Driver& driver, uint64_t image_addr, ec_fw_result* result,
                     ModelStageHook on_stage, void* ctx) {
  ec_fw_result& r = *result;
  clear_result(&r);
  r.job.cmd_index = EC_ERR_INDEX_NONE;
  char* msg = r.message;
  const size_t msg_len = sizeof r.message;

  uint8_t raw[sizeof(ec_model_stage)];
  if (hal.mem_read(image_addr, raw, sizeof(ec_model_image_header)) != HalStatus::OK) {
    r.driver_status = uint32_t(DriverStatus::BUS_ERROR);
    return fail(msg, msg_len, "model image at 0x%llx: system memory read failed", (unsigned long long)image_addr);
  }
  const ec_model_image_header h = decode_header(raw);
  if (h.magic != EC_MODEL_IMAGE_MAGIC)
    return fail(msg, msg_len, "model image at 0x%llx: bad magic 0x%08x (expected 0x%08x, \"ECMI\")",
                (unsigned long long)image_addr, unsigned(h.magic), unsigned(EC_MODEL_IMAGE_MAGIC));
  if (h.version != EC_MODEL_IMAGE_VERSION)
    return fail(msg, msg_len, "model image: version %u is not supported (expected %u)", unsigned(h.version),
                unsigned(EC_MODEL_IMAGE_VERSION));
  if (h.stages == 0 || h.stages > EC_FW_MAX_STAGES)
    return fail(msg, msg_len, "model image: %u stages (expected 1..%u)", unsigned(h.stages),
                unsigned(EC_FW_MAX_STAGES));

  // Check the whole table before running anything: a bad entry is an image error, not a
  // half-run model.
  const uint64_t table = image_addr + sizeof(ec_model_image_header);
  for (uint32_t i = 0; i < h.stages; ++i) {
    const uint64_t at = table + uint64_t(i) * sizeof(ec_model_stage);
    if (hal.mem_read(at, raw, sizeof raw) != HalStatus::OK) {
      r.driver_status = uint32_t(DriverStatus::BUS_ERROR);
      return fail(msg, msg_len, "model image: stage %u's entry at 0x%llx: system memory read failed", unsigned(i),
                  (unsigned long long)at);
    }
    const ec_model_stage s = decode_stage(raw);
    if (s.stream_addr % 8 || s.stream_bytes == 0 || s.stream_bytes % cmd::kRecordBytes)
      return fail(msg, msg_len,
                  "model image: stage %u (%s): stream at 0x%llx of %u bytes (needs an 8-aligned address and a "
                  "non-zero multiple of 32 bytes)",
                  unsigned(i), s.name, (unsigned long long)s.stream_addr, unsigned(s.stream_bytes));
  }

  for (uint32_t i = 0; i < h.stages; ++i) {
    const uint64_t at = table + uint64_t(i) * sizeof(ec_model_stage);
    if (hal.mem_read(at, raw, sizeof raw) != HalStatus::OK) {
      r.driver_status = uint32_t(DriverStatus::BUS_ERROR);
      return fail(msg, msg_len, "model image: stage %u's entry at 0x%llx: system memory read failed", unsigned(i),
                  (unsigned long long)at);
    }
    const ec_model_stage s = decode_stage(raw);
    JobResult job;
    const DriverStatus st = driver.run(s.stream_addr, s.stream_bytes, &job);
    if (st == DriverStatus::OK || st == DriverStatus::JOB_ERROR || st == DriverStatus::NO_COMPLETION) {
      // The stream ran: record it (a failed stream's slot says where it stopped).
      r.stage[i] = stage_result(job);
      r.stages = i + 1;
      r.job.cycles += job.cycles;
      r.job.commands_done += job.commands_done;
      r.commands += s.stream_bytes / uint32_t(cmd::kRecordBytes);
      if (on_stage && st == DriverStatus::OK) on_stage(ctx, i, s, job);  // completed stages only
    }
    if (st != DriverStatus::OK) {
      r.driver_status = uint32_t(st);
      r.job.cause = uint32_t(job.cause);
      r.job.cmd_index = job.cmd_index;
      if (st == DriverStatus::JOB_ERROR) {
        // Name the offending record's opcode as the stream holds it.
        uint8_t op = 0xFF;
        const bool have = job.cmd_index < s.stream_bytes / uint32_t(cmd::kRecordBytes) &&
                          hal.mem_read(s.stream_addr + uint64_t(job.cmd_index) * cmd::kRecordBytes, &op, 1) ==
                              HalStatus::OK;
        return fail(msg, msg_len, "stage %u (%s): accelerator error %s at command %u (opcode 0x%02x %s)",
                    unsigned(i), s.name, regs::error_cause_name(job.cause), unsigned(job.cmd_index),
                    unsigned(have ? op : 0xFF), have ? cmd::opcode_name(op) : "?");
      }
      return fail(msg, msg_len, "stage %u (%s): driver error %s", unsigned(i), s.name, driver_status_name(st));
    }
  }
  r.job.ok = 1;
  r.job.cmd_index = EC_ERR_INDEX_NONE;
  r.ok = 1;
  return true;
}

}  // namespace epochcore::fw
