// Vector / post-processing unit at the array edge: the element-wise and per-channel
// operations between the GEMM and SSM layers of an S4 block (GELU, GLU, residual add,
// BatchNorm, LayerNorm, mean pooling, embedding lookup; for Mamba blocks RMSNorm, causal
// depthwise conv1d, SiLU, softplus and the output gate), and their cycle and operation
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

// ---------------------------------------------------------------- Mamba operations
// (state-spaces/mamba; docs/vector-unit.md "Operations and their exact order")

// SiLU: y[i] = x * sigmoid(x), evaluated in double as x / (1 + exp(-x)), rounded once.
VecStatus silu(const float* x, float* y, size_t n);

// torch.nn.functional.softplus (beta 1, threshold 20): y = x for x > 20 (float compare),
// else float(log1p(exp(double(x)))), rounded once.
VecStatus softplus(const float* x, float* y, size_t n);

// Mamba's output gate y * silu(z), fused: float(double(y) * double(z) / (1 + exp(-double(z)))),
// rounded once (y*z is exact in double).
VecStatus gate(const float* y, const float* z, float* out, size_t n);

// RMSNorm over the channels at each step t (mamba_ssm RMSNorm / torch: x * rsqrt(mean(x^2) +
// eps) * w), all in float, sum in ascending h:
//   ms = (sum_h x*x) / H;  rstd = 1 / sqrt(ms + eps);  y[h][t] = (x[h][t] * rstd) * weight[h].
// weight holds `channels` values; eps > 0.
VecStatus rmsnorm(const float* x, float* y, uint32_t channels, uint32_t length,
                  const std::vector<float>& weight, float eps);

// Causal depthwise conv1d with bias (PyTorch Conv1d(groups=C, padding=K-1), first L outputs):
//   y[c][t] = bias[c] + sum_{k=0..K-1} w[c][k] * x[c][t-(K-1)+k],
// float, accumulated from bias[c] in ascending k (one float multiply, then one float add per
// tap); samples before t = 0 are 0.0f (the tap still multiplies them), or, when `history`
// is given, history[c*(K-1) + j] is x[c][j-(K-1)] (j = 0..K-2, oldest first).
// weight is [C][K] (conv1d.weight [C,1,K]), bias [C]; 1 <= K <= kMaxConvTaps (16).
VecStatus conv1d_causal(const float* x, float* y, uint32_t channels, uint32_t length,
                        uint32_t taps, const std::vector<float>& weight,
                        const std::vector<float>& bias, const float* history = nullptr);
constexpr uint32_t kMaxConvTaps = 16;  // = cmd::kMaxConvTaps (EC_VEC_CONV1D_MAX_TAPS)

// ---------------------------------------------------------------- Liquid-S4 operation
// (docs/liquid-s4.md; the repository's upgrade_degree with allcombs false)

// The liquid terms of Q orders (p = 2..Q+1) on each channel, in float:
//   c_1 = x;  c_p[t] = c_{p-1}[t] * c_{p-1}[t-1]  (one float multiply; before step 0 the Q
//   samples of `history` (history[c*Q + j] is x[c][j-Q], oldest first) or zeros);
//   y[c][t] = base[c][t] + sum_p coeff[c*Q + p-2] * c_p[t'], accumulated from the base in
//   ascending p (one float multiply, then one float add per order),
//   base = x (base == nullptr) or `base`, t' = t, or length-1-t when `reverse`.
// y must not overlap x; it may equal base (in place accumulation). 1 <= Q <= kMaxLiquidOrders.
VecStatus liquid_terms(const float* x, const float* base, float* y, uint32_t channels,
                       uint32_t length, uint32_t orders, const std::vector<float>& coeff,
                       bool reverse, const float* history = nullptr);
constexpr uint32_t kMaxLiquidOrders = 7;  // = cmd::kMaxLiquidOrders (EC_VEC_LIQUID_MAX_ORDERS)

// ---------------------------------------------------------------- row kernels
// The arithmetic of the functions above on raw rows, without checks: the RUN_VEC executor
// (vector_op_math.h) calls them on validated commands, the functions above call them too,
// so both evaluate in the same order. Output may equal an input (in place); no allocation.

// y[i] = float(0.5 * x * erfc(-x / sqrt(2))) in double, as gelu().
void gelu_row(const float* x, float* y, size_t n);
// y[i] = float(double(a[i]) / (1.0 + exp(-double(b[i])))), as glu() on its halves.
void glu_row(const float* a, const float* b, float* y, size_t n);
// One float operation per element: x + r, x - r, x * r.
void add_row(const float* x, const float* r, float* y, size_t n);
void sub_row(const float* x, const float* r, float* y, size_t n);
void mul_row(const float* x, const float* r, float* y, size_t n);
// y[i] = x[i] * scale + shift (float multiply, then float add), as batchnorm_apply().
void affine_row(const float* x, float* y, size_t n, float scale, float shift);
// Sum of x[0..n) in float, ascending, from 0.0f (mean_pool's sum).
float sum_row(const float* x, size_t n);

// LayerNorm statistics of one step t over `channels` rows `row_step` words apart (x points
// at row 0's element t), as layernorm(): mean, then rstd = 1 / sqrt(var + eps).
struct LayerNormStats {
  float mean = 0.0f, rstd = 0.0f;
};
LayerNormStats layernorm_stats(const float* x, size_t row_step, uint32_t channels, float eps);
// ((x - mean) * rstd) * gamma + beta, in float, in this order.
inline float layernorm_apply(float x, const LayerNormStats& s, float gamma, float beta) {
  return ((x - s.mean) * s.rstd) * gamma + beta;
}

// y[i] = float(double(x) / (1.0 + exp(-double(x)))), as silu().
void silu_row(const float* x, float* y, size_t n);
// y[i] = x > 20.0f ? x : float(log1p(exp(double(x)))), as softplus().
void softplus_row(const float* x, float* y, size_t n);
// out[i] = float(double(y) * double(z) / (1.0 + exp(-double(z)))), as gate().
void gate_row(const float* y, const float* z, float* out, size_t n);

// RMSNorm's 1/sqrt(mean(x^2) + eps) of one step over `channels` rows `row_step` words apart.
float rmsnorm_rstd(const float* x, size_t row_step, uint32_t channels, float eps);
// (x * rstd) * weight, in float, in this order.
inline float rmsnorm_apply(float x, float rstd, float weight) { return (x * rstd) * weight; }

// One channel of conv1d_causal: x[0..n) with `hist` = the K-1 samples before x[0] (oldest
// first; null: zeros), w[0..K), bias. In place (y == x) is allowed: the kernel keeps the
// last K-1 inputs in a window and reads x[t] before writing y[t]. taps <= kMaxConvTaps.
void conv1d_row(const float* x, const float* hist, const float* w, float bias, uint32_t taps,
                float* y, size_t n);

// One channel of liquid_terms: x[0..n) with `hist` = the Q samples before x[0] (oldest
// first; null: zeros), coeff[0..Q), base (null: x) and y (y may equal base, never x).
void liquid_row(const float* x, const float* hist, const float* coeff, uint32_t orders,
                const float* base, float* y, size_t n, bool reverse);

// Token ids stored as int32 bit patterns in float scratchpad words (RUN_VEC EMBED).
int32_t token_id_of_word(float word);
float word_of_token_id(int32_t id);
// The first position t < length whose id is outside [0, vocab), or length when all fit.
uint32_t first_bad_token(const float* id_words, uint32_t length, uint32_t vocab);

// ---------------------------------------------------------------- costs

// Cost kinds. RUN_VEC maps its operations onto these (vector_op_math.cpp): ADD ->
// ResidualAdd, AFFINE -> BatchNorm (the same multiply-add), POOL_SUM -> PoolSum.
enum class VecOp { Gelu, Glu, ResidualAdd, BatchNorm, LayerNorm, MeanPool, Embedding,
                   Copy, Zero, Sub, Mul, PoolSum, RmsNorm, Conv1d, Silu, Softplus, Gate,
                   Liquid };
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
  uint32_t copy_factor = 1;       // one copy per element
  uint32_t zero_factor = 1;       // one write per element
  uint32_t sub_factor = 1;        // one subtract
  uint32_t mul_factor = 1;        // one multiply
  uint32_t pool_sum_factor = 1;   // one accumulate per element
  uint32_t rmsnorm_factor = 2;    // two passes: sum of squares, normalise
  uint32_t conv1d_factor = 1;     // per tap: one multiply-add per tap per element (x K taps)
  uint32_t silu_factor = 4;       // exp + divide, as GLU
  uint32_t softplus_factor = 4;   // exp + log1p, two special functions, as GLU's two
  uint32_t gate_factor = 4;       // exp + divide + multiply: GLU's pipeline on y*z
  uint32_t liquid_factor = 1;     // per order: one product and one multiply-add (x Q orders)
  uint32_t factor(VecOp op) const;
};

// Operations by kind for the energy model. special: erf, exp, divide, reciprocal, sqrt.
struct VecOpCounts {
  uint64_t mul = 0, add = 0, special = 0;
  uint64_t move = 0;  // element copies or writes without arithmetic (embedding, copy, zero)
  VecOpCounts& operator+=(const VecOpCounts& o);
};

// Every lane count and factor >= 1; the error names the field ("vector lanes must be >= 1",
// "sub_factor must be >= 1").
VecStatus check_cost_params(const VecCostParams& p);

struct VecCost {
  uint64_t elements = 0;
  uint64_t cycles = 0;
  VecOpCounts ops;
};

// Cost of one call on one sequence. `channels`, `steps` are the operation's own arguments:
// for Glu, channels = in_channels (2C); for MeanPool, steps = valid_len. Errors for
// lanes == 0, a zero factor, or an odd Glu channel count.
// For PoolSum, elements = channels * steps (the adds; no division).
// For Conv1d, `taps` is K (1..kMaxConvTaps, else an error) and cycles =
// ceil(elements / lanes) * conv1d_factor * K; for Liquid, `taps` is Q (1..kMaxLiquidOrders)
// and cycles = ceil(elements / lanes) * liquid_factor * Q; the other kinds ignore `taps`.
VecStatus vec_cost(VecOp op, uint64_t channels, uint64_t steps, const VecCostParams& p,
                   VecCost& out, uint32_t taps = 0);

}  // namespace epochcore::vec
