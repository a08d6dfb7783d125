// Command processor: fetches the ProDF command stream from system memory (through the
// DMA engine's bus master), checks each record and dispatches it. DMA commands queue on
// the DMA engine. The array (LOAD_COEFFS, RUN_SSM, RUN_GEMM) and the vector unit
// (RUN_VEC) form one in-order compute queue: a compute command waits until both are idle,
// so compute commands need no barrier between them. With two compute queues
// (HwLimits::compute_queues, HW_FEATURES.COMPUTE_QUEUES) a compute command waits only for
// its own unit and for the scoreboard: no scratchpad range overlap (read/write,
// write/read, write/write; contract/footprint.h) with the other unit's command in flight.
// Issue stays in order either way. BARRIER and END wait for all three units. The first error (a bad record, or a DMA or BAD_TOKEN error of an earlier
// command) stops the stream with its cause and command index.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include <systemc>

#include "epochcore/models/array/systolic_array.h"
#include "epochcore/models/control/csr_block.h"
#include "epochcore/models/dma/dma_engine.h"
#include "epochcore/contract/commands.h"
#include "epochcore/contract/footprint.h"
#include "epochcore/models/vector/vector_unit.h"

namespace epochcore {

// One executed command, for the report and traces.
struct CommandTrace {
  uint32_t index;
  uint8_t opcode;
  sc_core::sc_time issued;  // when the processor dispatched it
};

struct CommandProcessorStats {
  uint64_t streams = 0, commands = 0, fetch_bytes = 0;
  uint64_t by_opcode[cmd::kNumOpcodes] = {};
  uint64_t wait_cycles = 0;        // cycles the processor waited, in all
  uint64_t wait_array_cycles = 0;  // ... for the compute units (array or vector unit) to finish
  uint64_t wait_dma_cycles = 0;    // ... for the DMA at a barrier, compute idle (compute starved by data movement)
  // Two compute queues only: scoreboard look-ups (one per compute command issued) and the
  // cycles a command waited for a hazard with the other unit (its own unit idle).
  uint64_t scoreboard_checks = 0;
  uint64_t hazard_wait_cycles = 0;
};

// What the command processor is doing, for waveforms (--vcd: epochcore.command_processor.state).
enum class CpState : uint8_t {
  IDLE = 0,          // no stream (waiting for the doorbell)
  FETCH = 1,         // reading command records from system memory
  DECODE = 2,        // decoding and validating a record
  ISSUE = 3,         // handing the command to its unit
  WAIT_COMPUTE = 4,  // waiting for the array / vector unit before a dependent command
  WAIT_ALL = 5,      // BARRIER, END or the drain after the stream: waiting for every unit
};

class CommandProcessor : public sc_core::sc_module {
 public:
  CommandProcessor(sc_core::sc_module_name name, const cmd::HwLimits& hw, CsrBlock& csr,
                   DmaEngine& dma, SystolicArray& array, VectorUnit& vector,
                   sc_core::sc_time clock_period);
  const char* kind() const override { return "epochcore::CommandProcessor"; }

  void start(uint64_t base, uint32_t len);  // from the doorbell
  const CommandProcessorStats& stats() const { return stats_; }
  // Records in the stream of the last doorbell (the progress line's total).
  uint32_t stream_commands() const { return count_; }
  // Called at each state change (simulated time: now); unset, nothing happens.
  std::function<void(CpState)> on_state;
  const std::vector<CommandTrace>& trace() const { return trace_; }
  // The reason text of the last error (which field was wrong), for logs and tests.
  const std::string& last_error_detail() const { return error_detail_; }
  void set_activity_log(ActivityLog* log) { activity_ = log; }

 private:
  static constexpr uint32_t kFetchRecords = 8;  // records per fetch burst

  void thread();
  // Runs one stream; returns NONE at END, else the error and sets *index.
  regs::ErrorCause run_stream(uint32_t* index);
  // Record `index` from the fetch buffer, fetching a burst of up to kFetchRecords when it
  // is not there. False when the record cannot be read; the records before it can be.
  bool fetch(uint32_t index, cmd::Record* r);
  // Waits until the array and the vector unit are idle (the compute queue is empty).
  void wait_compute_idle();
  // Two compute queues: waits until the command's unit (the array, else the vector unit)
  // is idle and the command has no hazard with the other unit's command in flight; then
  // records the command's footprint as its unit's.
  void wait_unit_and_scoreboard(const cmd::Record& r, bool array);
  // Waits for the compute units and the DMA; returns (in ps) how long it waited for
  // compute (array and vector unit) and for the DMA.
  void set_state(CpState s) {
    if (on_state) on_state(s);
  }
  void wait_all_idle(uint64_t* array_ps = nullptr, uint64_t* dma_ps = nullptr);
  // The error of the earliest command that failed in the DMA engine or the vector unit.
  bool unit_error(regs::ErrorCause* cause, uint32_t* index) const;

  cmd::HwLimits hw_;
  CsrBlock& csr_;
  DmaEngine& dma_;
  SystolicArray& array_;
  VectorUnit& vector_;
  sc_core::sc_time period_;
  uint64_t base_ = 0;
  uint32_t count_ = 0;
  uint32_t fetched_first_ = 0, fetched_count_ = 0;
  // The first record of this stream known to be unreadable (UINT32_MAX: none found yet).
  uint32_t fetch_error_index_ = UINT32_MAX;
  uint8_t fetch_buf_[kFetchRecords * cmd::kRecordBytes];
  uint32_t loaded_segments_ = 0;
  uint32_t loaded_reversed_ = 0;  // LOAD_COEFFS rev_segs of the loaded segments
  uint32_t loaded_seg_len_ = 0;
  // The scratchpad footprints of the last command issued to the array and to the vector
  // unit (two compute queues; in flight while that unit is busy).
  cmd::Footprint array_fp_, vector_fp_;
  sc_core::sc_event start_event_;
  CommandProcessorStats stats_;
  std::vector<CommandTrace> trace_;
  std::string error_detail_;
  ActivityLog* activity_ = nullptr;
};

}  // namespace epochcore
