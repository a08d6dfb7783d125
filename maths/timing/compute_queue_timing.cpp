#include "epochcore/maths/timing/compute_queue_timing.h"

#include <algorithm>
#include <stdexcept>

namespace epochcore::timing {

QueueSchedule compute_queue_schedule(const std::vector<QueuedCommand>& cmds, bool two_queues) {
  QueueSchedule s;
  s.start.resize(cmds.size());
  s.end.resize(cmds.size());
  uint64_t prev_issue = 0;
  uint64_t unit_end[2] = {0, 0};  // [0] array, [1] vector unit: end of its latest command
  for (size_t i = 0; i < cmds.size(); ++i) {
    const QueuedCommand& c = cmds[i];
    const int own = c.array ? 0 : 1, other = 1 - own;
    uint64_t t = prev_issue + c.overhead;
    if (two_queues) {
      t = std::max(t, unit_end[own]);
      if (c.hazard) t = std::max(t, unit_end[other]);
    } else {
      t = std::max({t, unit_end[0], unit_end[1]});
    }
    s.start[i] = t;
    s.end[i] = t + c.cycles;
    unit_end[own] = s.end[i];
    prev_issue = t;
  }
  s.last_end = std::max(unit_end[0], unit_end[1]);
  return s;
}

uint64_t two_stage_pipeline_cycles(const std::vector<uint64_t>& g, const std::vector<uint64_t>& v,
                                   const std::vector<uint64_t>& og, const std::vector<uint64_t>& ov,
                                   bool two_queues) {
  if (g.size() != v.size() || og.size() != g.size() || ov.size() != g.size())
    throw std::invalid_argument("two_stage_pipeline_cycles: g, v, og and ov differ in size");
  if (g.empty()) return 0;
  uint64_t total = v.back();
  if (!two_queues) {
    for (size_t k = 0; k < g.size(); ++k) total += std::max(ov[k], g[k]);
    for (size_t k = 1; k < g.size(); ++k) total += std::max(og[k], v[k - 1]);
    return total;
  }
  total += std::max(ov[0], g[0]);
  for (size_t k = 1; k < g.size(); ++k) total += std::max(og[k] + std::max(ov[k], g[k]), v[k - 1]);
  return total;
}

uint64_t two_stage_pipeline_cycles(const std::vector<uint64_t>& g, const std::vector<uint64_t>& v, uint64_t o,
                                   bool two_queues) {
  const std::vector<uint64_t> oo(g.size(), o);
  return two_stage_pipeline_cycles(g, v, oo, oo, two_queues);
}

}  // namespace epochcore::timing
