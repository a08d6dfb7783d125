// Whole-model files (docs/models.md): the model description (YAML), the weights (one
// safetensors file, tensor names after the S4 repository's state dict) and the inputs
// (.npy token ids or values, optional .npy valid lengths). Every error is a FormatError
// whose message starts with the file (and line) and names the key or tensor and what
// was expected.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/platform/io/npy.h"  // FormatError

namespace YAML {
class Node;
}

namespace epochcore::io {

// ---- Model description ----
// Keys (docs/models.md): task, description, input (tokens | values), d_input, H, N or M
// (exactly one; N = 2M must be even), L, n_layers, prenorm, norm (batch | layer),
// bidirectional, pooling (mean), classes, retrieval, dropout, norm_eps, init, dt_min,
// dt_max; block (s4d | liquid_s4 | mamba): for liquid_s4 only, liquid_kernel (polyb | kb |
// kb_repo), liquid_degree (2..8), allcombs, lcontract (none | tanh | lecun); for mamba,
// d_state, d_conv, expand, dt_rank (integer or auto) instead of N/M, bidirectional and init
// (norm rms, prenorm true by default).
// Required: task, input, d_input, H, N or M (not mamba), L, n_layers, classes; the others
// have the defaults of S4ModelDesc. Unknown keys (with a suggestion when close to a
// valid one), duplicate keys, wrong types and out-of-range values are errors.
S4ModelDesc load_model_description(const std::string& path);
S4ModelDesc parse_model_description(const std::string& yaml_text, const std::string& origin);
// A map node, e.g. the `model:` section of a larger file; `origin` names the file.
S4ModelDesc parse_model_description(const YAML::Node& map, const std::string& origin);
// Every key (M written as N = 2M), in the order above; parses back to the same description.
std::string model_description_to_yaml(const S4ModelDesc& d);

// ---- Weights ----
struct TensorSpec {
  std::string name;
  std::vector<size_t> shape;
};
// The tensors a model's weights file holds, in model order (docs/models.md lists them).
// The description must be valid (check_s4_model_desc).
std::vector<TensorSpec> model_tensor_specs(const S4ModelDesc& d);

// Reads and checks the weights of model `d`: every tensor of model_tensor_specs, no
// other, each F32 or F64 with exactly its shape (checked from the file's header, before
// any data is read); then check_s4_model_weights (an
// exp(log_dt) overflow, say, is reported with the tensor's name).
S4ModelWeights load_model_weights(const std::string& path, const S4ModelDesc& d);
// Writes `w` with dtype "F32" or "F64". Throws std::invalid_argument if `w` does not fit
// `d` (check_s4_model_weights) or for another dtype; FormatError if the file cannot be written.
void save_model_weights(const std::string& path, const S4ModelDesc& d, const S4ModelWeights& w,
                        const std::string& dtype);

// ---- Inputs ----
struct ModelInputs {
  uint32_t B = 0;                 // inputs (pairs of documents for retrieval)
  std::vector<double> data;       // layout of s4_model_forward's inputs
  std::vector<uint32_t> lengths;  // empty (all L) or [B][docs]
};
// inputs .npy: tokens (integer dtype) (B, L), retrieval (B, 2, L); values (any dtype)
// (B, L, d_input), or (B, L) when d_input is 1, retrieval (B, 2, L[, d_input]).
// lengths .npy (optional, "" for none): integer (B,), retrieval (B, 2), each in [1, L].
// Token ids must lie in [0, d_input). Both files' headers are checked (shape, dtype)
// before their data is read; `before_read`, when given, is called with B once the headers
// are checked and before any data is read (e.g. to refuse B against a memory ceiling).
ModelInputs load_model_inputs(const std::string& inputs_path, const std::string& lengths_path,
                              const S4ModelDesc& d,
                              const std::function<void(uint32_t B)>& before_read = {});

}  // namespace epochcore::io
