// Vector / post-processing unit at the array edge: the element-wise and per-channel
// operations between the GEMM and SSM layers of an S4 block (GELU, GLU, residual add,
// BatchNorm, LayerNorm, mean pooling, embedding lookup), and their cycle and operation
// counts. Plain C++, float32. The order of the float operations is part of the hardware
// definition (docs/vector-unit.md): a cycle model and a fast model calling these functions
// produce the same bits.
//
// Layout: one sequence is [H][L] (channels-first, channel h at x[h*L + t]). A batch
// [B][H][L] is B calls at offsets b*H*L. Output arrays may equal the input array (in
// place); no other overlap is allowed. Bad shapes or parameters come back as a VecStatus
// naming the operation and the parameter; nothing throws or aborts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace epochcore::vec {

struct VecStatus {
  std::string error;  // empty: success
  bool ok() const { return error.empty(); }
};

// ---------------------------------------------------------------- operations

// y[i] = 0.5*x*(1+erf(x/sqrt(2))), evaluated in double as 0.5*x*erfc(-x/sqrt(2)) (the same
// function, without the cancellation of 1+erf for x << 0) and rounded once to float.
VecStatus gelu(const float* x, float* y, size_t n);

// PyTorch nn.GLU(dim=channel): input [2C][L], a = channels [0, C), b = channels [C, 2C);
// y[c][t] = a[c][t] * sigmoid(b[c][t]), evaluated in double as a / (1 + exp(-b)) and rounded
// once to float. Output [C][L]. `in_channels` (2C) must be even.
VecStatus glu(const float* x, float* y, uint32_t in_channels, uint32_t length);

// y[i] = x[i] + r[i] (one float add).
VecStatus residual_add(const float* x, const float* r, float* y, size_t n);

// BatchNorm at inference, folded once per channel (in double, each result rounded to float):
//   scale[h] = gamma[h] / sqrt(var[h] + eps),  shift[h] = beta[h] - mean[h] * scale[h].
struct BatchNormFolded {
  std::vector<float> scale, shift;  // [H]
};
// Fills `out`. Every vector must hold `channels` values; eps >= 0 and var[h] + eps > 0.
VecStatus fold_batchnorm(const std::vector<float>& mean, const std::vector<float>& var,
                         const std::vector<float>& gamma, const std::vector<float>& beta,
                         float eps, uint32_t channels, BatchNormFolded& out);
// y[h][t] = x[h][t] * scale[h] + shift[h] (float multiply, then float add).
VecStatus batchnorm_apply(const float* x, float* y, uint32_t channels, uint32_t length,
                          const BatchNormFolded& bn);

// LayerNorm over the channels at each time step t (PyTorch nn.LayerNorm(H) on [L][H]),
// biased variance, all in float, sums in ascending h:
//   mean = (sum_h x) / H;  var = (sum_h (x-mean)^2) / H;  rstd = 1 / sqrt(var + eps);
//   y[h][t] = ((x[h][t] - mean) * rstd) * gamma[h] + beta[h].
// gamma and beta hold `channels` values; eps > 0.
VecStatus layernorm(const float* x, float* y, uint32_t channels, uint32_t length,
                    const std::vector<float>& gamma, const std::vector<float>& beta,
                    float eps);

// Mean over the first valid_len steps of one sequence: out[h] = (sum_{t<valid_len} x[h][t])
// / valid_len, float sum in ascending t, one float division. 1 <= valid_len <= length.
VecStatus mean_pool(const float* x, float* out, uint32_t channels, uint32_t length,
                    uint32_t valid_len);

// Token ids [L] -> [H][L] from a table laid out [vocab][H] (PyTorch nn.Embedding.weight):
// y[h][t] = table[ids[t]*H + h]. An id outside [0, vocab) is an error naming the position
// and the id; `y` is then left partly written.
VecStatus embedding_lookup(const int64_t* ids, uint32_t length, const float* table,
                           uint32_t vocab, uint32_t channels, float* y);

// ---------------------------------------------------------------- costs

enum class VecOp { Gelu, Glu, ResidualAdd, BatchNorm, LayerNorm, MeanPool, Embedding };
const char* vec_op_name(VecOp op);

// cycles = ceil(elements / lanes) * factor, elements as in docs/vector-unit.md.
// The factors are assumptions (cycles per lane-wide group of elements), not measurements.
struct VecCostParams {
  uint32_t lanes = 32;
  uint32_t gelu_factor = 4;       // erf by polynomial/table: a few pipeline passes
  uint32_t glu_factor = 4;        // exp + reciprocal + multiply
  uint32_t residual_factor = 1;   // one add
  uint32_t batchnorm_factor = 1;  // one multiply-add
  uint32_t layernorm_factor = 3;  // three passes: mean, variance, normalise
  uint32_t mean_pool_factor = 1;  // one accumulate per element
  uint32_t embedding_factor = 1;  // one copy per element
  uint32_t factor(VecOp op) const;
};

// Operations by kind for the energy model. special: erf, exp, divide, reciprocal, sqrt.
struct VecOpCounts {
  uint64_t mul = 0, add = 0, special = 0;
  uint64_t move = 0;  // element copies without arithmetic (embedding)
  VecOpCounts& operator+=(const VecOpCounts& o);
};

struct VecCost {
  uint64_t elements = 0;
  uint64_t cycles = 0;
  VecOpCounts ops;
};

// Cost of one call on one sequence. `channels`, `steps` are the operation's own arguments:
// for Glu, channels = in_channels (2C); for MeanPool, steps = valid_len. Errors for
// lanes == 0, a zero factor, or an odd Glu channel count.
VecStatus vec_cost(VecOp op, uint64_t channels, uint64_t steps, const VecCostParams& p,
                   VecCost& out);

}  // namespace epochcore::vec
