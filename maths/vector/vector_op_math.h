// One RUN_VEC command executed on scratchpad memory: the vector unit's whole datapath
// as plain C++, called by the SystemC vector unit (both timing modes) and by the
// firmware tests' fake accelerator, so every model of the unit computes the same bits.
// Arithmetic per operation: vector_unit_math.h; output rounding: number_format_math.h;
// command fields: models/interface/commands.h (RunVec); docs/vector-unit.md.
#pragma once
#include <cstdint>

#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/maths/vector/vector_unit_math.h"

namespace epochcore::vec {

struct VecExecResult {
  regs::ErrorCause cause = regs::ErrorCause::NONE;  // BAD_TOKEN for an id outside the table
  uint32_t bad_position = 0;                        // BAD_TOKEN: the step t of the id
  uint64_t cycles = 0;                              // closed form: vec_cost of the operation
  uint64_t elements = 0;                            // elements written
  VecOpCounts ops;                                  // for the energy model
  uint64_t read_words[cmd::kNumSpads] = {0, 0, 0};  // scratchpad traffic by SpadId
  uint64_t write_words[cmd::kNumSpads] = {0, 0, 0};
};

// Cycles and counts of a (valid) command without executing it, as vec_execute returns
// them when it succeeds. Scratchpad words: each operand word the operation uses is read
// once (A: C*T, GLU 2C*T, EMBED T ids, CONV1D with FLAG_HISTORY C*(T+K-1); B: C*T for
// ADD/SUB/MUL/GATE and EMBED (one table row per token), 2C for AFFINE, 2C+1 for LAYERNORM,
// C+1 for RMSNORM, C*(K+1) for CONV1D; POOL_SUM with FLAG_ACCUMULATE also reads the C old
// D words), every written word once (C*T, POOL_SUM C). All zero for an op
// outside VecOp or parameters that check_cost_params rejects.
VecExecResult vec_command_cost(const cmd::RunVec& c, const VecCostParams& p);

// Executes a command that cmd::validate accepted. `spads[i]` is scratchpad i's words
// (by cmd::SpadId). Every written value is rounded to `format` (out_scale for the
// integer formats). On BAD_TOKEN nothing is written and the result counts only the pass
// over the ids: cycles = ceil(T / lanes), T words read from A, no elements or ops.
VecExecResult vec_execute(const cmd::RunVec& c, float* const spads[cmd::kNumSpads],
                          regs::NumberFormat format, const VecCostParams& p);

}  // namespace epochcore::vec
