// The scratchpad footprint of a compute command: the byte ranges it reads and writes, for
// the command processor's scoreboard (HW_FEATURES.COMPUTE_QUEUES, scenario key
// array.compute_queues: 2; docs/commands.md "Two compute queues"). Each operand is one
// range [lo, hi) in one scratchpad: the hull of the rows the command touches, as one pair
// of range registers in hardware (two comparators per pair of ranges):
//   - exact when the operand is contiguous (one row, or rows `stride == row length`
//     apart): LOAD_COEFFS, the GEMM weight tile, AFFINE/LAYERNORM/RMSNORM/CONV1D
//     parameter blocks, and every [C][T] tile stored row after row;
//   - conservative (the gaps between rows count as touched) for strided operands: a GEMM's
//     input/output rows, a RUN_SSM's segments, RUN_VEC operands with a row stride longer
//     than the row, the two directions of a mixed RUN_SSM (one hull over both);
//   - conservative by necessity for EMBED's table (which rows are read depends on the
//     token ids, data the scoreboard cannot see): the whole table;
//   - a read-modify-write operand (FLAG_ACCUMULATE, RUN_SSM's added words, in-place
//     RUN_VEC) counts as written, which conflicts with every access of the other unit.
// Plain C++, unit-tested directly (tests/unit/test_footprint.cpp).
#pragma once
#include <stdint.h>

#include "epochcore/contract/commands.h"

namespace epochcore::cmd {

struct SpadRange {
  SpadId spad = SpadId::INPUT;
  uint64_t lo = 0, hi = 0;  // bytes [lo, hi); empty when lo == hi
  bool write = false;       // written (or read and written); else only read
};

constexpr uint32_t kMaxFootprintRanges = 3;  // RUN_VEC: A, B, D; RUN_GEMM: weights, input, output

struct Footprint {
  SpadRange r[kMaxFootprintRanges];
  uint32_t n = 0;
};

// The hull of `rows` rows of `row_bytes`, `stride` bytes apart from `base`, each row also
// covering `before` bytes before its start. Empty for rows == 0 or row_bytes + before == 0.
SpadRange row_hull(SpadId spad, uint64_t base, uint64_t rows, uint64_t row_bytes, uint64_t stride,
                   uint64_t before, bool write);

// The footprint of a valid compute record (LOAD_COEFFS, RUN_SSM, RUN_GEMM, RUN_VEC; the
// command processor validates first). RUN_SSM needs the segments LOAD_COEFFS loaded and
// how many of them are reversed (its rows depend on them). Other opcodes touch no
// scratchpad through the compute units: empty. An opcode this function does not know
// (none today) counts as writing all three scratchpads whole (`spad_bytes`).
Footprint footprint(const Record& r, uint32_t loaded_segments, uint32_t loaded_reversed,
                    const uint32_t spad_bytes[kNumSpads]);

// A read/write, write/read or write/write overlap between the two footprints (same
// scratchpad, overlapping non-empty ranges, at least one of the two written).
bool footprints_conflict(const Footprint& a, const Footprint& b);

}  // namespace epochcore::cmd
