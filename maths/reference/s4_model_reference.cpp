#include "epochcore/maths/reference/s4_model_reference.h"

#include "epochcore/maths/reference/s4_model_calibration.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "epochcore/maths/reference/mamba_reference.h"
#include "epochcore/maths/reference/model_parts.h"
#include "epochcore/maths/reference/liquid_s4_reference.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/reference/s4d_reference.h"

namespace epochcore {
namespace {

using namespace model_parts;



// Per-position norm over the H channels of x [S][H][L], in place.
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

// y = W x + b for one vector.
void linear(const LinearWeights& lin, const double* x, double* y) {
  for (size_t o = 0; o < lin.out; ++o) {
    double acc = lin.bias[o];
    for (size_t i = 0; i < lin.in; ++i) acc += lin.weight[o * lin.in + i] * x[i];
    y[o] = acc;
  }
}




NormWeights init_norm(Rng& rng, const S4ModelDesc& d) {
  NormWeights n;
  for (uint32_t h = 0; h < d.H; ++h) n.weight.push_back(1.0 + 0.1 * rng.normal());
  for (uint32_t h = 0; h < d.H; ++h) n.bias.push_back(0.1 * rng.normal());
  if (d.norm == NormKind::Batch) {
    for (uint32_t h = 0; h < d.H; ++h) n.running_mean.push_back(0.1 * rng.normal());
    for (uint32_t h = 0; h < d.H; ++h) n.running_var.push_back(1.0 + 0.5 * rng.uniform());
  }
  return n;
}


}  // namespace

double gelu_exact(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }


S4ModelWeights s4_model_init(const S4ModelDesc& d, uint64_t seed) {
  check_s4_model_desc(d);
  if (d.block == BlockKind::Mamba) return mamba_model_init(d, seed);
  Rng rng(seed);
  S4ModelWeights w;
  w.layers.resize(d.n_layers);
  for (S4BlockWeights& b : w.layers)
    b.ssm = s4d_init(d.H, d.M, d.init, d.dt_min, d.dt_max, rng.next(), d.bidirectional ? 2 : 1);
  if (d.block == BlockKind::LiquidS4)  // computed from the SSM as the export script does
    for (S4BlockWeights& b : w.layers) b.liquid = liquid_coefficients_repo(liquid_spec(d), b.ssm);
  if (d.input == InputKind::Tokens) {
    w.embedding.resize(size_t(d.d_input) * d.H);
    for (double& v : w.embedding) v = rng.normal();
  } else {
    w.encoder = init_linear(rng, d.d_input, d.H);
  }
  for (S4BlockWeights& b : w.layers) {
    b.output_linear = init_linear(rng, d.H, 2 * d.H);
    b.norm = init_norm(rng, d);
  }
  if (d.prenorm) w.final_norm = init_norm(rng, d);
  if (d.retrieval) {
    w.retrieval_hidden = init_linear(rng, 4 * d.H, d.H);
    w.retrieval_out = init_linear(rng, d.H, d.classes);
  } else {
    w.decoder = init_linear(rng, d.H, d.classes);
  }
  return w;
}

std::vector<double> s4_model_encode(const S4ModelDesc& d, const S4ModelWeights& w,
                                    const double* inputs, uint32_t S) {
  check_s4_model_weights(d, w);
  if (S == 0) fail("s4_model_encode: expected at least one sequence, got 0");
  if (!inputs) fail("s4_model_encode: inputs is null");
  const size_t H = d.H, L = d.L, F = d.d_input;
  std::vector<double> x(S * H * L);
  for (size_t s = 0; s < S; ++s)
    for (size_t t = 0; t < L; ++t) {
      if (d.input == InputKind::Tokens) {
        const double id = inputs[s * L + t];
        if (!(id >= 0.0 && id < double(F) && std::floor(id) == id)) {
          std::ostringstream msg;
          msg << "inputs[" << s * L + t << "] (sequence " << s << ", step " << t << ") = " << id
              << ": expected a token id, an integer in [0, d_input = " << F << ")";
          fail(msg.str());
        }
        const double* row = &w.embedding[size_t(id) * H];
        for (size_t h = 0; h < H; ++h) x[(s * H + h) * L + t] = row[h];
      } else {
        const double* u = &inputs[(s * L + t) * F];
        for (size_t i = 0; i < F; ++i)
          if (!std::isfinite(u[i]))
            fail("inputs[" + std::to_string((s * L + t) * F + i) + "] (sequence " +
                 std::to_string(s) + ", step " + std::to_string(t) +
                 ") is not a finite number");
        for (size_t h = 0; h < H; ++h) {
          double acc = w.encoder.bias[h];
          for (size_t i = 0; i < F; ++i) acc += w.encoder.weight[h * F + i] * u[i];
          x[(s * H + h) * L + t] = acc;
        }
      }
    }
  return x;
}

namespace {

void track(double* range, double v) {
  if (range) *range = std::max(*range, std::fabs(v));
}

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double e : v) track(&m, e);
  return m;
}

// One block on x [S][H][L], in place; with `r`, the largest |value| of each of its
// tensors (s4_model_calibration.h) is recorded on the way, the operations unchanged.
void block_pass(const S4ModelDesc& d, const S4BlockWeights& block, std::vector<double>& x, size_t S,
                const uint32_t* lengths, BlockRanges* r) {
  const size_t H = d.H, L = d.L;
  std::vector<double> z = x;
  if (d.prenorm) apply_norm(d, block.norm, z, S);
  // Padding must not reach valid steps through the backward direction.
  if (lengths)
    for (size_t s = 0; s < S; ++s)
      for (size_t h = 0; h < H; ++h)
        for (size_t t = lengths[s]; t < L; ++t) z[(s * H + h) * L + t] = 0.0;
  if (r) r->ssm_in = max_abs(z);
  // Liquid-S4: the liquid terms see the masked z too, flipped over the padded length L.
  std::vector<double> g =
      d.block == BlockKind::LiquidS4
          ? liquid_s4_layer(liquid_spec(d), block.ssm, block.liquid, z.data(), uint32_t(S), d.L)
          : s4d_recurrence(block.ssm, z.data(), uint32_t(S), d.L);
  if (r) r->ssm_out = max_abs(g);
  for (double& v : g) v = gelu_exact(v);
  if (r) r->gelu = max_abs(g);
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
      if (!r) {
        for (size_t t = 0; t < L; ++t) xo[t] += a[t] / (1.0 + std::exp(-gate[t]));
        continue;
      }
      for (size_t t = 0; t < L; ++t) {
        track(&r->linear, a[t]);
        track(&r->linear, gate[t]);
        const double y = a[t] / (1.0 + std::exp(-gate[t]));
        track(&r->glu, y);
        xo[t] += y;
        track(&r->residual, xo[t]);
      }
    }
  }
  if (!d.prenorm) apply_norm(d, block.norm, x, S);
  if (r) r->out = max_abs(x);
}

// Encoder, blocks, final norm and mean pooling: features [S][H] (ranges recorded with `r`).
std::vector<double> features_pass(const S4ModelDesc& d, const S4ModelWeights& w, const double* inputs,
                                  uint32_t S, const uint32_t* lengths, ActivationRanges* r) {
  if (d.block == BlockKind::Mamba) {
    if (r) fail("activation ranges: block mamba is not calibrated (it is not mapped onto the accelerator)");
    return mamba_model_features(d, w, inputs, S, lengths);
  }
  check_lengths(d, lengths, S);
  std::vector<double> x = s4_model_encode(d, w, inputs, S);  // checks d and w
  if (r) {
    r->encoder_out = max_abs(x);
    r->layers.assign(d.n_layers, BlockRanges());
  }
  for (size_t i = 0; i < w.layers.size(); ++i)
    block_pass(d, w.layers[i], x, S, lengths, r ? &r->layers[i] : nullptr);
  if (d.prenorm) {
    apply_norm(d, w.final_norm, x, S);
    if (r) r->final_norm = max_abs(x);
  }
  std::vector<double> f = mean_pool(d, x, S, lengths, r ? &r->pool_sum : nullptr);
  if (r) r->features = max_abs(f);
  return f;
}

std::vector<double> head_pass(const S4ModelDesc& d, const S4ModelWeights& w, const double* features,
                              uint32_t B, ActivationRanges* r) {
  check_s4_model_weights(d, w);
  if (!features) fail("s4_model_head: features is null");
  const size_t H = d.H, C = d.classes;
  std::vector<double> logits(B * C);
  if (!d.retrieval) {
    for (size_t b = 0; b < B; ++b) linear(w.decoder, &features[b * H], &logits[b * C]);
  } else {
    std::vector<double> combined(4 * H), hidden(H);
    for (size_t b = 0; b < B; ++b) {
      const double* fa = &features[(2 * b) * H];
      const double* fb = &features[(2 * b + 1) * H];
      for (size_t h = 0; h < H; ++h) {
        combined[h] = fa[h];
        combined[H + h] = fb[h];
        combined[2 * H + h] = fa[h] - fb[h];
        combined[3 * H + h] = fa[h] * fb[h];
      }
      if (r) r->head_in = std::max(r->head_in, max_abs(combined));
      linear(w.retrieval_hidden, combined.data(), hidden.data());
      if (r) r->head_hidden = std::max(r->head_hidden, max_abs(hidden));
      for (double& v : hidden) v = gelu_exact(v);
      if (r) r->head_gelu = std::max(r->head_gelu, max_abs(hidden));
      linear(w.retrieval_out, hidden.data(), &logits[b * C]);
    }
  }
  if (r) r->logits = max_abs(logits);
  return logits;
}

std::vector<double> forward_pass(const S4ModelDesc& d, const S4ModelWeights& w, const double* inputs,
                                 uint32_t B, const uint32_t* lengths, ActivationRanges* r) {
  if (B == 0) fail("s4_model_forward: expected at least one input (B >= 1), got 0");
  const uint32_t S = B * documents_per_input(d);
  const std::vector<double> f = features_pass(d, w, inputs, S, lengths, r);
  return head_pass(d, w, f.data(), B, r);
}

}  // namespace

void s4_model_block(const S4ModelDesc& d, const S4BlockWeights& block, std::vector<double>& x,
                    uint32_t S, const uint32_t* lengths) {
  check_s4_model_desc(d);
  if (d.block == BlockKind::Mamba)
    fail("s4_model_block: the description's block is mamba (use mamba_model_block)");
  check_s4_block_weights(d, block, "block");
  const size_t H = d.H, L = d.L;
  if (x.size() != S * H * L)
    fail("s4_model_block: x has " + std::to_string(x.size()) + " values, expected S*H*L = " +
         std::to_string(S * H * L));
  check_lengths(d, lengths, S);
  block_pass(d, block, x, S, lengths, nullptr);
}

std::vector<double> s4_model_features(const S4ModelDesc& d, const S4ModelWeights& w,
                                       const double* inputs, uint32_t S,
                                       const uint32_t* lengths) {
  return features_pass(d, w, inputs, S, lengths, nullptr);
}

std::vector<double> s4_model_head(const S4ModelDesc& d, const S4ModelWeights& w,
                                  const double* features, uint32_t B) {
  return head_pass(d, w, features, B, nullptr);
}

std::vector<double> s4_model_forward(const S4ModelDesc& d, const S4ModelWeights& w,
                                     const double* inputs, uint32_t B,
                                     const uint32_t* lengths) {
  return forward_pass(d, w, inputs, B, lengths, nullptr);
}

std::vector<double> s4_model_forward_with_ranges(const S4ModelDesc& d, const S4ModelWeights& w,
                                                 const double* inputs, uint32_t B, const uint32_t* lengths,
                                                 ActivationRanges& ranges) {
  ranges = ActivationRanges();
  return forward_pass(d, w, inputs, B, lengths, &ranges);
}

ActivationRanges s4_model_activation_ranges(const S4ModelDesc& d, const S4ModelWeights& w,
                                            const double* inputs, uint32_t B,
                                            const uint32_t* lengths) {
  ActivationRanges r;
  forward_pass(d, w, inputs, B, lengths, &r);
  return r;
}


}  // namespace epochcore
