#include "epochcore/models/dma/dma_engine.h"

#include <algorithm>

#include "epochcore/models/memory/spad_map.h"

namespace epochcore {

using sc_core::sc_time;

namespace {
uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
}  // namespace

sc_time DmaQuantumKeeper::compute_local_quantum() {
  const sc_time global = tlm::tlm_global_quantum::instance().compute_local_quantum();
  if (quantum_ == sc_core::SC_ZERO_TIME) return global;
  // Sync points fall on multiples of the quantum, as with the global quantum.
  const uint64_t now = sc_core::sc_time_stamp().value();
  const uint64_t q = quantum_.value();
  const sc_time local = sc_time::from_value((now / q + 1) * q - now);
  return (global != sc_core::SC_ZERO_TIME && global < local) ? global : local;
}

DmaEngine::DmaEngine(sc_core::sc_module_name name, const DmaParams& params, sc_time clock_period,
                     sc_time quantum, uint64_t spad_stride)
    : sc_module(name), sys_socket("sys_socket"), spad_socket("spad_socket"), params_(params),
      spad_stride_(spad_stride), clock_period_(clock_period) {
  const std::string err = dma_params_error(params);
  if (!err.empty()) SC_REPORT_ERROR(this->name(), err.c_str());
  if (clock_period == sc_core::SC_ZERO_TIME)
    SC_REPORT_ERROR(this->name(), "DMA clock_period must be > 0");
  qk_.set_quantum(quantum);
  buffer_.resize(std::max<uint32_t>(params.burst_bytes, 1));
  SC_HAS_PROCESS(DmaEngine);
  SC_THREAD(run);
}

void DmaEngine::enqueue(const DmaJob& job) {
  if (has_error()) return;  // stopped: dropped like the jobs queued behind the error
  queue_.push_back(job);
  job_event_.notify(sc_core::SC_ZERO_TIME);
}

void DmaEngine::clear_error() {
  error_cause_ = regs::ErrorCause::NONE;
  error_cmd_index_ = 0;
  if (!queue_.empty()) job_event_.notify(sc_core::SC_ZERO_TIME);
}

bool DmaEngine::read_system(uint64_t addr, uint8_t* dst, uint32_t len, sc_time& delay) {
  tlm::tlm_generic_payload& p = fetch_payload_;
  p.set_command(tlm::TLM_READ_COMMAND);
  p.set_address(addr);
  p.set_data_ptr(dst);
  p.set_data_length(len);
  p.set_streaming_width(len);
  p.set_byte_enable_ptr(nullptr);
  p.set_byte_enable_length(0);
  p.set_dmi_allowed(false);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sys_socket->b_transport(p, delay);
  return p.is_response_ok();
}

void DmaEngine::run() {
  for (;;) {
    while (queue_.empty() || has_error()) sc_core::wait(job_event_);
    const DmaJob job = queue_.front();
    queue_.pop_front();
    running_ = true;
    if (on_busy) on_busy(true);
    qk_.reset();  // the job starts now, with no local time ahead
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    const bool ok = run_job(job);
    qk_.sync();   // completion at the job's true end time
    running_ = false;
    if (on_busy) on_busy(false);
    if (activity_) {
      Activity a;
      a.unit = Activity::DMA;
      a.opcode = uint8_t(job.to_spad ? cmd::Opcode::DMA_IN : cmd::Opcode::DMA_OUT);
      a.cmd_index = job.cmd_index;
      a.start_ps = start.value();
      a.end_ps = sc_core::sc_time_stamp().value();
      a.bytes = ok ? uint64_t(job.desc.rows) * job.desc.row_bytes : 0;
      activity_->add(a);
    }
    if (ok) {
      ++stats_.transfers;
      ++jobs_done_;
      last_done_cmd_index_ = job.cmd_index;
      job_done_event_.notify(sc_core::SC_ZERO_TIME);
    } else {
      error_cause_ = regs::ErrorCause::DMA_BUS_ERROR;
      error_cmd_index_ = job.cmd_index;
      queue_.clear();
    }
    if (queue_.empty()) idle_event_.notify(sc_core::SC_ZERO_TIME);
  }
}

bool DmaEngine::run_job(const DmaJob& job) {
  const cmd::DmaDesc& d = job.desc;
  advance(params_.setup_cycles);
  Socket& src = job.to_spad ? sys_socket : spad_socket;
  Socket& dst = job.to_spad ? spad_socket : sys_socket;
  const uint64_t spad_base = spad_local_base(d.spad, spad_stride_) + d.spad_addr;
  for (uint32_t row = 0; row < d.rows; ++row) {
    const uint64_t sys_row = d.sys_addr + uint64_t(row) * d.sys_stride;
    const uint64_t spad_row = spad_base + uint64_t(row) * d.spad_stride;
    for (uint32_t off = 0; off < d.row_bytes; off += params_.burst_bytes) {
      const uint32_t len = std::min(params_.burst_bytes, d.row_bytes - off);
      const uint64_t src_addr = (job.to_spad ? sys_row : spad_row) + off;
      const uint64_t dst_addr = (job.to_spad ? spad_row : sys_row) + off;
      uint64_t read_cycles = 0, write_cycles = 0;
      if (!transport(src, tlm::TLM_READ_COMMAND, src_addr, len, read_cycles)) {
        advance(read_cycles);
        return false;
      }
      if (!transport(dst, tlm::TLM_WRITE_COMMAND, dst_addr, len, write_cycles)) {
        advance(write_cycles);
        return false;
      }
      const uint64_t mem_cycles = job.to_spad ? read_cycles : write_cycles;
      const uint64_t spad_cycles = job.to_spad ? write_cycles : read_cycles;
      advance(timing::dma_burst_cycles_measured(len, params_, mem_cycles, spad_cycles));
      ++stats_.bursts;
      (job.to_spad ? stats_.bytes_to_spad : stats_.bytes_from_spad) += len;
    }
  }
  return true;
}

bool DmaEngine::transport(Socket& socket, tlm::tlm_command cmd, uint64_t addr, uint32_t len,
                          uint64_t& cycles) {
  payload_.set_command(cmd);
  payload_.set_address(addr);
  payload_.set_data_ptr(buffer_.data());
  payload_.set_data_length(len);
  payload_.set_streaming_width(len);
  payload_.set_byte_enable_ptr(nullptr);
  payload_.set_byte_enable_length(0);
  payload_.set_dmi_allowed(false);
  payload_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(payload_, delay);
  cycles = ceil_div(delay.value(), clock_period_.value());
  return payload_.is_response_ok();
}

void DmaEngine::advance(uint64_t cycles) {
  stats_.busy_cycles += cycles;
  qk_.inc(sc_time::from_value(cycles * clock_period_.value()));
  if (qk_.need_sync()) qk_.sync();
}

}  // namespace epochcore
