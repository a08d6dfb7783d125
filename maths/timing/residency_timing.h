// Closed form of what partial residency (the model compiler's compiler.residency: partial,
// docs/model-compiler.md) saves against the all-streaming plan: the DMA bytes of every
// stage exactly, and the DMA engine's busy cycles of the encoder and the tails (their
// transfers keep their shape and lose rows, so dma_timing's closed form gives them). The
// SSM stage's streamed part runs other chunks than the all-streaming plan, so only its
// bytes have a closed form. Plain C++ (ec_maths), checked against the simulated
// counters in tests/e2e/test_model.cpp ("partial residency").
#pragma once
#include <cstdint>
#include <vector>

#include "epochcore/maths/timing/dma_timing.h"

namespace epochcore::timing {

// The model and the plans' choices that the savings depend on.
struct ResidencyShape {
  uint32_t H = 0, L = 0, S = 0;      // channels, steps, sequences (B * docs)
  uint32_t layers = 0;               // blocks
  uint32_t passes = 1;               // the S4D plan's mode passes P
  bool bidirectional = false;        // the S4D job's directions == 2
  bool mixed = false;                // per-segment direction plan (no backward runs)
  uint32_t resident_rows = 0;        // R: items c = q*H + h < R are resident
  uint32_t enc_T = 0;                // encoder tile steps
  uint32_t tail_T = 0, tail_N = 0;   // tail tile steps and n-block steps
  std::vector<uint32_t> lengths;     // [S] valid lengths (the last tail pools only these)
};

struct ResidencySavings {
  uint64_t encoder_bytes = 0;    // z rows not stored
  uint64_t ssm_bytes = 0;        // per SSM stage: z and s windows (and partial sums) not moved
  uint64_t tail_bytes = 0;       // per tail but the last: s rows not fetched, z rows not stored
  uint64_t last_tail_bytes = 0;  // the last tail: s rows not fetched (pooled tiles only)
  uint64_t encoder_dma_cycles = 0, tail_dma_cycles = 0, last_tail_dma_cycles = 0;  // DMA busy cycles
  uint64_t total_bytes(uint32_t layers) const {
    return encoder_bytes + uint64_t(layers) * ssm_bytes + (layers ? uint64_t(layers - 1) * tail_bytes : 0) +
           (layers ? last_tail_bytes : 0);
  }
};

// Resident channels of sequence q (0..H).
uint32_t resident_channels(uint32_t resident_rows, uint32_t H, uint32_t q);

// Activation bytes one streamed item moves in an S4D stage (s4d_layer_stream.cpp): per
// pass, the input window in and the output out over L steps, partial sums in for every
// pass after the first; a bidirectional layer without the mixed plan adds per pass
// backward runs over L-1 steps, each fetching input and partial sums and storing output.
//   4 * (P*2L + (P-1)*L + [bidirectional, not mixed] P*3(L-1))
uint64_t ssm_item_activation_bytes(uint32_t L, uint32_t passes, bool bidirectional, bool mixed);

// The tile widths of a stage's stream, per sequence in order (as s4_model_stream.cpp's
// tiles(): T-step tiles, only the n-blocks before the valid length with skip_padding, the
// stream's first and last tiles split to one n-block with ramp).
struct TileWidth {
  uint32_t q = 0, width = 0;
};
std::vector<TileWidth> stage_tiles(uint32_t S, uint32_t L, uint32_t T, uint32_t N,
                                   const std::vector<uint32_t>& lengths, bool skip_padding, bool ramp);

// Savings of partial residency with `shape.resident_rows` rows against the all-streaming
// plan. input / output: the DMA paths to the input scratchpad (s fetches) and from the
// output scratchpad (z stores). Throws like dma_transfer_cycles on unusable parameters.
ResidencySavings partial_residency_savings(const ResidencyShape& shape, const DmaParams& dma,
                                           const DmaPath& input, const DmaPath& output);

}  // namespace epochcore::timing
