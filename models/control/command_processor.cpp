#include "models/control/command_processor.h"

#include <algorithm>

namespace epochcore {

using regs::ErrorCause;

CommandProcessor::CommandProcessor(sc_core::sc_module_name name, const cmd::HwLimits& hw,
                                   CsrBlock& csr, DmaEngine& dma, SystolicArray& array,
                                   sc_core::sc_time clock_period)
    : sc_core::sc_module(name), hw_(hw), csr_(csr), dma_(dma), array_(array),
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
    error_detail_.clear();
    uint32_t index = 0;
    const ErrorCause cause = run_stream(&index);
    // In-flight work drains before the status is posted, so software sees a quiet unit.
    wait_all_idle();
    if (cause == ErrorCause::NONE && dma_.has_error()) {
      csr_.job_finished(dma_.error_cause(), dma_.error_cmd_index());
    } else {
      csr_.job_finished(cause, index);
    }
    if (dma_.has_error()) dma_.clear_error();
  }
}

bool CommandProcessor::fetch(uint32_t index, cmd::Record* r) {
  if (index < fetched_first_ || index >= fetched_first_ + fetched_count_) {
    const uint32_t n = std::min(kFetchRecords, count_ - index);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    const bool ok = dma_.read_system(base_ + uint64_t(index) * cmd::kRecordBytes, fetch_buf_,
                                     n * uint32_t(cmd::kRecordBytes), delay);
    wait(delay);
    if (!ok) return false;
    stats_.fetch_bytes += n * cmd::kRecordBytes;
    fetched_first_ = index;
    fetched_count_ = n;
  }
  *r = cmd::unpack(fetch_buf_ + (index - fetched_first_) * cmd::kRecordBytes);
  return true;
}

void CommandProcessor::wait_array_idle() {
  const sc_core::sc_time t0 = sc_core::sc_time_stamp();
  while (!array_.idle()) wait(array_.idle_event());
  const uint64_t c = uint64_t((sc_core::sc_time_stamp() - t0) / period_);
  stats_.wait_cycles += c;
  stats_.wait_array_cycles += c;
}

void CommandProcessor::wait_all_idle(uint64_t* array_ps, uint64_t* dma_ps) {
  sc_core::sc_time waited_array, waited_dma;
  while (!array_.idle() || !dma_.idle()) {
    const sc_core::sc_time t0 = sc_core::sc_time_stamp();
    if (!array_.idle()) {
      wait(array_.idle_event());
      waited_array += sc_core::sc_time_stamp() - t0;
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
    if (dma_.has_error()) {  // an earlier transfer failed: stop at that command
      *index = dma_.error_cmd_index();
      return dma_.error_cause();
    }
    cmd::Record r;
    if (!fetch(i, &r)) return ErrorCause::CMD_FETCH_ERROR;
    wait(period_);  // decode
    const ErrorCause bad = cmd::validate(r, hw_, loaded_segments_, &error_detail_);
    if (bad != ErrorCause::NONE) return bad;

    const cmd::Opcode op = cmd::opcode_of(r);
    trace_.push_back({i, uint8_t(op), sc_core::sc_time_stamp()});
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
      case cmd::Opcode::RUN_GEMM: {
        wait_array_idle();  // the array takes one operation at a time
        ArrayOp a;
        a.cmd_index = i;
        if (op == cmd::Opcode::LOAD_COEFFS) {
          a.kind = ArrayOp::Kind::LOAD;
          a.load = cmd::decode_load_coeffs(r);
          loaded_segments_ = a.load.n_seg;
        } else if (op == cmd::Opcode::RUN_SSM) {
          a.kind = ArrayOp::Kind::RUN;
          a.run = cmd::decode_run_ssm(r);
        } else {
          a.kind = ArrayOp::Kind::GEMM;
          a.gemm = cmd::decode_run_gemm(r);
        }
        array_.start(a);
        break;
      }
      case cmd::Opcode::BARRIER:
      case cmd::Opcode::END: {
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
        if (dma_.has_error()) {
          *index = dma_.error_cmd_index();
          return dma_.error_cause();
        }
        return ErrorCause::NONE;
      }
    }
    csr_.command_retired();
  }
  *index = count_;
  return ErrorCause::MISSING_END;
}

}  // namespace epochcore
