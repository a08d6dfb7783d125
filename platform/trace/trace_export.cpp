#include "epochcore/platform/trace/trace_export.h"

#include <algorithm>

#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/platform/trace/trace_events.h"

namespace epochcore {

bool write_chrome_trace(const std::string& path, const EpochCoreAccel& accel, sc_core::sc_time period,
                        std::string* error, const std::vector<std::string>& stage_names) {
  TraceEventWriter t(path);
  if (!t.ok()) {
    *error = t.error();
    return false;
  }
  const int pid = 1;
  t.set_process_name(pid, "epochcore");
  const char* threads[] = {"command processor", "dma", "array", "vector unit"};
  for (int tid = 1; tid <= 4; ++tid) {
    t.set_thread_name(pid, tid, threads[tid - 1]);
    t.set_thread_sort_index(pid, tid, tid);
  }
  const uint64_t p = period.value();
  for (const CommandTrace& c : accel.command_processor().trace())
    t.instant(pid, 1, cmd::opcode_name(c.opcode), "issue", c.issued.value(),
              {{"index", c.index}});
  for (const Activity& a : accel.activity().entries) {
    const char* name = cmd::opcode_name(a.opcode);
    const uint64_t dur = a.end_ps - a.start_ps;
    switch (a.unit) {
      case Activity::COMMAND_PROCESSOR:
        t.complete(pid, 1, name, "wait", a.start_ps, dur,
                   {{"index", a.cmd_index}, {"wait_array_cycles", a.wait_array_ps / p},
                    {"wait_dma_cycles", a.wait_dma_ps / p}});
        break;
      case Activity::DMA:
        t.complete(pid, 2, name, "dma", a.start_ps, dur,
                   {{"index", a.cmd_index}, {"bytes", a.bytes}, {"cycles", dur / p}});
        break;
      case Activity::ARRAY:
        t.complete(pid, 3, name, "array", a.start_ps, dur,
                   {{"index", a.cmd_index}, {"cycles", dur / p}, {"stall_input_cycles", a.stall_input},
                    {"stall_output_cycles", a.stall_output}, {"active_pe_cycles", a.active_pe_cycles}});
        break;
      case Activity::VECTOR:
        t.complete(pid, 4, cmd::vec_op_name(a.vec_op), "vector", a.start_ps, dur,
                   {{"index", a.cmd_index}, {"cycles", dur / p}, {"elements", a.elements}});
        break;
    }
  }
  // Counter tracks: (time, value) steps; at one time an operation's end comes before the
  // next one's start.
  struct Step {
    uint64_t ps;
    int order;  // 0: an end, 1: a start
    double value;
  };
  std::vector<Step> util, dma;
  const double pes = double(accel.array().params().rows) * double(accel.array().params().cols);
  for (const Activity& a : accel.activity().entries) {
    const uint64_t dur = a.end_ps - a.start_ps;
    if (a.unit == Activity::ARRAY) {
      const double cycles = double(dur / p);
      util.push_back({a.start_ps, 1, cycles > 0 && pes > 0 ? double(a.active_pe_cycles) / (pes * cycles) : 0.0});
      util.push_back({a.end_ps, 0, 0.0});
    } else if (a.unit == Activity::DMA) {
      dma.push_back({a.start_ps, 1, double(a.bytes)});
      dma.push_back({a.end_ps, 0, -double(a.bytes)});
    }
  }
  auto by_time = [](const Step& x, const Step& y) { return x.ps != y.ps ? x.ps < y.ps : x.order < y.order; };
  std::stable_sort(util.begin(), util.end(), by_time);
  std::stable_sort(dma.begin(), dma.end(), by_time);
  for (const Step& st : util) t.counter(pid, "array utilization", st.ps, st.value);
  double in_flight = 0;
  for (size_t i = 0; i < dma.size(); ++i) {
    in_flight += dma[i].value;
    // One sample per time: the sum after every change at that time.
    if (i + 1 == dma.size() || dma[i + 1].ps != dma[i].ps) t.counter(pid, "dma bytes in flight", dma[i].ps, in_flight);
  }

  // Stages: the k-th stream starts at its first command (index 0) and ends with its END.
  if (!stage_names.empty()) {
    t.set_thread_name(pid, 5, "stages");
    t.set_thread_sort_index(pid, 5, 0);
    std::vector<uint64_t> starts, ends;
    for (const CommandTrace& c : accel.command_processor().trace())
      if (c.index == 0) starts.push_back(c.issued.value());
    for (const Activity& a : accel.activity().entries)
      if (a.unit == Activity::COMMAND_PROCESSOR && a.opcode == uint8_t(cmd::Opcode::END)) ends.push_back(a.end_ps);
    for (size_t k = 0; k < stage_names.size() && k < starts.size() && k < ends.size(); ++k)
      if (ends[k] >= starts[k])
        t.complete(pid, 5, stage_names[k].c_str(), "stage", starts[k], ends[k] - starts[k],
                   {{"stage", uint64_t(k)}, {"cycles", (ends[k] - starts[k]) / p}});
  }
  return t.close(error);
}

VcdProbe::VcdProbe(sc_core::sc_module_name name, const std::string& path, EpochCoreAccel& accel,
                   const sc_core::sc_signal<bool>& irq)
    : sc_core::sc_module(name), vcd_(path, "1ps"), irq_(irq), rows_(accel.array().params().rows),
      cols_(accel.array().params().cols) {
  const std::string scope = "epochcore.array";
  busy_ = vcd_.add_wire(scope, "busy", 1);
  opcode_ = vcd_.add_wire(scope, "opcode", 8);
  cmd_index_ = vcd_.add_wire(scope, "cmd_index", 32);
  beat_ = vcd_.add_wire(scope, "beat", 32);
  beat_cycles_ = vcd_.add_wire(scope, "beat_cycles", 32);
  feeding_ = vcd_.add_wire(scope, "feeding", 1);
  draining_ = vcd_.add_wire(scope, "draining", 1);
  active_ = vcd_.add_wire(scope, "active_pes", 32);
  if (rows_ <= 64) row_valid_ = vcd_.add_wire(scope, "row_valid", rows_);
  irq_id_ = vcd_.add_wire("epochcore", "irq", 1);
  dma_busy_ = vcd_.add_wire("epochcore.dma", "busy", 1);
  cp_state_ = vcd_.add_wire("epochcore.command_processor", "state", 3);
  status_busy_ = vcd_.add_wire("epochcore.csr", "status_busy", 1);
  status_done_ = vcd_.add_wire("epochcore.csr", "status_done", 1);
  status_error_ = vcd_.add_wire("epochcore.csr", "status_error", 1);
  vcd_.change(busy_, 0, 0);
  vcd_.change(irq_id_, 0, 0);
  vcd_.change(dma_busy_, 0, 0);
  vcd_.change(cp_state_, 0, uint64_t(CpState::IDLE));
  vcd_.change(status_busy_, 0, 0);
  vcd_.change(status_done_, 0, 0);
  vcd_.change(status_error_, 0, 0);
  accel.set_unit_hooks([this](bool b) { vcd_.change(dma_busy_, now_ps(), b); },
                       [this](CpState st) { vcd_.change(cp_state_, now_ps(), uint64_t(st)); },
                       [this](uint32_t status) {
                         const uint64_t t = now_ps();
                         vcd_.change(status_busy_, t, (status & regs::STATUS_BUSY) != 0);
                         vcd_.change(status_done_, t, (status & regs::STATUS_DONE) != 0);
                         vcd_.change(status_error_, t, (status & regs::STATUS_ERROR) != 0);
                       });
  SC_HAS_PROCESS(VcdProbe);
  SC_METHOD(irq_changed);
  sensitive << irq_;
  dont_initialize();
}

void VcdProbe::irq_changed() { vcd_.change(irq_id_, now_ps(), irq_.read()); }

void VcdProbe::on_busy(const SystolicArray&, bool busy, uint8_t opcode, uint32_t cmd_index) {
  const uint64_t t = now_ps();
  vcd_.change(busy_, t, busy);
  if (busy) {
    vcd_.change(opcode_, t, opcode);
    vcd_.change(cmd_index_, t, cmd_index);
  } else {
    vcd_.change(feeding_, t, 0);
    vcd_.change(draining_, t, 0);
    vcd_.change(active_, t, 0);
    if (row_valid_ >= 0) vcd_.change(row_valid_, t, 0);
  }
}

void VcdProbe::on_beat(const SystolicArray& array, const ArrayBeat& b) {
  const uint64_t t = now_ps();
  vcd_.change(beat_, t, b.beat);
  vcd_.change(beat_cycles_, t, b.cycles);
  vcd_.change(feeding_, t, b.feeding);
  vcd_.change(draining_, t, b.draining);
  vcd_.change(active_, t, b.active_pes);
  if (row_valid_ >= 0) {
    uint64_t rows = 0;
    for (uint32_t r = 0; r < rows_; ++r)
      for (uint32_t c = 0; c < cols_; ++c)
        if (array.regs(r, c).valid_out) {
          rows |= uint64_t(1) << r;
          break;
        }
    vcd_.change(row_valid_, t, rows);
  }
}

}  // namespace epochcore
