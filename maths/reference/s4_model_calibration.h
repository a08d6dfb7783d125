// Activation ranges of a whole S4 model (docs/models.md, docs/precisions.md): the largest
// |value| of every tensor the accelerator's vector unit writes, measured with the
// double-precision reference over a set of inputs. The model compiler turns them into the
// static per-tensor scales of the integer formats (post-training calibration).
// Implemented in s4_model_reference.cpp: the reference's own forward pass, recording the
// ranges on the way, so the calibration can never drift from the reference.
#pragma once
#include <cstdint>
#include <vector>

#include "epochcore/description/activation_ranges.h"
#include "epochcore/maths/reference/s4_model_reference.h"

namespace epochcore {

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
