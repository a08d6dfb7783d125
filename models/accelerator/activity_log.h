// What the accelerator's units did, command by command: the source of the report's
// per-command records, the stall breakdown and the trace timeline. Units append one
// entry per completed operation (not per cycle), so it costs nothing in the hot loops.
#pragma once
#include <cstdint>
#include <vector>

namespace epochcore {

struct Activity {
  enum Unit : uint8_t { COMMAND_PROCESSOR = 0, DMA = 1, ARRAY = 2, VECTOR = 3 };
  Unit unit = COMMAND_PROCESSOR;
  uint8_t opcode = 0;
  uint32_t cmd_index = 0;
  uint64_t start_ps = 0, end_ps = 0;
  uint64_t bytes = 0;                                // DMA: bytes moved
  uint64_t stall_input = 0, stall_output = 0;        // ARRAY: feed stall cycles
  uint64_t active_pe_cycles = 0;                     // ARRAY
  uint64_t wait_array_ps = 0, wait_dma_ps = 0;       // COMMAND_PROCESSOR: what a wait waited for
                                                     // (wait_array_ps: the compute units, array and vector)
  uint8_t vec_op = 0;                                // VECTOR: cmd::VecOp
  uint64_t elements = 0;                             // VECTOR: elements written (0 on BAD_TOKEN)
};

struct ActivityLog {
  std::vector<Activity> entries;
  void add(const Activity& a) { entries.push_back(a); }
};

}  // namespace epochcore
