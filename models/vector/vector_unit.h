// The vector / post-processing unit at the array edge, as a SystemC module: executes one
// RUN_VEC at a time on the three scratchpads (vec_execute, the same code the firmware
// tests' fake accelerator runs) and holds the unit busy for the closed-form cycles of
// vec_command_cost. The unit has no per-beat model, so cycle and fast array timing give it
// the same time. docs/vector-unit.md ("In the accelerator").
#pragma once
#include <cstdint>
#include <string>

#include <systemc>

#include "epochcore/models/accelerator/activity_log.h"
#include "epochcore/contract/commands.h"
#include "epochcore/models/memory/scratchpad.h"
#include "epochcore/maths/vector/vector_op_math.h"

namespace epochcore {

struct VectorStats {
  uint64_t ops = 0;                        // RUN_VEC commands executed (BAD_TOKEN included)
  uint64_t by_op[cmd::kNumVecOps] = {};    // ... by cmd::VecOp
  uint64_t elements = 0;                   // elements written
  uint64_t busy_cycles = 0;                // sum of the commands' closed-form cycles
  vec::VecOpCounts op_counts;              // arithmetic by kind, for the energy model
  uint64_t read_words[cmd::kNumSpads] = {};   // scratchpad words read, by cmd::SpadId
  uint64_t write_words[cmd::kNumSpads] = {};  // scratchpad words written
  uint64_t errors = 0;                     // BAD_TOKEN commands
};

class VectorUnit : public sc_core::sc_module {
 public:
  // `costs` must pass vec::check_cost_params (the accelerator checks it first).
  VectorUnit(sc_core::sc_module_name name, const vec::VecCostParams& costs,
             regs::NumberFormat format, Scratchpad& input, Scratchpad& param,
             Scratchpad& output, sc_core::sc_time clock_period);
  const char* kind() const override { return "epochcore::VectorUnit"; }

  // Starts a validated RUN_VEC; the unit must be idle (the command processor waits for it).
  void start(const cmd::RunVec& c, uint32_t cmd_index);
  bool idle() const { return !busy_; }
  const sc_core::sc_event& idle_event() const { return idle_event_; }

  const VectorStats& stats() const { return stats_; }
  const vec::VecCostParams& costs() const { return costs_; }
  regs::NumberFormat number_format() const { return format_; }

  // The first BAD_TOKEN since the last clear_error: cause, command index and the token's step.
  bool has_error() const { return error_ != regs::ErrorCause::NONE; }
  regs::ErrorCause error_cause() const { return error_; }
  uint32_t error_cmd_index() const { return error_index_; }
  uint32_t error_position() const { return error_position_; }
  // "RUN_VEC EMBED: token id 12 at step 3 is outside [0, 10)", for logs and tests.
  std::string error_detail() const;
  void clear_error() { error_ = regs::ErrorCause::NONE; }

  void set_activity_log(ActivityLog* log) { activity_ = log; }

 private:
  void thread();

  vec::VecCostParams costs_;
  regs::NumberFormat format_;
  Scratchpad* spads_[cmd::kNumSpads];
  float* words_[cmd::kNumSpads];
  sc_core::sc_time period_;
  cmd::RunVec op_;
  uint32_t op_index_ = 0;
  bool busy_ = false;
  regs::ErrorCause error_ = regs::ErrorCause::NONE;
  uint32_t error_index_ = 0, error_position_ = 0;
  int32_t error_token_ = 0;
  uint32_t error_vocab_ = 0;
  ActivityLog* activity_ = nullptr;
  sc_core::sc_event start_event_, idle_event_;
  VectorStats stats_;
};

}  // namespace epochcore
