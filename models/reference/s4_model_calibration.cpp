// The forward pass of s4_model_reference.cpp, instrumented: the same double operations in
// the same order (so the logits are bit-identical to s4_model_forward, which the tests
// check), with the largest |value| of every tensor recorded on the way. The encoder, the
// SSM (s4d_recurrence), GELU and the head reuse the reference's public functions; the
// norm, the W_out/GLU/residual loop and the small Linear are repeated because the
// reference keeps their intermediates private.
//
// Ranges cover every element of a tensor, padded steps included (the accelerator writes
// them too, so their scale must hold them), except pool_sum, which only sums valid steps.
#include "models/reference/s4_model_calibration.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "models/reference/s4d_reference.h"

namespace epochcore {
namespace {

void track(double& range, double v) { range = std::max(range, std::fabs(v)); }

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double e : v) track(m, e);
  return m;
}

// As the reference's apply_norm (same operation order): per-position norm over the H
// channels of x [S][H][L], in place.
void apply_norm(const S4ModelDesc& d, const NormWeights& n, std::vector<double>& x, size_t S) {
  const size_t H = d.H, L = d.L;
  if (d.norm == NormKind::Batch) {
    for (size_t s = 0; s < S; ++s)
      for (size_t h = 0; h < H; ++h) {
        const double scale = n.weight[h] / std::sqrt(n.running_var[h] + d.norm_eps);
        const double mean = n.running_mean[h], bias = n.bias[h];
        double* row = &x[(s * H + h) * L];
        for (size_t t = 0; t < L; ++t) row[t] = (row[t] - mean) * scale + bias;
      }
    return;
  }
  for (size_t s = 0; s < S; ++s)
    for (size_t t = 0; t < L; ++t) {
      double* col = &x[s * H * L + t];  // channel h at col[h * L]
      double mean = 0.0, var = 0.0;
      for (size_t h = 0; h < H; ++h) mean += col[h * L];
      mean /= double(H);
      for (size_t h = 0; h < H; ++h) var += (col[h * L] - mean) * (col[h * L] - mean);
      var /= double(H);
      const double inv = 1.0 / std::sqrt(var + d.norm_eps);
      for (size_t h = 0; h < H; ++h)
        col[h * L] = (col[h * L] - mean) * inv * n.weight[h] + n.bias[h];
    }
}

// As the reference's linear: y = W x + b for one vector.
void linear(const LinearWeights& lin, const double* x, double* y) {
  for (size_t o = 0; o < lin.out; ++o) {
    double acc = lin.bias[o];
    for (size_t i = 0; i < lin.in; ++i) acc += lin.weight[o * lin.in + i] * x[i];
    y[o] = acc;
  }
}

// Same check and message as the reference (s4_model_features checks lengths first).
void check_lengths(const S4ModelDesc& d, const uint32_t* lengths, size_t S) {
  if (!lengths) return;
  for (size_t s = 0; s < S; ++s)
    if (lengths[s] < 1 || lengths[s] > d.L)
      throw std::invalid_argument("lengths[" + std::to_string(s) + "] = " +
                                  std::to_string(lengths[s]) +
                                  ": expected a valid length in [1, L = " +
                                  std::to_string(d.L) + "]");
}

// One block of s4_model_block on x [S][H][L], in place, recording its ranges.
void block_with_ranges(const S4ModelDesc& d, const S4BlockWeights& block, std::vector<double>& x,
                       size_t S, const uint32_t* lengths, BlockRanges& r) {
  const size_t H = d.H, L = d.L;
  std::vector<double> z = x;
  if (d.prenorm) apply_norm(d, block.norm, z, S);
  if (lengths)
    for (size_t s = 0; s < S; ++s)
      for (size_t h = 0; h < H; ++h)
        for (size_t t = lengths[s]; t < L; ++t) z[(s * H + h) * L + t] = 0.0;
  r.ssm_in = max_abs(z);
  std::vector<double> g = s4d_recurrence(block.ssm, z.data(), uint32_t(S), d.L);
  r.ssm_out = max_abs(g);
  for (double& v : g) v = gelu_exact(v);
  r.gelu = max_abs(g);
  const LinearWeights& lin = block.output_linear;
  std::vector<double> a(L), gate(L);
  for (size_t s = 0; s < S; ++s) {
    const double* gs = &g[s * H * L];
    for (size_t o = 0; o < H; ++o) {
      std::fill(a.begin(), a.end(), lin.bias[o]);
      std::fill(gate.begin(), gate.end(), lin.bias[H + o]);
      for (size_t i = 0; i < H; ++i) {
        const double wa = lin.weight[o * H + i], wb = lin.weight[(H + o) * H + i];
        const double* gi = gs + i * L;
        for (size_t t = 0; t < L; ++t) {
          a[t] += wa * gi[t];
          gate[t] += wb * gi[t];
        }
      }
      double* xo = &x[(s * H + o) * L];
      for (size_t t = 0; t < L; ++t) {
        track(r.linear, a[t]);
        track(r.linear, gate[t]);
        const double y = a[t] / (1.0 + std::exp(-gate[t]));
        track(r.glu, y);
        xo[t] += y;
        track(r.residual, xo[t]);
      }
    }
  }
  if (!d.prenorm) apply_norm(d, block.norm, x, S);
  r.out = max_abs(x);
}

}  // namespace

std::vector<double> s4_model_forward_with_ranges(const S4ModelDesc& d, const S4ModelWeights& w,
                                                 const double* inputs, uint32_t B,
                                                 const uint32_t* lengths,
                                                 ActivationRanges& r) {
  // Checks in the order of s4_model_forward, so that the same error comes first.
  if (B == 0)
    throw std::invalid_argument("s4_model_forward: expected at least one input (B >= 1), got 0");
  const uint32_t S = B * documents_per_input(d);
  check_lengths(d, lengths, S);
  r = ActivationRanges();
  std::vector<double> x = s4_model_encode(d, w, inputs, S);  // checks d, w and the inputs
  r.encoder_out = max_abs(x);
  r.layers.resize(d.n_layers);
  for (size_t i = 0; i < w.layers.size(); ++i)
    block_with_ranges(d, w.layers[i], x, S, lengths, r.layers[i]);
  if (d.prenorm) {
    apply_norm(d, w.final_norm, x, S);
    r.final_norm = max_abs(x);
  }
  const size_t H = d.H, L = d.L;
  std::vector<double> f(size_t(S) * H);
  for (size_t s = 0; s < S; ++s) {
    const size_t valid = lengths ? lengths[s] : L;
    for (size_t h = 0; h < H; ++h) {
      double sum = 0.0;
      for (size_t t = 0; t < valid; ++t) sum += x[(s * H + h) * L + t];
      track(r.pool_sum, sum);
      f[s * H + h] = sum / double(valid);
    }
  }
  r.features = max_abs(f);
  if (d.retrieval) {
    std::vector<double> combined(4 * H), hidden(H);
    for (size_t b = 0; b < B; ++b) {
      const double* fa = &f[(2 * b) * H];
      const double* fb = &f[(2 * b + 1) * H];
      for (size_t h = 0; h < H; ++h) {
        combined[h] = fa[h];
        combined[H + h] = fb[h];
        combined[2 * H + h] = fa[h] - fb[h];
        combined[3 * H + h] = fa[h] * fb[h];
      }
      r.head_in = std::max(r.head_in, max_abs(combined));
      linear(w.retrieval_hidden, combined.data(), hidden.data());
      r.head_hidden = std::max(r.head_hidden, max_abs(hidden));
      for (double& v : hidden) v = gelu_exact(v);
      r.head_gelu = std::max(r.head_gelu, max_abs(hidden));
    }
  }
  std::vector<double> logits = s4_model_head(d, w, f.data(), B);
  r.logits = max_abs(logits);
  return logits;
}

ActivationRanges s4_model_activation_ranges(const S4ModelDesc& d, const S4ModelWeights& w,
                                            const double* inputs, uint32_t B,
                                            const uint32_t* lengths) {
  ActivationRanges r;
  s4_model_forward_with_ranges(d, w, inputs, B, lengths, r);
  return r;
}

}  // namespace epochcore
