// The workload kinds, one per workload.kind (make_workload chooses among them).
#pragma once
#include <memory>

#include "epochcore/platform/workloads/workload.h"

namespace epochcore {

// One S4D layer (firmware/kernels/s4d_layer): parameters and input from --params/--input
// or seeded; checked against the double-precision recurrence.
std::unique_ptr<Workload> make_s4d_layer_workload(const Scenario& s, const RunOptions& o);
// C = A * B with seeded A and B (firmware/kernels/gemm); checked against a double loop.
std::unique_ptr<Workload> make_gemm_workload(const Scenario& s, const RunOptions& o);
// A whole S4 model through the model compiler (compiler/s4_model); logits checked against
// the double-precision reference model.
std::unique_ptr<Workload> make_s4_model_workload(const Scenario& s, const RunOptions& o);

}  // namespace epochcore
