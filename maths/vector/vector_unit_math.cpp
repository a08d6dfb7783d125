#include "epochcore/maths/vector/vector_unit_math.h"

#include <cmath>
#include <cstring>

namespace epochcore::vec {
namespace {

VecStatus fail(const std::string& msg) { return VecStatus{msg}; }

std::string str(uint64_t v) { return std::to_string(v); }

}  // namespace

VecStatus gelu(const float* x, float* y, size_t n) {
  if (n > 0 && (!x || !y)) return fail("gelu: null input or output array");
  gelu_row(x, y, n);
  return {};
}

VecStatus glu(const float* x, float* y, uint32_t in_channels, uint32_t length) {
  if (in_channels % 2 != 0)
    return fail("glu: input channel count " + str(in_channels) +
                " is odd; GLU splits the channels into two equal halves a and b");
  const size_t half = size_t(in_channels / 2) * length;
  if (half > 0 && (!x || !y)) return fail("glu: null input or output array");
  glu_row(x, x + half, y, half);
  return {};
}

VecStatus residual_add(const float* x, const float* r, float* y, size_t n) {
  if (n > 0 && (!x || !r || !y)) return fail("residual_add: null input or output array");
  add_row(x, r, y, n);
  return {};
}

VecStatus fold_batchnorm(const std::vector<float>& mean, const std::vector<float>& var,
                         const std::vector<float>& gamma, const std::vector<float>& beta,
                         float eps, uint32_t channels, BatchNormFolded& out) {
  const std::pair<const char*, const std::vector<float>*> params[] = {
      {"running_mean", &mean}, {"running_var", &var}, {"weight (gamma)", &gamma},
      {"bias (beta)", &beta}};
  for (const auto& [name, v] : params)
    if (v->size() != channels)
      return fail(std::string("batchnorm: ") + name + " has " + str(v->size()) +
                  " values, expected " + str(channels) + " (one per channel)");
  if (!(eps >= 0.0f)) return fail("batchnorm: eps must be >= 0, got " + std::to_string(eps));
  out.scale.assign(channels, 0.0f);
  out.shift.assign(channels, 0.0f);
  for (uint32_t h = 0; h < channels; ++h) {
    const double denom = double(var[h]) + double(eps);
    if (!(denom > 0.0))
      return fail("batchnorm: running_var[" + str(h) + "] + eps = " + std::to_string(denom) +
                  " must be > 0");
    const double scale = double(gamma[h]) / std::sqrt(denom);
    out.scale[h] = float(scale);
    out.shift[h] = float(double(beta[h]) - double(mean[h]) * scale);
  }
  return {};
}

VecStatus batchnorm_apply(const float* x, float* y, uint32_t channels, uint32_t length,
                          const BatchNormFolded& bn) {
  if (bn.scale.size() != channels || bn.shift.size() != channels)
    return fail("batchnorm: folded scale/shift have " + str(bn.scale.size()) + "/" +
                str(bn.shift.size()) + " values, expected " + str(channels));
  if (size_t(channels) * length > 0 && (!x || !y))
    return fail("batchnorm: null input or output array");
  for (uint32_t h = 0; h < channels; ++h) {
    const size_t row = size_t(h) * length;
    affine_row(x + row, y + row, length, bn.scale[h], bn.shift[h]);
  }
  return {};
}

VecStatus layernorm(const float* x, float* y, uint32_t channels, uint32_t length,
                    const std::vector<float>& gamma, const std::vector<float>& beta,
                    float eps) {
  if (channels == 0) return fail("layernorm: channel count must be >= 1");
  if (gamma.size() != channels || beta.size() != channels)
    return fail("layernorm: weight (gamma) / bias (beta) have " + str(gamma.size()) + "/" +
                str(beta.size()) + " values, expected " + str(channels));
  if (!(eps > 0.0f)) return fail("layernorm: eps must be > 0, got " + std::to_string(eps));
  if (length > 0 && (!x || !y)) return fail("layernorm: null input or output array");
  for (uint32_t t = 0; t < length; ++t) {
    // The step's statistics are complete before any of its outputs is written (in place).
    const LayerNormStats st = layernorm_stats(x + t, length, channels, eps);
    for (uint32_t h = 0; h < channels; ++h) {
      const size_t i = size_t(h) * length + t;
      y[i] = layernorm_apply(x[i], st, gamma[h], beta[h]);
    }
  }
  return {};
}

VecStatus mean_pool(const float* x, float* out, uint32_t channels, uint32_t length,
                    uint32_t valid_len) {
  if (valid_len == 0 || valid_len > length)
    return fail("mean_pool: valid length " + str(valid_len) + " is outside [1, " +
                str(length) + "] (the sequence length)");
  if (channels > 0 && (!x || !out)) return fail("mean_pool: null input or output array");
  const float count = float(valid_len);
  for (uint32_t h = 0; h < channels; ++h) out[h] = sum_row(x + size_t(h) * length, valid_len) / count;
  return {};
}

VecStatus embedding_lookup(const int64_t* ids, uint32_t length, const float* table,
                           uint32_t vocab, uint32_t channels, float* y) {
  if (vocab == 0 || channels == 0)
    return fail("embedding: table shape [" + str(vocab) + ", " + str(channels) +
                "] is empty; expected [vocab >= 1, channels >= 1]");
  if (length > 0 && (!ids || !table || !y)) return fail("embedding: null array");
  for (uint32_t t = 0; t < length; ++t) {
    const int64_t id = ids[t];
    if (id < 0 || id >= int64_t(vocab))
      return fail("embedding: token id " + std::to_string(id) + " at position " + str(t) +
                  " is out of range [0, " + str(vocab) + ")");
    const float* row = table + size_t(id) * channels;
    for (uint32_t h = 0; h < channels; ++h) y[size_t(h) * length + t] = row[h];
  }
  return {};
}

VecStatus silu(const float* x, float* y, size_t n) {
  if (n > 0 && (!x || !y)) return fail("silu: null input or output array");
  silu_row(x, y, n);
  return {};
}

VecStatus softplus(const float* x, float* y, size_t n) {
  if (n > 0 && (!x || !y)) return fail("softplus: null input or output array");
  softplus_row(x, y, n);
  return {};
}

VecStatus gate(const float* y, const float* z, float* out, size_t n) {
  if (n > 0 && (!y || !z || !out)) return fail("gate: null input or output array");
  gate_row(y, z, out, n);
  return {};
}

VecStatus rmsnorm(const float* x, float* y, uint32_t channels, uint32_t length,
                  const std::vector<float>& weight, float eps) {
  if (channels == 0) return fail("rmsnorm: channel count must be >= 1");
  if (weight.size() != channels)
    return fail("rmsnorm: weight has " + str(weight.size()) + " values, expected " + str(channels) +
                " (one per channel)");
  if (!(eps > 0.0f)) return fail("rmsnorm: eps must be > 0, got " + std::to_string(eps));
  if (length > 0 && (!x || !y)) return fail("rmsnorm: null input or output array");
  for (uint32_t t = 0; t < length; ++t) {
    // The step's statistic is complete before any of its outputs is written (in place).
    const float rstd = rmsnorm_rstd(x + t, length, channels, eps);
    for (uint32_t h = 0; h < channels; ++h) {
      const size_t i = size_t(h) * length + t;
      y[i] = rmsnorm_apply(x[i], rstd, weight[h]);
    }
  }
  return {};
}

VecStatus conv1d_causal(const float* x, float* y, uint32_t channels, uint32_t length,
                        uint32_t taps, const std::vector<float>& weight,
                        const std::vector<float>& bias, const float* history) {
  if (channels == 0) return fail("conv1d: channel count must be >= 1");
  if (length == 0) return fail("conv1d: length must be >= 1");
  if (taps == 0 || taps > kMaxConvTaps)
    return fail("conv1d: taps K = " + str(taps) + " is outside [1, " + str(kMaxConvTaps) + "]");
  if (weight.size() != size_t(channels) * taps)
    return fail("conv1d: weight has " + str(weight.size()) + " values, expected channels*K = " +
                str(uint64_t(channels) * taps));
  if (bias.size() != channels)
    return fail("conv1d: bias has " + str(bias.size()) + " values, expected " + str(channels));
  if (!x || !y) return fail("conv1d: null input or output array");
  for (uint32_t c = 0; c < channels; ++c) {
    const size_t row = size_t(c) * length;
    conv1d_row(x + row, history ? history + size_t(c) * (taps - 1) : nullptr,
               weight.data() + size_t(c) * taps, bias[c], taps, y + row, length);
  }
  return {};
}

// ---------------------------------------------------------------- row kernels

void gelu_row(const float* x, float* y, size_t n) {
  const double inv_sqrt2 = 0.70710678118654752440;
  for (size_t i = 0; i < n; ++i) {
    const double v = x[i];
    // 1 + erf(z) == erfc(-z): same value, no cancellation for large negative x.
    y[i] = float(0.5 * v * std::erfc(-v * inv_sqrt2));
  }
}

void glu_row(const float* a, const float* b, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = float(double(a[i]) / (1.0 + std::exp(-double(b[i]))));
}

void silu_row(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const double v = x[i];
    y[i] = float(v / (1.0 + std::exp(-v)));
  }
}

void softplus_row(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    // torch's threshold rule (beta 1, threshold 20): the input itself above 20.
    y[i] = v > 20.0f ? v : float(std::log1p(std::exp(double(v))));
  }
}

void gate_row(const float* y, const float* z, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const double zd = z[i];
    out[i] = float(double(y[i]) * zd / (1.0 + std::exp(-zd)));  // y*z exact in double
  }
}

float rmsnorm_rstd(const float* x, size_t row_step, uint32_t channels, float eps) {
  float sq = 0.0f;
  for (uint32_t h = 0; h < channels; ++h) {
    const float v = x[h * row_step];
    sq += v * v;
  }
  const float ms = sq / float(channels);
  return 1.0f / std::sqrt(ms + eps);
}

void conv1d_row(const float* x, const float* hist, const float* w, float bias, uint32_t taps,
                float* y, size_t n) {
  // win[0..K-2]: the K-1 previous inputs, oldest first (tap k reads win[k], tap K-1 x[t]).
  float win[kMaxConvTaps];
  const uint32_t back = taps - 1;
  for (uint32_t j = 0; j < back; ++j) win[j] = hist ? hist[j] : 0.0f;
  for (size_t t = 0; t < n; ++t) {
    const float cur = x[t];  // read before y[t] is written (in place)
    float acc = bias;
    for (uint32_t k = 0; k < back; ++k) acc = acc + w[k] * win[k];
    acc = acc + w[back] * cur;
    for (uint32_t j = 0; j + 1 < back; ++j) win[j] = win[j + 1];
    if (back > 0) win[back - 1] = cur;
    y[t] = acc;
  }
}

void liquid_row(const float* x, const float* hist, const float* coeff, uint32_t orders,
                const float* base, float* y, size_t n, bool reverse) {
  // prev[k] = c_{k+1} at the previous step (k = 0..Q-1); the Q history samples (or zeros)
  // run through the same recursion first, so every c_p[t >= 0] (p <= Q+1) is exact.
  float prev[kMaxLiquidOrders];
  for (uint32_t k = 0; k < orders; ++k) prev[k] = 0.0f;
  auto step = [&](float u, float* c) {  // c[k] = c_{k+2} at this step
    float lower = u;                     // c_1
    for (uint32_t k = 0; k < orders; ++k) {
      const float cur = lower * prev[k];  // c_{k+2}[t] = c_{k+1}[t] * c_{k+1}[t-1]
      prev[k] = lower;
      lower = cur;
      c[k] = cur;
    }
  };
  float c[kMaxLiquidOrders];
  if (hist)
    for (uint32_t j = 0; j < orders; ++j) step(hist[j], c);
  for (size_t t = 0; t < n; ++t) {
    step(x[t], c);
    const size_t out = reverse ? n - 1 - t : t;
    float acc = base ? base[out] : x[out];
    for (uint32_t k = 0; k < orders; ++k) acc = acc + coeff[k] * c[k];
    y[out] = acc;
  }
}

VecStatus liquid_terms(const float* x, const float* base, float* y, uint32_t channels,
                       uint32_t length, uint32_t orders, const std::vector<float>& coeff,
                       bool reverse, const float* history) {
  if (channels == 0) return fail("liquid: channel count must be >= 1");
  if (length == 0) return fail("liquid: length must be >= 1");
  if (orders == 0 || orders > kMaxLiquidOrders)
    return fail("liquid: orders Q = " + str(orders) + " is outside [1, " + str(kMaxLiquidOrders) + "]");
  if (coeff.size() != size_t(channels) * orders)
    return fail("liquid: coeff has " + str(coeff.size()) + " values, expected channels*Q = " +
                str(size_t(channels) * orders));
  if (!x || !y) return fail("liquid: null input or output array");
  const size_t total = size_t(channels) * length;
  if (y < x + total && x < y + total) return fail("liquid: output overlaps the input x");
  for (uint32_t ch = 0; ch < channels; ++ch) {
    const size_t row = size_t(ch) * length;
    liquid_row(x + row, history ? history + size_t(ch) * orders : nullptr, coeff.data() + size_t(ch) * orders,
               orders, base ? base + row : nullptr, y + row, length, reverse);
  }
  return {};
}

void add_row(const float* x, const float* r, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] + r[i];
}

void sub_row(const float* x, const float* r, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] - r[i];
}

void mul_row(const float* x, const float* r, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * r[i];
}

void affine_row(const float* x, float* y, size_t n, float scale, float shift) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * scale + shift;
}

float sum_row(const float* x, size_t n) {
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) sum += x[i];
  return sum;
}

LayerNormStats layernorm_stats(const float* x, size_t row_step, uint32_t channels, float eps) {
  const float count = float(channels);
  float sum = 0.0f;
  for (uint32_t h = 0; h < channels; ++h) sum += x[h * row_step];
  LayerNormStats s;
  s.mean = sum / count;
  float sq = 0.0f;
  for (uint32_t h = 0; h < channels; ++h) {
    const float d = x[h * row_step] - s.mean;
    sq += d * d;
  }
  const float var = sq / count;  // biased, as PyTorch's LayerNorm
  s.rstd = 1.0f / std::sqrt(var + eps);
  return s;
}

int32_t token_id_of_word(float word) {
  int32_t id;
  std::memcpy(&id, &word, 4);
  return id;
}

float word_of_token_id(int32_t id) {
  float word;
  std::memcpy(&word, &id, 4);
  return word;
}

uint32_t first_bad_token(const float* id_words, uint32_t length, uint32_t vocab) {
  for (uint32_t t = 0; t < length; ++t) {
    const int32_t id = token_id_of_word(id_words[t]);
    if (id < 0 || int64_t(id) >= int64_t(vocab)) return t;
  }
  return length;
}

// ---------------------------------------------------------------- costs

const char* vec_op_name(VecOp op) {
  switch (op) {
    case VecOp::Gelu: return "gelu";
    case VecOp::Glu: return "glu";
    case VecOp::ResidualAdd: return "residual_add";
    case VecOp::BatchNorm: return "batchnorm";
    case VecOp::LayerNorm: return "layernorm";
    case VecOp::MeanPool: return "mean_pool";
    case VecOp::Embedding: return "embedding";
    case VecOp::Copy: return "copy";
    case VecOp::Zero: return "zero";
    case VecOp::Sub: return "sub";
    case VecOp::Mul: return "mul";
    case VecOp::PoolSum: return "pool_sum";
    case VecOp::RmsNorm: return "rmsnorm";
    case VecOp::Conv1d: return "conv1d";
    case VecOp::Silu: return "silu";
    case VecOp::Softplus: return "softplus";
    case VecOp::Gate: return "gate";
    case VecOp::Liquid: return "liquid";
  }
  return "unknown";
}

uint32_t VecCostParams::factor(VecOp op) const {
  switch (op) {
    case VecOp::Gelu: return gelu_factor;
    case VecOp::Glu: return glu_factor;
    case VecOp::ResidualAdd: return residual_factor;
    case VecOp::BatchNorm: return batchnorm_factor;
    case VecOp::LayerNorm: return layernorm_factor;
    case VecOp::MeanPool: return mean_pool_factor;
    case VecOp::Embedding: return embedding_factor;
    case VecOp::Copy: return copy_factor;
    case VecOp::Zero: return zero_factor;
    case VecOp::Sub: return sub_factor;
    case VecOp::Mul: return mul_factor;
    case VecOp::PoolSum: return pool_sum_factor;
    case VecOp::RmsNorm: return rmsnorm_factor;
    case VecOp::Conv1d: return conv1d_factor;
    case VecOp::Silu: return silu_factor;
    case VecOp::Softplus: return softplus_factor;
    case VecOp::Gate: return gate_factor;
    case VecOp::Liquid: return liquid_factor;
  }
  return 0;
}

VecStatus check_cost_params(const VecCostParams& p) {
  if (p.lanes == 0) return fail("vector lanes must be >= 1");
  const std::pair<const char*, uint32_t> factors[] = {
      {"gelu_factor", p.gelu_factor},         {"glu_factor", p.glu_factor},
      {"residual_factor", p.residual_factor}, {"batchnorm_factor", p.batchnorm_factor},
      {"layernorm_factor", p.layernorm_factor}, {"mean_pool_factor", p.mean_pool_factor},
      {"embedding_factor", p.embedding_factor}, {"copy_factor", p.copy_factor},
      {"zero_factor", p.zero_factor},         {"sub_factor", p.sub_factor},
      {"mul_factor", p.mul_factor},           {"pool_sum_factor", p.pool_sum_factor},
      {"rmsnorm_factor", p.rmsnorm_factor},   {"conv1d_factor", p.conv1d_factor},
      {"silu_factor", p.silu_factor},         {"softplus_factor", p.softplus_factor},
      {"gate_factor", p.gate_factor},         {"liquid_factor", p.liquid_factor}};
  for (const auto& [name, value] : factors)
    if (value == 0) return fail(std::string(name) + " must be >= 1");
  return {};
}

VecOpCounts& VecOpCounts::operator+=(const VecOpCounts& o) {
  mul += o.mul;
  add += o.add;
  special += o.special;
  move += o.move;
  return *this;
}

VecStatus vec_cost(VecOp op, uint64_t channels, uint64_t steps, const VecCostParams& p,
                   VecCost& out, uint32_t taps) {
  if (p.lanes == 0) return fail(std::string(vec_op_name(op)) + " cost: vector lanes must be >= 1");
  if (p.factor(op) == 0) return fail(std::string(vec_op_name(op)) + " cost: latency factor must be >= 1");
  if (op == VecOp::Glu && channels % 2 != 0)
    return fail("glu cost: input channel count " + str(channels) + " is odd");
  if (op == VecOp::Conv1d && (taps == 0 || taps > kMaxConvTaps))
    return fail("conv1d cost: taps K = " + str(taps) + " is outside [1, " + str(kMaxConvTaps) + "]");
  if (op == VecOp::Liquid && (taps == 0 || taps > kMaxLiquidOrders))
    return fail("liquid cost: orders Q = " + str(taps) + " is outside [1, " + str(kMaxLiquidOrders) + "]");
  VecCost c;
  const uint64_t n = channels * steps;
  // Per-element (and per-step / per-channel) counts follow the documented evaluation.
  switch (op) {
    case VecOp::Gelu:  // x*(1/sqrt2), 0.5*x, *(1+erf); 1+erf; erf
      c.elements = n;
      c.ops = {3 * n, n, n, 0};
      break;
    case VecOp::Glu:  // exp(-b), 1+exp, a / (...)
      c.elements = n / 2;
      c.ops = {0, n / 2, 2 * (n / 2), 0};
      break;
    case VecOp::ResidualAdd:
      c.elements = n;
      c.ops = {0, n, 0, 0};
      break;
    case VecOp::BatchNorm:  // x*scale + shift
      c.elements = n;
      c.ops = {n, n, 0, 0};
      break;
    case VecOp::LayerNorm:
      // per element: sum (1 add); d=x-mean, d*d, +=  (2 add, 1 mul);
      //              x-mean, *rstd, *gamma, +beta (2 add, 2 mul)
      // per step: /H twice, sqrt, reciprocal (4 special); var+eps (1 add)
      c.elements = n;
      c.ops = {3 * n, 5 * n + steps, 4 * steps, 0};
      break;
    case VecOp::MeanPool:  // one add per element, one division per channel
      c.elements = n;
      c.ops = {0, n, channels, 0};
      break;
    case VecOp::Embedding:
    case VecOp::Copy:
    case VecOp::Zero:
      c.elements = n;
      c.ops = {0, 0, 0, n};
      break;
    case VecOp::Sub:
      c.elements = n;
      c.ops = {0, n, 0, 0};
      break;
    case VecOp::Mul:
      c.elements = n;
      c.ops = {n, 0, 0, 0};
      break;
    case VecOp::PoolSum:  // one add per element; no division
      c.elements = n;
      c.ops = {0, n, 0, 0};
      break;
    case VecOp::RmsNorm:
      // per element: x*x, += (1 mul, 1 add); x*rstd, *w (2 mul)
      // per step: /H, sqrt, reciprocal (3 special); ms+eps (1 add)
      c.elements = n;
      c.ops = {3 * n, n + steps, 3 * steps, 0};
      break;
    case VecOp::Conv1d:  // per element K taps: w*x, acc + (the bias is the start value)
      c.elements = n;
      c.ops = {taps * n, taps * n, 0, 0};
      break;
    case VecOp::Silu:  // exp(-x), 1+exp, x / (...)
      c.elements = n;
      c.ops = {0, n, 2 * n, 0};
      break;
    case VecOp::Softplus:  // exp, log1p (the threshold compare is not counted)
      c.elements = n;
      c.ops = {0, 0, 2 * n, 0};
      break;
    case VecOp::Gate:  // y*z, exp(-z), 1+exp, / (...)
      c.elements = n;
      c.ops = {n, n, 2 * n, 0};
      break;
    case VecOp::Liquid:  // per element Q orders: c_{p-1}*c_{p-1}', coeff*c_p, acc +
      c.elements = n;
      c.ops = {2 * taps * n, taps * n, 0, 0};
      break;
  }
  const uint64_t factor =
      op == VecOp::Conv1d || op == VecOp::Liquid ? uint64_t(p.factor(op)) * taps : p.factor(op);
  c.cycles = (c.elements + p.lanes - 1) / p.lanes * factor;
  out = c;
  return {};
}

}  // namespace epochcore::vec
