// Activation ranges of a whole S4 model: the largest |value| of every tensor the
// accelerator's vector unit writes (docs/models.md, docs/precisions.md). The reference
// measures them (maths/reference/s4_model_calibration.h); the model compiler turns them
// into the static per-tensor scales of the integer formats.
#pragma once
#include <vector>

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

}  // namespace epochcore
