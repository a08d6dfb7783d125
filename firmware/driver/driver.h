// EpochCore driver: probe the accelerator, submit a command stream, wait for it.
// Plain C++17 on top of the HAL (no SystemC, no exceptions, no iostream) so the same
// source runs in the host-driver model, on an instruction-set simulator and in tests.
#pragma once
#include <stdint.h>

#include "epochcore/firmware/hal/hal.h"
#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"

namespace epochcore::fw {

// What probe() read from the HW_* registers. Arrays are indexed by cmd::SpadId.
struct AccelInfo {
  uint32_t rows = 0, cols = 0;
  bool segments = false, real_only = false;
  bool segment_direction = false;  // HW_FEATURES.SEGMENT_DIRECTION: per-segment direction
  bool selective = false;     // HW_FEATURES.SELECTIVE: RUN_SCAN
  bool compute_queues = false;     // HW_FEATURES.COMPUTE_QUEUES: two compute queues, scoreboard
  uint32_t spad_bytes[cmd::kNumSpads] = {0, 0, 0};
  uint32_t spad_banks[cmd::kNumSpads] = {1, 1, 1};
  uint32_t spad_ports[cmd::kNumSpads] = {1, 1, 1};
  uint8_t number_format = 0;  // regs::NumberFormat of the datapath (HW_VECTOR)
  uint32_t vector_lanes = 0;  // vector-unit lanes (HW_VECTOR)
};

// The limits the command processor checks, as cmd::validate expects them.
cmd::HwLimits hw_limits(const AccelInfo& info);

struct JobResult {
  bool ok = false;                               // STATUS.DONE and not STATUS.ERROR
  regs::ErrorCause cause = regs::ErrorCause::NONE;
  uint32_t cmd_index = 0;                        // ERR_CMD_INDEX (0xFFFFFFFF: no command)
  uint64_t cycles = 0;                           // accelerator cycles of this job only
  uint32_t commands_done = 0;                    // CMD_DONE
};

enum class DriverStatus {
  OK,
  BUS_ERROR,      // a register access returned a bus error
  BAD_ID,         // ID is not regs::kIdValue: no EpochCore at this address
  BAD_VERSION,    // register-map major version is not 1
  BAD_CONFIG,     // HW_* registers describe an unusable accelerator (zero rows, banks, ...)
  BAD_ARGUMENT,   // stream address not 8-aligned or length not a non-zero multiple of 32
  BUSY,           // submit while the accelerator is still executing a stream
  NOT_SUBMITTED,  // wait() without a submitted job
  NO_COMPLETION,  // interrupt seen but STATUS shows neither DONE nor ERROR
  JOB_ERROR,      // the stream stopped on an error: see JobResult cause and cmd_index
};

const char* driver_status_name(DriverStatus status);

class Driver {
 public:
  explicit Driver(Hal& hal) : hal_(hal) {}

  // Reads ID, VERSION and the HW_* registers.
  DriverStatus probe(AccelInfo* info);
  // Enables the DONE and ERROR interrupts, programs CMD_BASE/CMD_LEN, rings DOORBELL.
  DriverStatus submit(uint64_t stream_addr, uint32_t bytes);
  // Waits for the interrupt, reads the outcome, acknowledges the interrupt.
  DriverStatus wait(JobResult* result);
  DriverStatus run(uint64_t stream_addr, uint32_t bytes, JobResult* result);

 private:
  DriverStatus read_cycles(uint64_t* cycles);

  Hal& hal_;
  bool submitted_ = false;
  uint64_t cycles_at_submit_ = 0;  // the cycle counter is cumulative since reset
};

}  // namespace epochcore::fw
