// Activation ranges of a whole S4 model (docs/models.md, docs/precisions.md): the largest
// |value| of every tensor the accelerator's vector unit writes, measured with the
// double-precision reference over a set of inputs. The model compiler turns them into the
// static per-tensor scales of the integer formats (post-training calibration).
// Implemented in s4_model_reference.cpp: the reference's own forward pass, recording the
// ranges on the way, so the calibration can never drift from the reference.
#pragma once
#include <cstdint>
#include <vector>

#include "models/reference/s4_model_reference.h"

namespace epochcore {

struct BlockRanges {
  double ssm_in = 0;    // z: the SSM input (after the prenorm, masked)
  double ssm_out = 0;   // s: the SSM output (D skip included; kept at accumulator precision)
  double gelu = 0;      // g = GELU(s)
  double linear = 0;    // u = W_out g + b_out, all 2H rows
  double glu = 0;       // y = a * sigmoid(b)
  double residual = 0;  // x + y
  double out = 0;       // the block's output (after the post-norm; = residual with prenorm)
};

struct ActivationRanges {
  double encoder_out = 0;          // x after the encoder
  std::vector<BlockRanges> layers; // n_layers
  double final_norm = 0;           // prenorm: final norm output (0 otherwise)
  double pool_sum = 0;             // sum over the valid steps, before the division
  double features = 0;             // pooled mean
  double head_in = 0;              // retrieval: [f_a, f_b, f_a - f_b, f_a * f_b]
  double head_hidden = 0;          // retrieval: W1 . + b1
  double head_gelu = 0;            // retrieval: GELU of it
  double logits = 0;
};

// Ranges over B inputs (layout as s4_model_forward). Throws what s4_model_forward throws.
// Each range covers all L steps of every sequence, padded steps included (the accelerator
// writes them too), except pool_sum, which sums the valid steps only. The forward pass is
// s4_model_forward's, operation for operation: its logits are the same bits.
ActivationRanges s4_model_activation_ranges(const S4ModelDesc& d, const S4ModelWeights& w,
                                            const double* inputs, uint32_t B,
                                            const uint32_t* lengths = nullptr);

// The same pass, returning the logits [B][classes] (bit-identical to s4_model_forward's)
// and filling `ranges`: one double-precision pass gives the reference and the calibration.
std::vector<double> s4_model_forward_with_ranges(const S4ModelDesc& d, const S4ModelWeights& w,
                                                 const double* inputs, uint32_t B, const uint32_t* lengths,
                                                 ActivationRanges& ranges);

}  // namespace epochcore
