// Closed-form timing of the command processor's compute issue: one in-order queue for the
// array and the vector unit (today), or two queues with a scratchpad scoreboard (scenario
// array.compute_queues: 2, HW_FEATURES.COMPUTE_QUEUES; contract/footprint.h). Plain C++:
// the command processor does not call it (it waits on the units' events); the tests
// compare the two (tests/sc/test_compute_queues.cpp). docs/architecture.md "Two compute
// queues" derives the formulas.
//
// Command i becomes ready `overhead_i` cycles after command i-1 issued (the processor's
// fetch of a record burst when i opens one, plus one decode cycle; command 0 counts from
// the doorbell). It issues at
//   one queue:  s_i = max(ready_i, e_j for every j < i)          (both units idle)
//   two queues: s_i = max(ready_i, e_p, hazard_i ? e_q : 0)
// where p is the latest earlier command of its own unit, q the latest earlier command of
// the other unit (the only one that can still be in flight: each unit runs one command at
// a time), hazard_i whether i's scratchpad ranges conflict with q's; and ends at
// e_i = s_i + cycles_i. Issue is in order either way (ready_i >= s_{i-1}).
#pragma once
#include <cstdint>
#include <vector>

namespace epochcore::timing {

struct QueuedCommand {
  bool array = true;        // the array (LOAD_COEFFS, RUN_SSM, RUN_GEMM), else the vector unit
  uint64_t cycles = 0;      // the unit's busy cycles for it
  uint64_t overhead = 1;    // cycles from the previous issue to ready (fetch + decode)
  bool hazard = false;      // two queues: conflicts with the latest earlier other-unit command
};

struct QueueSchedule {
  std::vector<uint64_t> start, end;  // per command, in cycles from the doorbell
  uint64_t last_end = 0;             // when both units are idle after the last command
};

QueueSchedule compute_queue_schedule(const std::vector<QueuedCommand>& cmds, bool two_queues);

// The two-stage pipeline: a stream G_0 V_0 G_1 V_1 ... G_{T-1} V_{T-1} where V_k (vector
// unit, v_k cycles) reads what G_k (array, g_k cycles) wrote and G_{k+1} writes elsewhere
// (double-buffered); G_k's overhead (fetch + decode, as above) is og_k, V_k's ov_k. From
// G_0's issue to V_{T-1}'s end:
//   two queues: max(ov_0, g_0) + sum_{k=1}^{T-1} max(og_k + max(ov_k, g_k), v_{k-1}) + v_{T-1}
//   one queue:  sum_k max(ov_k, g_k) + sum_{k=1}^{T-1} max(og_k, v_{k-1}) + v_{T-1}
// With one decode cycle per command (og = ov = 1) and g_k, v_k >= 1 these are
//   two queues: g_0 + sum_{k=1}^{T-1} max(g_k + 1, v_{k-1}) + v_{T-1};  one queue: sum_k (g_k + v_k).
// Empty g (T = 0): 0. All four vectors must have the same size (og_0 is not used).
uint64_t two_stage_pipeline_cycles(const std::vector<uint64_t>& g, const std::vector<uint64_t>& v,
                                   const std::vector<uint64_t>& og, const std::vector<uint64_t>& ov,
                                   bool two_queues);
// The same with `o` cycles of overhead for every command.
uint64_t two_stage_pipeline_cycles(const std::vector<uint64_t>& g, const std::vector<uint64_t>& v, uint64_t o,
                                   bool two_queues);

}  // namespace epochcore::timing
