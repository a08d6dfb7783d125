#include "epochcore/platform/workloads/progress.h"

#include <algorithm>
#include <cstdio>

#include "epochcore/models/control/command_processor.h"

namespace epochcore {

namespace {
using Clock = std::chrono::steady_clock;
double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string sim_time_text(double s) {
  char buf[32];
  if (s < 1e-3) std::snprintf(buf, sizeof buf, "%.3f us", s * 1e6);
  else if (s < 1) std::snprintf(buf, sizeof buf, "%.3f ms", s * 1e3);
  else std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}
}  // namespace

ProgressMeter::ProgressMeter(sc_core::sc_module_name name, const CommandProcessor& cp,
                             std::function<std::vector<ProgressStage>()> stages, double delay_s)
    : sc_core::sc_module(name), cp_(cp), stages_(std::move(stages)), delay_s_(delay_s) {
  start_ = last_wake_ = last_print_ = Clock::now();
  SC_HAS_PROCESS(ProgressMeter);
  SC_THREAD(thread);
}

void ProgressMeter::thread() {
  sc_core::sc_time interval(1, sc_core::SC_US);
  const sc_core::sc_time min_interval(1, sc_core::SC_NS), max_interval(10, sc_core::SC_MS);
  for (;;) {
    wait(interval);
    // Nothing else left to simulate (a run that would end by starvation): stop waking.
    if (!sc_core::sc_pending_activity()) return;
    const Clock::time_point now = Clock::now();
    const double since_wake = seconds(now - last_wake_);
    last_wake_ = now;
    // About 10 wake-ups per wall-clock second, whatever the simulation's speed.
    if (since_wake < 0.05 && interval < max_interval) interval = interval * 2;
    else if (since_wake > 0.2 && interval > min_interval) interval = interval / 2;
    if (seconds(now - start_) >= delay_s_ && (!shown_ || seconds(now - last_print_) >= 0.25)) {
      last_print_ = now;
      print(false);
    }
  }
}

void ProgressMeter::print(bool final) {
  const uint64_t done = cp_.stats().commands;
  const std::vector<ProgressStage> stages = stages_ ? stages_() : std::vector<ProgressStage>{};
  std::string line;
  char buf[160];
  if (!stages.empty()) {
    uint64_t total = 0, before = 0;
    size_t at = stages.size() - 1;
    for (const ProgressStage& st : stages) total += st.commands;
    for (size_t i = 0; i < stages.size(); ++i) {
      if (done < before + stages[i].commands) {
        at = i;
        break;
      }
      before += stages[i].commands;
    }
    if (final && done >= total) at = stages.size() - 1;
    std::snprintf(buf, sizeof buf, "stage %zu/%zu %s, %.1f%%", at + 1, stages.size(), stages[at].name.c_str(),
                  total ? 100.0 * double(std::min(done, total)) / double(total) : 0.0);
  } else {
    const uint64_t total = cp_.stream_commands();
    std::snprintf(buf, sizeof buf, "commands %llu/%llu, %.1f%%", (unsigned long long)std::min(done, total),
                  (unsigned long long)total, total ? 100.0 * double(std::min(done, total)) / double(total) : 0.0);
  }
  line = std::string("epochcore-vp: ") + buf + ", simulated " + sim_time_text(sc_core::sc_time_stamp().to_seconds());
  const size_t w = line.size();
  if (w < width_) line.append(width_ - w, ' ');
  width_ = w;
  std::fprintf(stderr, "\r%s", line.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void ProgressMeter::finish() {
  if (!shown_) return;
  print(true);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace epochcore
