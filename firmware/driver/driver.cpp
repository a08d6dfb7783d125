#include "epochcore/firmware/driver/driver.h"

#include "epochcore/firmware/kernels/kernel_util.h"

namespace epochcore::fw {

using namespace regs;

cmd::HwLimits hw_limits(const AccelInfo& info) {
  cmd::HwLimits hw;
  hw.rows = info.rows;
  hw.cols = info.cols;
  hw.segments = info.segments;
  hw.segment_direction = info.segment_direction;
  hw.selective = info.selective;
  hw.compute_queues = info.compute_queues;
  for (uint8_t s = 0; s < cmd::kNumSpads; ++s) hw.spad_bytes[s] = info.spad_bytes[s];
  hw.number_format = info.number_format;
  return hw;
}

const char* driver_status_name(DriverStatus status) {
  switch (status) {
    case DriverStatus::OK: return "OK";
    case DriverStatus::BUS_ERROR: return "BUS_ERROR";
    case DriverStatus::BAD_ID: return "BAD_ID";
    case DriverStatus::BAD_VERSION: return "BAD_VERSION";
    case DriverStatus::BAD_CONFIG: return "BAD_CONFIG";
    case DriverStatus::BAD_ARGUMENT: return "BAD_ARGUMENT";
    case DriverStatus::BUSY: return "BUSY";
    case DriverStatus::NOT_SUBMITTED: return "NOT_SUBMITTED";
    case DriverStatus::NO_COMPLETION: return "NO_COMPLETION";
    case DriverStatus::JOB_ERROR: return "JOB_ERROR";
  }
  return "UNKNOWN";
}

// KiB register value to bytes, saturated to what a 32-bit scratchpad address can reach.
static uint32_t kib_to_bytes(uint32_t kib) {
  const uint64_t bytes = uint64_t(kib) * 1024;
  return bytes > 0xFFFFFFFCull ? 0xFFFFFFFCu : uint32_t(bytes);
}

DriverStatus Driver::probe(AccelInfo* info) {
  uint32_t v = 0;
  if (hal_.reg_read(ID, &v) != HalStatus::OK) return DriverStatus::BUS_ERROR;
  if (v != kIdValue) return DriverStatus::BAD_ID;
  if (hal_.reg_read(VERSION, &v) != HalStatus::OK) return DriverStatus::BUS_ERROR;
  if (EC_REGF_GET(VERSION_MAJOR, v) != EC_VERSION_MAJOR_VALUE) return DriverStatus::BAD_VERSION;

  AccelInfo out;
  if (hal_.reg_read(HW_ARRAY, &v) != HalStatus::OK) return DriverStatus::BUS_ERROR;
  out.rows = EC_REGF_GET(HW_ARRAY_ROWS, v);
  out.cols = EC_REGF_GET(HW_ARRAY_COLS, v);
  if (hal_.reg_read(HW_FEATURES, &v) != HalStatus::OK) return DriverStatus::BUS_ERROR;
  out.segments = (v & FEATURE_SEGMENTS) != 0;
  out.real_only = (v & FEATURE_REAL_ONLY) != 0;
  out.segment_direction = (v & FEATURE_SEGMENT_DIRECTION) != 0;
  out.selective = (v & FEATURE_SELECTIVE) != 0;
  out.compute_queues = (v & FEATURE_COMPUTE_QUEUES) != 0;
  const uint32_t kib_regs[cmd::kNumSpads] = {HW_SPAD_IN_KIB, HW_SPAD_PARAM_KIB, HW_SPAD_OUT_KIB};
  const uint32_t geom_regs[cmd::kNumSpads] = {HW_SPAD_IN_GEOM, HW_SPAD_PARAM_GEOM, HW_SPAD_OUT_GEOM};
  for (uint8_t s = 0; s < cmd::kNumSpads; ++s) {
    if (hal_.reg_read(kib_regs[s], &v) != HalStatus::OK) return DriverStatus::BUS_ERROR;
    out.spad_bytes[s] = kib_to_bytes(v);
    if (hal_.reg_read(geom_regs[s], &v) != HalStatus::OK) return DriverStatus::BUS_ERROR;
    out.spad_banks[s] = EC_REGF_GET(SPAD_GEOM_BANKS, v);
    out.spad_ports[s] = EC_REGF_GET(SPAD_GEOM_PORTS, v);
    if (out.spad_bytes[s] == 0 || out.spad_banks[s] == 0 || out.spad_ports[s] == 0)
      return DriverStatus::BAD_CONFIG;
  }
  if (hal_.reg_read(HW_VECTOR, &v) != HalStatus::OK) return DriverStatus::BUS_ERROR;
  out.number_format = uint8_t(EC_REGF_GET(HW_VECTOR_FORMAT, v));
  out.vector_lanes = EC_REGF_GET(HW_VECTOR_LANES, v);
  if (out.number_format >= kNumNumberFormats || out.vector_lanes == 0) return DriverStatus::BAD_CONFIG;
  if (out.rows == 0 || out.cols == 0) return DriverStatus::BAD_CONFIG;
  *info = out;
  return DriverStatus::OK;
}

DriverStatus Driver::read_cycles(uint64_t* cycles) {
  uint32_t lo = 0, hi = 0;
  // Reading CYCLE_LO latches the high word into CYCLE_HI.
  if (hal_.reg_read(CYCLE_LO, &lo) != HalStatus::OK) return DriverStatus::BUS_ERROR;
  if (hal_.reg_read(CYCLE_HI, &hi) != HalStatus::OK) return DriverStatus::BUS_ERROR;
  *cycles = (uint64_t(hi) << 32) | lo;
  return DriverStatus::OK;
}

DriverStatus Driver::submit(uint64_t stream_addr, uint32_t bytes) {
  if (stream_addr % 8 || bytes == 0 || bytes % cmd::kRecordBytes) return DriverStatus::BAD_ARGUMENT;
  uint32_t status = 0;
  if (hal_.reg_read(STATUS, &status) != HalStatus::OK) return DriverStatus::BUS_ERROR;
  if (status & STATUS_BUSY) return DriverStatus::BUSY;
  if (read_cycles(&cycles_at_submit_) != DriverStatus::OK) return DriverStatus::BUS_ERROR;
  const uint32_t irqs = IRQ_DONE | IRQ_ERROR;
  // Drop interrupts still pending from an earlier job before enabling the line.
  if (hal_.reg_write(IRQ_STATUS, irqs) != HalStatus::OK ||
      hal_.reg_write(IRQ_ENABLE, irqs) != HalStatus::OK ||
      hal_.reg_write(CMD_BASE_LO, uint32_t(stream_addr)) != HalStatus::OK ||
      hal_.reg_write(CMD_BASE_HI, uint32_t(stream_addr >> 32)) != HalStatus::OK ||
      hal_.reg_write(CMD_LEN, bytes) != HalStatus::OK ||
      hal_.reg_write(DOORBELL, 1) != HalStatus::OK)
    return DriverStatus::BUS_ERROR;
  submitted_ = true;
  return DriverStatus::OK;
}

DriverStatus Driver::wait(JobResult* result) {
  if (!submitted_) return DriverStatus::NOT_SUBMITTED;
  hal_.wait_for_interrupt();
  submitted_ = false;
  JobResult r;
  uint32_t status = 0, cause = 0, index = 0, done = 0;
  uint64_t cycles = 0;
  if (hal_.reg_read(STATUS, &status) != HalStatus::OK ||
      hal_.reg_read(ERR_CAUSE, &cause) != HalStatus::OK ||
      hal_.reg_read(ERR_CMD_INDEX, &index) != HalStatus::OK ||
      hal_.reg_read(CMD_DONE, &done) != HalStatus::OK ||
      read_cycles(&cycles) != DriverStatus::OK ||
      hal_.reg_write(IRQ_STATUS, IRQ_DONE | IRQ_ERROR) != HalStatus::OK)
    return DriverStatus::BUS_ERROR;
  r.cause = static_cast<ErrorCause>(cause);
  r.cmd_index = index;
  r.commands_done = done;
  // A soft reset in between would restart the counter: report what it counts then.
  r.cycles = cycles >= cycles_at_submit_ ? cycles - cycles_at_submit_ : cycles;
  r.ok = (status & STATUS_DONE) && !(status & STATUS_ERROR);
  if (result) *result = r;
  if (status & STATUS_ERROR) {
    char line[160];
    fail(line, sizeof line, "epochcore: job error %s at command %u", error_cause_name(r.cause), unsigned(index));
    hal_.log(line);
    return DriverStatus::JOB_ERROR;
  }
  return r.ok ? DriverStatus::OK : DriverStatus::NO_COMPLETION;
}

DriverStatus Driver::run(uint64_t stream_addr, uint32_t bytes, JobResult* result) {
  const DriverStatus s = submit(stream_addr, bytes);
  return s == DriverStatus::OK ? wait(result) : s;
}

}  // namespace epochcore::fw
