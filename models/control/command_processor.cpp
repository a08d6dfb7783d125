#include "epochcore/models/control/command_processor.h"

#include <algorithm>

namespace epochcore {

using regs::ErrorCause;

CommandProcessor::CommandProcessor(sc_core::sc_module_name name, const cmd::HwLimits& hw,
                                   CsrBlock& csr, DmaEngine& dma, SystolicArray& array,
                                   VectorUnit& vector, sc_core::sc_time clock_period)
    : sc_core::sc_module(name), hw_(hw), csr_(csr), dma_(dma), array_(array), vector_(vector),
      period_(clock_period) {
  SC_HAS_PROCESS(CommandProcessor);
  SC_THREAD(thread);
}

void CommandProcessor::start(uint64_t base, uint32_t len) {
  base_ = base;
  count_ = len / cmd::kRecordBytes;
  start_event_.notify(sc_core::SC_ZERO_TIME);
}

void CommandProcessor::thread() {
  for (;;) {
    wait(start_event_);
    stats_.streams++;
    fetched_count_ = 0;
    fetch_error_index_ = UINT32_MAX;
    error_detail_.clear();
    uint32_t index = 0;
    const ErrorCause cause = run_stream(&index);
    // In-flight work drains before the status is posted, so software sees a quiet unit.
    set_state(CpState::WAIT_ALL);
    wait_all_idle();
    // A unit error of an earlier command than the one the stream stopped at wins (it
    // can surface while the units drain).
    ErrorCause unit_cause;
    uint32_t unit_index;
    if (unit_error(&unit_cause, &unit_index) && (cause == ErrorCause::NONE || unit_index < index)) {
      if (unit_cause == ErrorCause::BAD_TOKEN) error_detail_ = vector_.error_detail();
      csr_.job_finished(unit_cause, unit_index);
    } else {
      if (cause == ErrorCause::BAD_TOKEN) error_detail_ = vector_.error_detail();
      csr_.job_finished(cause, index);
    }
    if (dma_.has_error()) dma_.clear_error();
    if (vector_.has_error()) vector_.clear_error();
    set_state(CpState::IDLE);
  }
}

bool CommandProcessor::fetch(uint32_t index, cmd::Record* r) {
  if (index < fetched_first_ || index >= fetched_first_ + fetched_count_) {
    if (index >= fetch_error_index_) return false;  // known unreadable (found by a retry)
    const uint32_t n = std::min(kFetchRecords, count_ - index);
    const uint64_t addr = base_ + uint64_t(index) * cmd::kRecordBytes;
    // Records whose bytes would wrap past the top of the 64-bit address space are
    // unreadable (no bus access wraps).
    const uint64_t room = (~uint64_t(0) - addr) / cmd::kRecordBytes +
                          ((~uint64_t(0) - addr) % cmd::kRecordBytes + 1) / cmd::kRecordBytes;
    if (room == 0 || addr < base_) {
      fetch_error_index_ = index;
      return false;
    }
    const uint32_t burst = uint32_t(std::min<uint64_t>(n, room));
    set_state(CpState::FETCH);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    bool ok = burst == n && dma_.read_system(addr, fetch_buf_, n * uint32_t(cmd::kRecordBytes), delay);
    wait(delay);
    uint32_t got = n;
    if (!ok) {
      // Error path only (a normal stream's bursts all succeed, so its timing is
      // unchanged): a burst crossing the end of memory (or of a mapped range) fails as a
      // whole, so the records are fetched again one at a time up to the first one that
      // cannot be read. The ones before it execute; the stream stops at it with
      // CMD_FETCH_ERROR and its index.
      got = 0;
      while (got < burst) {
        delay = sc_core::SC_ZERO_TIME;
        ok = dma_.read_system(addr + uint64_t(got) * cmd::kRecordBytes,
                              fetch_buf_ + got * cmd::kRecordBytes, uint32_t(cmd::kRecordBytes), delay);
        wait(delay);
        if (!ok) break;
        ++got;
      }
      if (got < n) fetch_error_index_ = index + got;
      if (got == 0) return false;
    }
    stats_.fetch_bytes += got * cmd::kRecordBytes;
    fetched_first_ = index;
    fetched_count_ = got;
  }
  *r = cmd::unpack(fetch_buf_ + (index - fetched_first_) * cmd::kRecordBytes);
  return true;
}

bool CommandProcessor::unit_error(ErrorCause* cause, uint32_t* index) const {
  const bool dma = dma_.has_error(), vec = vector_.has_error();
  if (!dma && !vec) return false;
  if (dma && (!vec || dma_.error_cmd_index() < vector_.error_cmd_index())) {
    *cause = dma_.error_cause();
    *index = dma_.error_cmd_index();
  } else {
    *cause = vector_.error_cause();
    *index = vector_.error_cmd_index();
  }
  return true;
}

void CommandProcessor::wait_compute_idle() {
  const sc_core::sc_time t0 = sc_core::sc_time_stamp();
  if (!array_.idle() || !vector_.idle()) set_state(CpState::WAIT_COMPUTE);
  while (!array_.idle() || !vector_.idle()) {
    if (!array_.idle())
      wait(array_.idle_event());
    else
      wait(vector_.idle_event());
  }
  const uint64_t c = uint64_t((sc_core::sc_time_stamp() - t0) / period_);
  stats_.wait_cycles += c;
  stats_.wait_array_cycles += c;
}

void CommandProcessor::wait_unit_and_scoreboard(const cmd::Record& r, bool array) {
  // The command's scratchpad ranges, against those of the other unit's command in flight
  // (the only one of that unit not finished: each unit runs one command at a time).
  const cmd::Footprint fp = cmd::footprint(r, loaded_segments_, loaded_reversed_, hw_.spad_bytes);
  stats_.scoreboard_checks++;
  const sc_core::sc_time t0 = sc_core::sc_time_stamp();
  sc_core::sc_time hazard;
  for (;;) {
    const bool own_busy = array ? !array_.idle() : !vector_.idle();
    const bool other_busy = array ? !vector_.idle() : !array_.idle();
    const bool conflict = other_busy && cmd::footprints_conflict(fp, array ? vector_fp_ : array_fp_);
    if (!own_busy && !conflict) break;
    set_state(CpState::WAIT_COMPUTE);
    const sc_core::sc_time t = sc_core::sc_time_stamp();
    if (own_busy)
      wait(array ? array_.idle_event() : vector_.idle_event());
    else
      wait(array ? vector_.idle_event() : array_.idle_event());
    if (!own_busy) hazard += sc_core::sc_time_stamp() - t;
  }
  (array ? array_fp_ : vector_fp_) = fp;
  const uint64_t c = uint64_t((sc_core::sc_time_stamp() - t0) / period_);
  stats_.wait_cycles += c;
  stats_.wait_array_cycles += c;
  stats_.hazard_wait_cycles += uint64_t(hazard / period_);
}

void CommandProcessor::wait_all_idle(uint64_t* array_ps, uint64_t* dma_ps) {
  sc_core::sc_time waited_array, waited_dma;
  while (!array_.idle() || !vector_.idle() || !dma_.idle()) {
    const sc_core::sc_time t0 = sc_core::sc_time_stamp();
    if (!array_.idle()) {
      wait(array_.idle_event());
      waited_array += sc_core::sc_time_stamp() - t0;
    } else if (!vector_.idle()) {
      wait(vector_.idle_event());
      waited_array += sc_core::sc_time_stamp() - t0;  // compute, like the array
    } else {
      wait(dma_.idle_event());
      waited_dma += sc_core::sc_time_stamp() - t0;
    }
  }
  const uint64_t ca = uint64_t(waited_array / period_), cd = uint64_t(waited_dma / period_);
  stats_.wait_cycles += ca + cd;
  stats_.wait_array_cycles += ca;
  stats_.wait_dma_cycles += cd;
  if (array_ps) *array_ps = waited_array.value();
  if (dma_ps) *dma_ps = waited_dma.value();
}

ErrorCause CommandProcessor::run_stream(uint32_t* index) {
  for (uint32_t i = 0; i < count_; ++i) {
    *index = i;
    ErrorCause unit_cause;
    if (unit_error(&unit_cause, index)) return unit_cause;  // an earlier command failed: stop there
    cmd::Record r;
    if (!fetch(i, &r)) return ErrorCause::CMD_FETCH_ERROR;
    set_state(CpState::DECODE);
    wait(period_);  // decode
    const ErrorCause bad =
        cmd::validate(r, hw_, loaded_segments_, loaded_reversed_, loaded_seg_len_, &error_detail_);
    if (bad != ErrorCause::NONE) return bad;

    const cmd::Opcode op = cmd::opcode_of(r);
    trace_.push_back({i, uint8_t(op), sc_core::sc_time_stamp()});
    set_state(CpState::ISSUE);
    stats_.commands++;
    stats_.by_opcode[uint8_t(op)]++;
    switch (op) {
      case cmd::Opcode::NOP:
        break;
      case cmd::Opcode::DMA_IN:
      case cmd::Opcode::DMA_OUT:
        dma_.enqueue({i, op == cmd::Opcode::DMA_IN, cmd::decode_dma(r)});
        break;
      case cmd::Opcode::LOAD_COEFFS:
      case cmd::Opcode::RUN_SSM:
      case cmd::Opcode::RUN_SCAN:
      case cmd::Opcode::RUN_GEMM: {
        if (hw_.compute_queues)  // its own queue, and no hazard with the vector unit's command
          wait_unit_and_scoreboard(r, /*array=*/true);
        else
          wait_compute_idle();  // one in-order compute queue: array and vector unit
        ErrorCause unit_cause;
        if (unit_error(&unit_cause, index)) return unit_cause;
        ArrayOp a;
        a.cmd_index = i;
        if (op == cmd::Opcode::LOAD_COEFFS) {
          a.kind = ArrayOp::Kind::LOAD;
          a.load = cmd::decode_load_coeffs(r);
          loaded_segments_ = a.load.n_seg;
          loaded_reversed_ = a.load.rev_segs;
          loaded_seg_len_ = a.load.seg_len;
        } else if (op == cmd::Opcode::RUN_SSM) {
          a.kind = ArrayOp::Kind::RUN;
          a.run = cmd::decode_run_ssm(r);
        } else if (op == cmd::Opcode::RUN_SCAN) {
          a.kind = ArrayOp::Kind::SCAN;
          a.scan = cmd::decode_run_scan(r);
        } else {
          a.kind = ArrayOp::Kind::GEMM;
          a.gemm = cmd::decode_run_gemm(r);
        }
        array_.start(a);
        break;
      }
      case cmd::Opcode::RUN_VEC: {
        if (hw_.compute_queues)
          wait_unit_and_scoreboard(r, /*array=*/false);
        else
          wait_compute_idle();
        ErrorCause unit_cause;
        if (unit_error(&unit_cause, index)) return unit_cause;
        vector_.start(cmd::decode_run_vec(r), i);
        break;
      }
      case cmd::Opcode::BARRIER:
      case cmd::Opcode::END: {
        set_state(CpState::WAIT_ALL);
        Activity a;
        a.unit = Activity::COMMAND_PROCESSOR;
        a.opcode = uint8_t(op);
        a.cmd_index = i;
        a.start_ps = sc_core::sc_time_stamp().value();
        wait_all_idle(&a.wait_array_ps, &a.wait_dma_ps);
        a.end_ps = sc_core::sc_time_stamp().value();
        if (activity_) activity_->add(a);
        if (op == cmd::Opcode::BARRIER) break;
        csr_.command_retired();
        ErrorCause unit_cause;
        if (unit_error(&unit_cause, index)) return unit_cause;
        return ErrorCause::NONE;
      }
    }
    csr_.command_retired();
  }
  *index = count_;
  return ErrorCause::MISSING_END;
}

}  // namespace epochcore
