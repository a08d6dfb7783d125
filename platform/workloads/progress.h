// The progress line of a long run (stderr, rewritten in place with '\r'): the stage of a
// whole model (name, i/N) or the commands done of a layer or GEMM, the percent of the job
// (commands done / commands planned) and the simulated time so far.
//
// Driven by one SystemC thread woken at a coarse simulated-time interval that adapts to
// the simulation's speed (about 10 wake-ups per wall-clock second); the hot loops of the
// models are not touched. Every run ends with sc_stop (the host's exit or the RV32 core's
// stop), so the pending wake-up never lengthens the simulated time.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/platform/workloads/workload.h"

namespace epochcore {

class CommandProcessor;

class ProgressMeter : public sc_core::sc_module {
 public:
  // `stages`: a whole model's stages in execution order (empty for a layer or GEMM: one
  // stream, the command processor's). `delay_s`: wall seconds before the first line.
  ProgressMeter(sc_core::sc_module_name name, const CommandProcessor& cp,
                std::function<std::vector<ProgressStage>()> stages, double delay_s);
  // After the simulation: the final line and its newline (when a line was shown).
  void finish();

 private:
  void thread();
  void print(bool final);

  const CommandProcessor& cp_;
  std::function<std::vector<ProgressStage>()> stages_;
  double delay_s_;
  std::chrono::steady_clock::time_point start_, last_wake_, last_print_;
  bool shown_ = false;
  size_t width_ = 0;  // of the last line, to blank what a shorter line leaves
};

}  // namespace epochcore
