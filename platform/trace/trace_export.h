// What --trace and --vcd write: the run's timeline as Chrome/Perfetto trace events (from
// the accelerator's activity log, after the run) and, in cycle mode, a waveform of the
// array and the interrupt line (VCD, written during the run). docs/traces.md.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/models/accelerator/epochcore_accel.h"
#include "epochcore/platform/trace/vcd_writer.h"

namespace epochcore {

// Tracks: pid 1 "epochcore", tid 1 command processor (issue instants, barrier waits),
// tid 2 DMA (transfers), tid 3 array (coefficient loads and passes), tid 4 vector unit,
// tid 5 "stages" (with `stage_names`, a whole model's stages in execution order: one slice
// per stage, from its stream's first command to its END); counter tracks "array
// utilization" (active PE-cycles / (PEs x cycles) of each array operation, 0 between
// them) and "dma bytes in flight" (the bytes of the DMA transfers under way).
bool write_chrome_trace(const std::string& path, const EpochCoreAccel& accel, sc_core::sc_time period,
                        std::string* error, const std::vector<std::string>& stage_names = {});

// Records, per array beat: busy, opcode, command index, beat index, the cycles the beat
// took (1 + stalls), feeding/draining, active PEs and one valid bit per row; and the irq.
class VcdProbe : public sc_core::sc_module, public ArrayProbe {
 public:
  // Also hooks the accelerator's DMA, command processor and STATUS (set_unit_hooks).
  VcdProbe(sc_core::sc_module_name name, const std::string& path, EpochCoreAccel& accel,
           const sc_core::sc_signal<bool>& irq);
  const char* kind() const override { return "epochcore::VcdProbe"; }
  void on_beat(const SystolicArray& array, const ArrayBeat& beat) override;
  void on_busy(const SystolicArray& array, bool busy, uint8_t opcode, uint32_t cmd_index) override;
  bool close(std::string* error) { return vcd_.close(error); }
  bool ok() const { return vcd_.ok(); }
  const std::string& error() const { return vcd_.error(); }

 private:
  void irq_changed();
  uint64_t now_ps() const { return sc_core::sc_time_stamp().value(); }

  VcdWriter vcd_;
  const sc_core::sc_signal<bool>& irq_;
  uint32_t rows_, cols_;
  int dma_busy_, cp_state_, status_busy_, status_done_, status_error_;
  int busy_, opcode_, cmd_index_, beat_, beat_cycles_, feeding_, draining_, active_, row_valid_ = -1, irq_id_;
};

}  // namespace epochcore
