#include "epochcore/models/vector/vector_unit.h"

namespace epochcore {

VectorUnit::VectorUnit(sc_core::sc_module_name name, const vec::VecCostParams& costs,
                       regs::NumberFormat format, Scratchpad& input, Scratchpad& param,
                       Scratchpad& output, sc_core::sc_time clock_period)
    : sc_core::sc_module(name), costs_(costs), format_(format), spads_{&input, &param, &output},
      period_(clock_period) {
  for (uint8_t i = 0; i < cmd::kNumSpads; ++i) words_[i] = spads_[i]->words();
  SC_HAS_PROCESS(VectorUnit);
  SC_THREAD(thread);
}

void VectorUnit::start(const cmd::RunVec& c, uint32_t cmd_index) {
  if (busy_) SC_REPORT_ERROR(name(), "start() while busy: the command processor must wait");
  op_ = c;
  op_index_ = cmd_index;
  busy_ = true;
  start_event_.notify(sc_core::SC_ZERO_TIME);
}

void VectorUnit::thread() {
  for (;;) {
    wait(start_event_);
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    // The data change at the start; the unit is busy (and the command processor keeps
    // every other compute command and BARRIER/END waiting) until the cycles have passed.
    const vec::VecExecResult r = vec::vec_execute(op_, words_, format_, costs_);
    stats_.ops++;
    stats_.by_op[uint8_t(op_.op)]++;
    stats_.elements += r.elements;
    stats_.busy_cycles += r.cycles;
    stats_.op_counts += r.ops;
    for (uint8_t i = 0; i < cmd::kNumSpads; ++i) {
      stats_.read_words[i] += r.read_words[i];
      stats_.write_words[i] += r.write_words[i];
      // The scratchpads' datapath counters cover both compute units (array and vector).
      spads_[i]->stats().array_read_words += r.read_words[i];
      spads_[i]->stats().array_write_words += r.write_words[i];
    }
    wait(period_ * double(r.cycles));
    if (r.cause != regs::ErrorCause::NONE) {
      stats_.errors++;
      if (!has_error()) {
        error_ = r.cause;
        error_index_ = op_index_;
        error_position_ = r.bad_position;
        error_token_ = vec::token_id_of_word(words_[uint8_t(op_.a_spad)][op_.a_addr / 4 + r.bad_position]);
        error_vocab_ = op_.b_stride;
      }
    }
    if (activity_) {
      Activity a;
      a.unit = Activity::VECTOR;
      a.opcode = uint8_t(cmd::Opcode::RUN_VEC);
      a.vec_op = uint8_t(op_.op);
      a.cmd_index = op_index_;
      a.start_ps = start.value();
      a.end_ps = sc_core::sc_time_stamp().value();
      a.elements = r.elements;
      activity_->add(a);
    }
    busy_ = false;
    idle_event_.notify(sc_core::SC_ZERO_TIME);
  }
}

std::string VectorUnit::error_detail() const {
  if (!has_error()) return "";
  return "RUN_VEC EMBED: token id " + std::to_string(error_token_) + " at step " +
         std::to_string(error_position_) + " is outside [0, " + std::to_string(error_vocab_) + ")";
}

}  // namespace epochcore
