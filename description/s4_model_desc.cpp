#include "epochcore/description/s4_model_desc.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

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
  if (d.norm == NormKind::RMS) {  // Mamba's RMSNorm: a weight, no bias
    check_count(name + ".weight", n.weight.size(), d.H, "H");
    check_finite(name + ".weight", n.weight);
    check_count(name + ".bias", n.bias.size(), 0, "0 (RMSNorm)");
    check_count(name + ".running_mean", n.running_mean.size(), 0, "0 (RMSNorm)");
    check_count(name + ".running_var", n.running_var.size(), 0, "0 (RMSNorm)");
    return;
  }
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

// "[2][1][256]" style text of a shape.
std::string dims(std::initializer_list<size_t> shape) {
  std::string t;
  for (size_t v : shape) t += "[" + std::to_string(v) + "]";
  return t;
}

void check_liquid(const S4ModelDesc& d, const LiquidWeights& l, const std::string& name) {
  const size_t dirs = d.bidirectional ? 2 : 1, H = d.H;
  const bool liquid = d.block == BlockKind::LiquidS4;
  const bool polyb = liquid && d.liquid_kernel == LiquidKernel::PolyB;
  const bool kb = liquid && !polyb;
  const size_t orders = liquid ? d.liquid_degree - 1 : 0;
  if (polyb && l.gamma.size() != dirs * orders * H)
    fail("S4ModelWeights." + name + ".gamma: expected [directions][P-1][H] = " +
         dims({dirs, orders, H}) + " = " + std::to_string(dirs * orders * H) + " values, got " +
         std::to_string(l.gamma.size()));
  if (!polyb && !l.gamma.empty())
    fail("S4ModelWeights." + name + ".gamma: expected empty (" +
         (liquid ? "liquid_kernel kb/kb_repo uses S" : "not a liquid_s4 block") + "), got " +
         std::to_string(l.gamma.size()) + " values");
  if (kb && l.S.size() != dirs * H)
    fail("S4ModelWeights." + name + ".S: expected [directions][H] = " + dims({dirs, H}) + " = " +
         std::to_string(dirs * H) + " values, got " + std::to_string(l.S.size()));
  if (!kb && !l.S.empty())
    fail("S4ModelWeights." + name + ".S: expected empty (" +
         (liquid ? "liquid_kernel polyb uses gamma" : "not a liquid_s4 block") + "), got " +
         std::to_string(l.S.size()) + " values");
  check_finite(name + ".gamma", l.gamma);
  check_finite(name + ".S", l.S);
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
  check_liquid(d, b.liquid, name + ".liquid");
  check_linear(name + ".output_linear", b.output_linear, d.H, 2 * size_t(d.H), "H", "2H");
  check_norm(d, name + ".norm", b.norm);
}

void check_size_field(const char* name, uint32_t v, uint32_t limit) {
  if (v == 0 || v > limit)
    fail(std::string("S4ModelDesc.") + name + " = " + std::to_string(v) +
         ": expected an integer in [1, " + std::to_string(limit) + "]");
}

constexpr uint64_t kSat = std::numeric_limits<uint64_t>::max();

uint64_t mul(uint64_t a, uint64_t b) { return a != 0 && b > kSat / a ? kSat : a * b; }
uint64_t add(uint64_t a, uint64_t b) { return a > kSat - b ? kSat : a + b; }

}  // namespace

uint64_t s4_model_weight_count(const S4ModelDesc& d) {
  const uint64_t H = d.H, M = d.M, F = d.d_input, C = d.classes;
  const uint64_t norm = mul(H, d.norm == NormKind::Batch ? 4 : 2);
  const uint64_t directions = d.bidirectional ? 2 : 1;
  // encoder (embedding F*H, or Linear F -> H)
  uint64_t n = d.input == InputKind::Tokens ? mul(F, H) : add(mul(F, H), H);
  if (d.block == BlockKind::Mamba) {  // layers, norm_f (weight only), head
    n = add(add(n, mul(mamba_layer_weight_count(d), d.n_layers)), H);
    return d.retrieval ? add(n, add(add(mul(mul(H, H), 4), H), add(mul(C, H), C))) : add(n, add(mul(C, H), C));
  }
  // per layer: log_dt, log_A_real, A_imag, C, D, output_linear (H -> 2H), norm
  uint64_t layer = add(mul(H, 2), mul(mul(H, M), add(2, mul(directions, 2))));
  layer = add(layer, add(mul(mul(H, H), 2), mul(H, 2)));
  layer = add(layer, norm);
  if (d.block == BlockKind::LiquidS4)  // gamma [directions][P-1][H] or S [directions][H]
    layer = add(layer, mul(mul(H, directions),
                           d.liquid_kernel == LiquidKernel::PolyB ? d.liquid_degree - 1 : 1));
  n = add(n, mul(layer, d.n_layers));
  if (d.prenorm) n = add(n, norm);
  if (d.retrieval)
    n = add(n, add(add(mul(mul(H, H), 4), H), add(mul(C, H), C)));
  else
    n = add(n, add(mul(C, H), C));
  return n;
}

uint32_t liquid_allcombs_window(uint32_t L, uint32_t p) {
  // math.comb(n, p) >= L, with the product saturated (it only grows with n).
  for (uint64_t n = 2; n < L; ++n) {
    uint64_t c = 1;  // binom(n, k) for k = 1..p, exact: c * (n - k + 1) is divisible by k
    for (uint64_t k = 1; k <= p; ++k) {
      if (k > n) { c = 0; break; }
      c = mul(c, n - k + 1) / k;
    }
    if (c >= L) return uint32_t(n);
  }
  return 0;
}

void check_s4_block_weights(const S4ModelDesc& d, const S4BlockWeights& b,
                            const std::string& name) {
  check_block(d, b, name);
}

void check_s4_model_desc(const S4ModelDesc& d) {
  check_size_field("d_input", d.d_input, kMaxModelLength);
  check_size_field("H", d.H, kMaxModelWidth);
  const bool mamba = d.block == BlockKind::Mamba;
  if (!mamba) check_size_field("M", d.M, kMaxModelWidth);
  check_size_field("L", d.L, kMaxModelLength);
  check_size_field("n_layers", d.n_layers, kMaxModelLayers);
  check_size_field("classes", d.classes, kMaxModelClasses);
  if (mamba) check_mamba_model_desc(d);
  else if (d.norm == NormKind::RMS)
    fail("S4ModelDesc.norm = rms: expected batch or layer for block s4d (rms is for block mamba)");
  const uint64_t weights = s4_model_weight_count(d);
  if (mamba && weights > kMaxModelWeights)
    fail("S4ModelDesc: block mamba with H = " + std::to_string(d.H) + ", expand = " + std::to_string(d.expand) +
         ", d_state = " + std::to_string(d.d_state) + ", n_layers = " + std::to_string(d.n_layers) +
         ": the weights would hold " + std::to_string(weights) + " values, above the limit of " +
         std::to_string(kMaxModelWeights) + " (2^30)");
  if (weights > kMaxModelWeights)
    fail("S4ModelDesc: H = " + std::to_string(d.H) + ", M = " + std::to_string(d.M) + ", n_layers = " +
         std::to_string(d.n_layers) + ", d_input = " + std::to_string(d.d_input) + ", classes = " +
         std::to_string(d.classes) + (d.bidirectional ? ", bidirectional" : "") + ": the weights would hold " +
         std::to_string(weights) + " values (" + std::to_string(weights >> 27) +
         " GiB as double), above the limit of " + std::to_string(kMaxModelWeights) +
         " (2^30; per layer 2*H*H for output_linear and " + std::to_string(d.bidirectional ? 6 : 4) +
         "*H*M for the SSM, d_input*H for the encoder, classes*H for the decoder)");
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
  if (d.block != BlockKind::LiquidS4) return;
  if (d.liquid_degree < 2 || d.liquid_degree > kMaxLiquidDegree)
    fail("S4ModelDesc.liquid_degree = " + std::to_string(d.liquid_degree) +
         ": expected an integer in [2, " + std::to_string(kMaxLiquidDegree) + "]");
  if (d.allcombs && d.liquid_kernel == LiquidKernel::KB)
    fail("S4ModelDesc.allcombs = true with liquid_kernel kb: kb is the causal form and needs "
         "allcombs: false (the p-subsets of allcombs are not a time series; use polyb or kb_repo)");
  if (d.allcombs)
    for (uint32_t p = 2; p <= d.liquid_degree; ++p)
      if (liquid_allcombs_window(d.L, p) == 0)
        fail("S4ModelDesc.allcombs = true: L = " + std::to_string(d.L) +
             " is too short for the repository's construction at order p = " + std::to_string(p) +
             " (no n in [2, L) with binom(n, p) >= L; the repository crashes there): use "
             "allcombs: false, a longer L or a lower liquid_degree");
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
  if (d.block == BlockKind::Mamba) {
    check_count("layers", w.layers.size(), 0, "0 (block mamba uses mamba_layers)");
    check_count("mamba_layers", w.mamba_layers.size(), d.n_layers, "n_layers");
    for (size_t i = 0; i < w.mamba_layers.size(); ++i)
      check_mamba_block_weights(d, w.mamba_layers[i], "layers[" + std::to_string(i) + "]");
  } else {
    check_count("mamba_layers", w.mamba_layers.size(), 0, "0 (block s4d)");
    check_count("layers", w.layers.size(), d.n_layers, "n_layers");
    for (size_t i = 0; i < w.layers.size(); ++i)
      check_block(d, w.layers[i], "layers[" + std::to_string(i) + "]");
  }
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
