// The DMA engine: 1-D and 2-D strided transfers between system memory (sys_socket,
// exported by the accelerator onto the system bus) and the scratchpads (spad_socket,
// onto the local interconnect where scratchpad `id` sits at spad_local_base(id)).
//
// Jobs are queued (FIFO) by the command processor and run one at a time by an
// SC_THREAD. Each row of a job is split into bursts of at most burst_bytes; a burst is
// a read b_transport on the source socket then a write b_transport on the destination
// socket, through one preallocated buffer. System side: sys_addr + row * sys_stride;
// scratchpad side: spad_local_base(spad, stride) + spad_addr + row * spad_stride.
//
// Timing, exactly (maths/timing/dma_timing.h has the same formula in closed form; each
// burst's max() is timing::dma_burst_cycles_measured, shared by both):
//   cycles = setup_cycles + sum over bursts of
//            max( ceil(len / bytes_per_cycle), ceil(mem_cycles / max_outstanding), spad_cycles )
//   mem_cycles  = ceil(annotated delay of the system-side b_transport  / clock_period)
//   spad_cycles = ceil(annotated delay of the scratchpad-side b_transport / clock_period)
// each transaction measured from a fresh zero delay (integer division of sc_time
// values). Time is kept with a quantum keeper (temporal decoupling): advanced by each
// burst's cycles, synced when the quantum is used up and always at the end of a job,
// so a job completes at its start time + cycles * clock_period. The bus transports
// in the burst loop are the only virtual calls there; nothing is allocated per burst.
//
// Errors: a TLM error on either socket stops the job (bursts already written stay),
// records DMA_BUS_ERROR and the job's cmd_index, drops every queued job and leaves the
// engine idle (idle_event notified) and stopped until clear_error(). Jobs enqueued
// while stopped are dropped too. A failed burst costs the cycles of the transaction
// that failed.
#pragma once
#include <cstdint>
#include <functional>
#include <deque>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "epochcore/models/accelerator/activity_log.h"
#include "epochcore/maths/timing/dma_timing.h"
#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/models/memory/spad_map.h"

namespace epochcore {

struct DmaJob {
  uint32_t cmd_index = 0;  // position in the command stream (reported on error)
  bool to_spad = true;     // DMA_IN: system memory -> scratchpad
  cmd::DmaDesc desc;
};

struct DmaStats {
  uint64_t transfers = 0;        // jobs completed without error
  uint64_t bytes_to_spad = 0;    // bytes written into scratchpads
  uint64_t bytes_from_spad = 0;  // bytes written into system memory
  uint64_t busy_cycles = 0;      // cycles spent on jobs (errored ones included)
  uint64_t bursts = 0;           // bursts completed
};

// A quantum keeper with the engine's own quantum: sync points fall on multiples of it,
// and never later than the global quantum's. A zero quantum follows the global one;
// with both zero the engine syncs after every burst.
class DmaQuantumKeeper : public tlm_utils::tlm_quantumkeeper {
 public:
  void set_quantum(const sc_core::sc_time& q) { quantum_ = q; }

 protected:
  sc_core::sc_time compute_local_quantum() override;

 private:
  sc_core::sc_time quantum_ = sc_core::SC_ZERO_TIME;
};

class DmaEngine : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaEngine> sys_socket;   // system bus
  tlm_utils::simple_initiator_socket<DmaEngine> spad_socket;  // local scratchpad interconnect

  // SC_REPORT_ERROR on unusable parameters (dma_params_error) or a zero clock period.
  // `spad_stride`: distance between the scratchpads' sub-windows on spad_socket
  // (SpadMap::stride, models/memory/spad_map.h; the accelerator derives it from the sizes).
  DmaEngine(sc_core::sc_module_name name, const DmaParams& params, sc_core::sc_time clock_period,
            sc_core::sc_time quantum, uint64_t spad_stride = kSpadWindowBytes);

  void enqueue(const DmaJob& job);  // non-blocking, FIFO; from another SC_THREAD
  bool idle() const { return queue_.empty() && !running_; }
  // Called when a transfer starts (true) and ends (false), at its exact start and end
  // times (the quantum keeper is reset at the start and synchronised at the end).
  std::function<void(bool busy)> on_busy;
  const sc_core::sc_event& idle_event() const { return idle_event_; }
  size_t queued() const { return queue_.size(); }

  // Completion of each job without error (for dependency tracking).
  const sc_core::sc_event& job_done_event() const { return job_done_event_; }
  uint64_t jobs_done() const { return jobs_done_; }
  uint32_t last_done_cmd_index() const { return last_done_cmd_index_; }

  bool has_error() const { return error_cause_ != regs::ErrorCause::NONE; }
  uint32_t error_cmd_index() const { return error_cmd_index_; }
  regs::ErrorCause error_cause() const { return error_cause_; }
  void clear_error();  // also re-enables processing

  // Blocking read on sys_socket (for the command fetcher); false on a TLM error.
  // The transport annotates `delay` directly (the caller owns the time).
  bool read_system(uint64_t addr, uint8_t* dst, uint32_t len, sc_core::sc_time& delay);

  const DmaStats& stats() const { return stats_; }
  // Completed jobs are appended here when set (one entry per job).
  void set_activity_log(ActivityLog* log) { activity_ = log; }
  const DmaParams& params() const { return params_; }
  sc_core::sc_time clock_period() const { return clock_period_; }

 private:
  using Socket = tlm_utils::simple_initiator_socket<DmaEngine>;

  void run();                     // SC_THREAD
  bool run_job(const DmaJob& job);  // false on a bus error
  // One b_transport from a zero delay; returns the delay in whole cycles (rounded up).
  bool transport(Socket& socket, tlm::tlm_command cmd, uint64_t addr, uint32_t len,
                 uint64_t& cycles);
  void advance(uint64_t cycles);  // quantum keeper + busy_cycles

  DmaParams params_;
  uint64_t spad_stride_;
  sc_core::sc_time clock_period_;
  DmaQuantumKeeper qk_;
  std::vector<uint8_t> buffer_;    // one burst
  tlm::tlm_generic_payload payload_;        // bursts
  tlm::tlm_generic_payload fetch_payload_;  // read_system
  std::deque<DmaJob> queue_;
  ActivityLog* activity_ = nullptr;
  bool running_ = false;
  sc_core::sc_event job_event_;
  sc_core::sc_event idle_event_;
  sc_core::sc_event job_done_event_;
  uint64_t jobs_done_ = 0;
  uint32_t last_done_cmd_index_ = 0;
  regs::ErrorCause error_cause_ = regs::ErrorCause::NONE;
  uint32_t error_cmd_index_ = 0;
  DmaStats stats_;
};

}  // namespace epochcore
