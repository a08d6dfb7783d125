#include "models/vector/vector_unit_math.h"

#include <cmath>

namespace epochcore::vec {
namespace {

VecStatus fail(const std::string& msg) { return VecStatus{msg}; }

std::string str(uint64_t v) { return std::to_string(v); }

}  // namespace

VecStatus gelu(const float* x, float* y, size_t n) {
  if (n > 0 && (!x || !y)) return fail("gelu: null input or output array");
  const double inv_sqrt2 = 0.70710678118654752440;
  for (size_t i = 0; i < n; ++i) {
    const double v = x[i];
    // 1 + erf(z) == erfc(-z): same value, no cancellation for large negative x.
    y[i] = float(0.5 * v * std::erfc(-v * inv_sqrt2));
  }
  return {};
}

VecStatus glu(const float* x, float* y, uint32_t in_channels, uint32_t length) {
  if (in_channels % 2 != 0)
    return fail("glu: input channel count " + str(in_channels) +
                " is odd; GLU splits the channels into two equal halves a and b");
  const size_t half = size_t(in_channels / 2) * length;
  if (half > 0 && (!x || !y)) return fail("glu: null input or output array");
  const float* a = x;
  const float* b = x + half;
  for (size_t i = 0; i < half; ++i)
    y[i] = float(double(a[i]) / (1.0 + std::exp(-double(b[i]))));
  return {};
}

VecStatus residual_add(const float* x, const float* r, float* y, size_t n) {
  if (n > 0 && (!x || !r || !y)) return fail("residual_add: null input or output array");
  for (size_t i = 0; i < n; ++i) y[i] = x[i] + r[i];
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
    const float s = bn.scale[h], b = bn.shift[h];
    const size_t row = size_t(h) * length;
    for (uint32_t t = 0; t < length; ++t) y[row + t] = x[row + t] * s + b;
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
  const float count = float(channels);
  for (uint32_t t = 0; t < length; ++t) {
    float sum = 0.0f;
    for (uint32_t h = 0; h < channels; ++h) sum += x[size_t(h) * length + t];
    const float mean = sum / count;
    float sq = 0.0f;
    for (uint32_t h = 0; h < channels; ++h) {
      const float d = x[size_t(h) * length + t] - mean;
      sq += d * d;
    }
    const float var = sq / count;  // biased, as PyTorch's LayerNorm
    const float rstd = 1.0f / std::sqrt(var + eps);
    for (uint32_t h = 0; h < channels; ++h) {
      const size_t i = size_t(h) * length + t;
      y[i] = ((x[i] - mean) * rstd) * gamma[h] + beta[h];
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
  for (uint32_t h = 0; h < channels; ++h) {
    const float* row = x + size_t(h) * length;
    float sum = 0.0f;
    for (uint32_t t = 0; t < valid_len; ++t) sum += row[t];
    out[h] = sum / count;
  }
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
  }
  return 0;
}

VecOpCounts& VecOpCounts::operator+=(const VecOpCounts& o) {
  mul += o.mul;
  add += o.add;
  special += o.special;
  move += o.move;
  return *this;
}

VecStatus vec_cost(VecOp op, uint64_t channels, uint64_t steps, const VecCostParams& p,
                   VecCost& out) {
  const std::string name = vec_op_name(op);
  if (p.lanes == 0) return fail(name + " cost: vector lanes must be >= 1");
  if (p.factor(op) == 0) return fail(name + " cost: latency factor must be >= 1");
  if (op == VecOp::Glu && channels % 2 != 0)
    return fail("glu cost: input channel count " + str(channels) + " is odd");
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
      c.elements = n;
      c.ops = {0, 0, 0, n};
      break;
  }
  c.cycles = (c.elements + p.lanes - 1) / p.lanes * p.factor(op);
  out = c;
  return {};
}

}  // namespace epochcore::vec
