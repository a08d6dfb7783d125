#include "models/reference/s4_model_reference.h"

#include "models/reference/s4_model_calibration.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "models/reference/rng.h"
#include "models/reference/s4d_reference.h"

namespace epochcore {
namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

void check_count(const std::string& name, size_t got, size_t want, const std::string& want_text) {
  if (got != want)
    fail("S4ModelWeights." + name + ": expected " + want_text + " = " + std::to_string(want) +
         " values, got " + std::to_string(got));
}

void check_finite(const std::string& name, const std::vector<double>& v) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      fail("S4ModelWeights." + name + "[" + std::to_string(i) + "] is not a finite number");
}

void check_linear(const std::string& name, const LinearWeights& lin, size_t in, size_t out,
                  const std::string& in_text, const std::string& out_text) {
  if (lin.in != in || lin.out != out)
    fail("S4ModelWeights." + name + ": expected a Linear " + in_text + " -> " + out_text +
         " (" + std::to_string(in) + " -> " + std::to_string(out) + "), got " +
         std::to_string(lin.in) + " -> " + std::to_string(lin.out));
  check_count(name + ".weight", lin.weight.size(), in * out, out_text + "*" + in_text);
  check_count(name + ".bias", lin.bias.size(), out, out_text);
  check_finite(name + ".weight", lin.weight);
  check_finite(name + ".bias", lin.bias);
}

void check_unused_linear(const std::string& name, const LinearWeights& lin, const char* why) {
  if (lin.in || lin.out || !lin.weight.empty() || !lin.bias.empty())
    fail("S4ModelWeights." + name + ": expected empty (" + why + ")");
}

void check_norm(const S4ModelDesc& d, const std::string& name, const NormWeights& n) {
  const bool batch = d.norm == NormKind::Batch;
  check_count(name + ".weight", n.weight.size(), d.H, "H");
  check_count(name + ".bias", n.bias.size(), d.H, "H");
  check_count(name + ".running_mean", n.running_mean.size(), batch ? d.H : 0,
              batch ? "H" : "0 (LayerNorm)");
  check_count(name + ".running_var", n.running_var.size(), batch ? d.H : 0,
              batch ? "H" : "0 (LayerNorm)");
  check_finite(name + ".weight", n.weight);
  check_finite(name + ".bias", n.bias);
  check_finite(name + ".running_mean", n.running_mean);
  check_finite(name + ".running_var", n.running_var);
  for (size_t h = 0; h < n.running_var.size(); ++h)
    if (!(n.running_var[h] + d.norm_eps > 0.0))
      fail("S4ModelWeights." + name + ".running_var[" + std::to_string(h) +
           "]: running_var + eps must be positive");
}

void check_block(const S4ModelDesc& d, const S4BlockWeights& b, const std::string& name) {
  const S4dParams& p = b.ssm;
  if (p.H != d.H || p.M != d.M || p.directions != (d.bidirectional ? 2u : 1u))
    fail("S4ModelWeights." + name + ".ssm: expected H=" + std::to_string(d.H) +
         ", M=" + std::to_string(d.M) + ", directions=" + (d.bidirectional ? "2" : "1") +
         ", got H=" + std::to_string(p.H) + ", M=" + std::to_string(p.M) +
         ", directions=" + std::to_string(p.directions));
  try {
    check_s4d_params(p);
  } catch (const std::invalid_argument& e) {
    fail("S4ModelWeights." + name + ".ssm: " + e.what());
  }
  check_linear(name + ".output_linear", b.output_linear, d.H, 2 * size_t(d.H), "H", "2H");
  check_norm(d, name + ".norm", b.norm);
}

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

void check_lengths(const S4ModelDesc& d, const uint32_t* lengths, size_t S) {
  if (!lengths) return;
  for (size_t s = 0; s < S; ++s)
    if (lengths[s] < 1 || lengths[s] > d.L)
      fail("lengths[" + std::to_string(s) + "] = " + std::to_string(lengths[s]) +
           ": expected a valid length in [1, L = " + std::to_string(d.L) + "]");
}

void init_uniform(Rng& rng, std::vector<double>& v, size_t n, double bound) {
  v.resize(n);
  for (double& x : v) x = (2.0 * rng.uniform() - 1.0) * bound;
}

LinearWeights init_linear(Rng& rng, uint32_t in, uint32_t out) {
  LinearWeights lin;
  lin.in = in;
  lin.out = out;
  const double bound = 1.0 / std::sqrt(double(in));
  init_uniform(rng, lin.weight, size_t(in) * out, bound);
  init_uniform(rng, lin.bias, out, bound);
  return lin;
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

void check_size_field(const char* name, uint32_t v, uint32_t limit) {
  if (v == 0 || v > limit)
    fail(std::string("S4ModelDesc.") + name + " = " + std::to_string(v) +
         ": expected an integer in [1, " + std::to_string(limit) + "]");
}

}  // namespace

double gelu_exact(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

void check_s4_model_desc(const S4ModelDesc& d) {
  check_size_field("d_input", d.d_input, kMaxModelLength);
  check_size_field("H", d.H, kMaxModelWidth);
  check_size_field("M", d.M, kMaxModelWidth);
  check_size_field("L", d.L, kMaxModelLength);
  check_size_field("n_layers", d.n_layers, kMaxModelLayers);
  check_size_field("classes", d.classes, kMaxModelClasses);
  if (d.pooling != "mean") fail("S4ModelDesc.pooling = '" + d.pooling + "': expected mean");
  if (!(d.dropout >= 0.0 && d.dropout < 1.0))
    fail("S4ModelDesc.dropout: expected a number in [0, 1)");
  if (!(d.norm_eps > 0.0 && std::isfinite(d.norm_eps)))
    fail("S4ModelDesc.norm_eps: expected a positive finite number");
  if (d.init != "s4d_lin" && d.init != "s4d_inv" && d.init != "s4d_real")
    fail("S4ModelDesc.init = '" + d.init + "': expected one of s4d_lin, s4d_inv, s4d_real");
  if (!(std::isfinite(d.dt_min) && std::isfinite(d.dt_max) && d.dt_min > 0.0 &&
        d.dt_min < d.dt_max))
    fail("S4ModelDesc.dt_min, dt_max: expected finite 0 < dt_min < dt_max");
}

void check_s4_model_weights(const S4ModelDesc& d, const S4ModelWeights& w) {
  check_s4_model_desc(d);
  const size_t H = d.H;
  if (d.input == InputKind::Tokens) {
    check_count("embedding", w.embedding.size(), size_t(d.d_input) * H, "d_input*H");
    check_finite("embedding", w.embedding);
    check_unused_linear("encoder", w.encoder, "token inputs use the embedding");
  } else {
    check_count("embedding", w.embedding.size(), 0, "0 (value inputs use the encoder)");
    check_linear("encoder", w.encoder, d.d_input, H, "d_input", "H");
  }
  check_count("layers", w.layers.size(), d.n_layers, "n_layers");
  for (size_t i = 0; i < w.layers.size(); ++i)
    check_block(d, w.layers[i], "layers[" + std::to_string(i) + "]");
  if (d.prenorm) {
    check_norm(d, "final_norm", w.final_norm);
  } else if (!w.final_norm.weight.empty() || !w.final_norm.bias.empty() ||
             !w.final_norm.running_mean.empty() || !w.final_norm.running_var.empty()) {
    fail("S4ModelWeights.final_norm: expected empty (postnorm model)");
  }
  if (d.retrieval) {
    check_unused_linear("decoder", w.decoder, "retrieval models use the retrieval head");
    check_linear("retrieval_hidden", w.retrieval_hidden, 4 * H, H, "4H", "H");
    check_linear("retrieval_out", w.retrieval_out, H, d.classes, "H", "classes");
  } else {
    check_linear("decoder", w.decoder, H, d.classes, "H", "classes");
    check_unused_linear("retrieval_hidden", w.retrieval_hidden, "not a retrieval model");
    check_unused_linear("retrieval_out", w.retrieval_out, "not a retrieval model");
  }
}

S4ModelWeights s4_model_init(const S4ModelDesc& d, uint64_t seed) {
  check_s4_model_desc(d);
  Rng rng(seed);
  S4ModelWeights w;
  w.layers.resize(d.n_layers);
  for (S4BlockWeights& b : w.layers)
    b.ssm = s4d_init(d.H, d.M, d.init, d.dt_min, d.dt_max, rng.next(), d.bidirectional ? 2 : 1);
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
  std::vector<double> g = s4d_recurrence(block.ssm, z.data(), uint32_t(S), d.L);
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
  const size_t H = d.H, L = d.L;
  std::vector<double> f(S * H);
  for (size_t s = 0; s < S; ++s) {
    const size_t valid = lengths ? lengths[s] : L;
    for (size_t h = 0; h < H; ++h) {
      double sum = 0.0;
      for (size_t t = 0; t < valid; ++t) sum += x[(s * H + h) * L + t];
      track(r ? &r->pool_sum : nullptr, sum);
      f[s * H + h] = sum / double(valid);
    }
  }
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
  check_block(d, block, "block");
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

std::vector<std::string> lra_task_names() {
  return {"listops", "text", "retrieval", "image", "pathfinder", "pathx"};
}

S4ModelDesc lra_model_description(const std::string& task) {
  S4ModelDesc d;
  d.task = task;
  d.n_layers = 6;
  d.bidirectional = true;
  d.norm = NormKind::Batch;
  d.input = InputKind::Tokens;
  d.H = 256;
  d.M = 2;
  d.classes = 2;
  if (task == "listops") {
    d.d_input = 18, d.L = 2048, d.classes = 10;
  } else if (task == "text") {
    d.d_input = 135, d.L = 4096, d.prenorm = true;
  } else if (task == "retrieval") {
    d.d_input = 98, d.L = 4000, d.prenorm = true, d.retrieval = true;
  } else if (task == "image") {
    d.input = InputKind::Values, d.d_input = 1, d.L = 1024, d.H = 512, d.M = 32, d.classes = 10;
  } else if (task == "pathfinder" || task == "pathx") {
    d.input = InputKind::Values, d.d_input = 1, d.M = 32, d.prenorm = true;
    d.L = task == "pathx" ? 16384 : 1024;
  } else {
    fail("lra_model_description: unknown task '" + task +
         "': expected one of listops, text, retrieval, image, pathfinder, pathx");
  }
  d.description = "LRA " + task + " (S4 repository configs/experiment/lra), seeded S4D-Lin";
  return d;
}

}  // namespace epochcore
