// Mamba (selective S6) blocks: the double-precision reference (maths/reference/
// mamba_reference.h) against hand-computed values, a naive expansion of the recurrence and
// an independent token-by-token mixer; the model YAML keys, weight checks and safetensors
// names of docs/models.md ("Mamba blocks"); the compiler's refusal.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <map>

#include <unistd.h>
#include <string>
#include <vector>

#include "epochcore/compiler/s4_model.h"
#include "epochcore/maths/reference/mamba_reference.h"
#include "epochcore/maths/reference/s4_model_calibration.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/platform/io/model_file.h"
#include "epochcore/platform/io/safetensors.h"

using namespace epochcore;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

S4ModelDesc mamba_desc(uint32_t H, uint32_t N, uint32_t L, uint32_t layers = 1) {
  S4ModelDesc d;
  d.task = "m";
  d.block = BlockKind::Mamba;
  d.norm = NormKind::RMS;
  d.prenorm = true;
  d.input = InputKind::Tokens;
  d.d_input = 5;
  d.H = H;
  d.M = 0;
  d.d_state = N;
  d.L = L;
  d.n_layers = layers;
  d.classes = 3;
  return d;
}

std::vector<double> randn(Rng& rng, size_t n, double scale = 1.0) {
  std::vector<double> v(n);
  for (double& x : v) x = scale * rng.normal();
  return v;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0.0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

// The mixer token by token as Mamba.step does it (conv_state of the last K raw x, newest
// last; ssm_state h), written independently of mamba_mixer, time-major.
std::vector<double> mixer_by_steps(const S4ModelDesc& d, const MambaBlockWeights& b, const std::vector<double>& x) {
  const size_t H = d.H, L = d.L, Din = mamba_inner_width(d), N = d.d_state, K = d.d_conv, R = mamba_dt_rank(d);
  std::vector<double> conv(Din * K, 0.0), h(Din * N, 0.0), out(H * L);
  for (size_t t = 0; t < L; ++t) {
    std::vector<double> xs(Din), zs(Din), u(Din), dbl(R + 2 * N, 0.0), y(Din);
    for (size_t c = 0; c < 2 * Din; ++c) {
      double acc = 0.0;
      for (size_t k = 0; k < H; ++k) acc += b.in_proj[c * H + k] * x[k * L + t];
      (c < Din ? xs[c] : zs[c - Din]) = acc;
    }
    for (size_t c = 0; c < Din; ++c) {
      for (size_t k = 0; k + 1 < K; ++k) conv[c * K + k] = conv[c * K + k + 1];  // roll left
      conv[c * K + K - 1] = xs[c];
      double acc = b.conv_bias[c];
      for (size_t k = 0; k < K; ++k) acc += conv[c * K + k] * b.conv_weight[c * K + k];
      u[c] = acc / (1.0 + std::exp(-acc));
    }
    for (size_t j = 0; j < R + 2 * N; ++j)
      for (size_t c = 0; c < Din; ++c) dbl[j] += b.x_proj[j * Din + c] * u[c];
    for (size_t c = 0; c < Din; ++c) {
      double dt = b.dt_bias[c];
      for (size_t r = 0; r < R; ++r) dt += b.dt_proj[c * R + r] * dbl[r];
      dt = dt > 20.0 ? dt : std::log1p(std::exp(dt));
      double acc = 0.0;
      for (size_t n = 0; n < N; ++n) {
        double& s = h[c * N + n];
        s = s * std::exp(-dt * std::exp(b.A_log[c * N + n])) + dt * u[c] * dbl[R + n];
        acc += s * dbl[R + N + n];
      }
      y[c] = (acc + b.D[c] * u[c]) * zs[c] / (1.0 + std::exp(-zs[c]));
    }
    for (size_t o = 0; o < H; ++o) {
      double acc = 0.0;
      for (size_t c = 0; c < Din; ++c) acc += b.out_proj[o * Din + c] * y[c];
      out[o * L + t] = acc;
    }
  }
  return out;
}

std::string weights_error(const S4ModelDesc& d, const S4ModelWeights& w) {
  try {
    check_s4_model_weights(d, w);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

std::string desc_error(const std::string& yaml) {
  try {
    io::parse_model_description(yaml, "m.yaml");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("mamba: softplus with torch's threshold, SiLU", "[mamba]") {
  CHECK(softplus_torch(20.5) == 20.5);
  CHECK(softplus_torch(20.0) == std::log1p(std::exp(20.0)));  // threshold is strict (x > 20)
  CHECK(softplus_torch(20.0) != 20.0);
  CHECK(softplus_torch(0.0) == Approx(std::log(2.0)).epsilon(1e-15));
  CHECK(silu(0.0) == 0.0);
  CHECK(silu(1.0) == Approx(1.0 / (1.0 + std::exp(-1.0))).epsilon(1e-15));
}

TEST_CASE("mamba: selective scan, hand-computed tiny case (Din=1, N=1, L=3)", "[mamba]") {
  const double u[] = {1.0, 2.0, 3.0}, delta[] = {0.5, 1.0, 0.25}, A[] = {-1.0};
  const double B[] = {1.0, 1.0, 2.0}, C[] = {1.0, 2.0, 1.0}, D[] = {0.5};
  std::vector<double> last;
  const std::vector<double> y = selective_scan(1, 1, 3, u, delta, A, B, C, D, nullptr, nullptr, false, &last);
  const double h0 = 0.5, h1 = std::exp(-1.0) * h0 + 2.0, h2 = std::exp(-0.25) * h1 + 1.5;
  CHECK(y[0] == Approx(h0 + 0.5).epsilon(1e-15));
  CHECK(y[1] == Approx(2.0 * h1 + 1.0).epsilon(1e-15));
  CHECK(y[2] == Approx(h2 + 1.5).epsilon(1e-15));
  CHECK(y[1] == Approx(5.0 + std::exp(-1.0)).epsilon(1e-15));
  REQUIRE(last.size() == 1);
  CHECK(last[0] == Approx(h2).epsilon(1e-15));
  // delta_bias and softplus, then the gate: y * silu(z).
  const double bias[] = {-0.5}, z[] = {1.0, -2.0, 0.5};
  const std::vector<double> g = selective_scan(1, 1, 3, u, delta, A, B, C, D, z, bias, true);
  const double d0 = std::log1p(std::exp(0.0));
  CHECK(g[0] == Approx((d0 * 1.0 * 1.0 + 0.5) * silu(1.0)).epsilon(1e-15));
}

TEST_CASE("mamba: selective scan equals the naive expansion of the recurrence", "[mamba]") {
  const uint32_t Din = 3, N = 4, L = 6;
  Rng rng(7);
  const std::vector<double> u = randn(rng, Din * L), delta = randn(rng, Din * L), Bm = randn(rng, N * L),
                            Cm = randn(rng, N * L), D = randn(rng, Din), z = randn(rng, Din * L),
                            bias = randn(rng, Din, 0.5);
  std::vector<double> A(Din * N);
  for (double& a : A) a = -std::exp(0.5 * rng.normal());
  std::vector<double> last;
  const std::vector<double> y = selective_scan(Din, N, L, u.data(), delta.data(), A.data(), Bm.data(), Cm.data(),
                                               D.data(), z.data(), bias.data(), true, &last);
  double max_rel = 0.0;
  for (size_t d = 0; d < Din; ++d) {
    std::vector<double> dt(L);
    for (size_t t = 0; t < L; ++t) dt[t] = std::log1p(std::exp(delta[d * L + t] + bias[d]));
    for (size_t t = 0; t < L; ++t) {
      // h_t[n] = sum_{s<=t} prod_{r=s+1..t} exp(dt_r A[n]) * dt_s B[n][s] u_s
      double acc = 0.0;
      for (size_t n = 0; n < N; ++n) {
        double h = 0.0;
        for (size_t s = 0; s <= t; ++s) {
          double decay = 0.0;
          for (size_t r = s + 1; r <= t; ++r) decay += dt[r] * A[d * N + n];
          h += std::exp(decay) * dt[s] * Bm[n * L + s] * u[d * L + s];
        }
        acc += Cm[n * L + t] * h;
        if (t == L - 1) CHECK(last[d * N + n] == Approx(h).epsilon(1e-13));
      }
      const double want = (acc + D[d] * u[d * L + t]) * silu(z[d * L + t]);
      max_rel = std::max(max_rel, std::fabs(y[d * L + t] - want) / std::max(1.0, std::fabs(want)));
    }
  }
  INFO("max relative difference " << max_rel);
  CHECK(max_rel < 1e-13);
}

TEST_CASE("mamba: the mixer equals an independent token-by-token (step) form", "[mamba]") {
  S4ModelDesc d = mamba_desc(3, 2, 7);
  d.d_conv = 3;
  d.dt_rank = 2;
  S4ModelWeights w = s4_model_init(d, 11);
  MambaBlockWeights& b = w.mamba_layers[0];
  Rng rng(3);
  for (double& a : b.A_log) a += 0.3 * rng.normal();  // per-channel, per-state A
  for (double& v : b.D) v += 0.3 * rng.normal();
  for (double& v : b.dt_bias) v += rng.normal();
  const std::vector<double> x = randn(rng, size_t(d.H) * d.L);
  const std::vector<double> full = mamba_mixer(d, b, x.data());
  const std::vector<double> steps = mixer_by_steps(d, b, x);
  double scale = 0.0;
  for (double v : full) scale = std::max(scale, std::fabs(v));
  REQUIRE(scale > 0.0);
  CHECK(max_abs_diff(full, steps) / scale < 1e-14);
  // Causal: changing step 4 leaves steps 0..3 unchanged, changes step 4.
  std::vector<double> x2 = x;
  x2[1 * d.L + 4] += 1.0;
  const std::vector<double> f2 = mamba_mixer(d, b, x2.data());
  for (uint32_t h = 0; h < d.H; ++h)
    for (uint32_t t = 0; t < 4; ++t) CHECK(f2[h * d.L + t] == full[h * d.L + t]);
  CHECK(f2[0 * d.L + 4] != full[0 * d.L + 4]);
}

TEST_CASE("mamba: tiny model by hand (H=2, L=3, N=1, expand 1, d_conv 2, dt_rank 1)", "[mamba]") {
  S4ModelDesc d = mamba_desc(2, 1, 3);
  d.input = InputKind::Values;
  d.d_input = 1;
  d.expand = 1;
  d.d_conv = 2;
  d.dt_rank = 1;
  d.classes = 1;
  S4ModelWeights w;
  w.encoder = {1, 2, {1.0, -1.0}, {0.0, 0.5}};  // x = [u, 0.5 - u]
  MambaBlockWeights b;
  b.in_proj = {1, 0, 0, 1, 1, 1, 0, 1};  // x = [x0, x1], z = [x0 + x1, x1]
  b.conv_weight = {0.5, 1.0, 0.0, 1.0};   // channel 0: 0.5 x[t-1] + x[t]; channel 1: x[t]
  b.conv_bias = {0.0, 0.1};
  b.x_proj = {1, 0, 0, 1, 1, 1};          // dt_low = u0, B = u1, C = u0 + u1
  b.dt_proj = {1.0, -1.0};
  b.dt_bias = {0.0, 0.5};
  b.A_log = {0.0, std::log(2.0)};         // A = [-1, -2]
  b.D = {1.0, 0.0};
  b.out_proj = {1, 0, 0, 1};
  b.norm = {1.0, 1.0};
  w.mamba_layers = {b};
  w.final_norm.weight = {1.0, 2.0};
  w.decoder = {2, 1, {1.0, 1.0}, {0.0}};
  const double in[] = {1.0, 2.0, -1.0};
  const std::vector<double> logits = s4_model_forward(d, w, in, 1);
  // Independently, step by step.
  const double eps = d.norm_eps;
  const auto rms = [eps](double a, double c, double wa, double wc, double* oa, double* oc) {
    const double inv = 1.0 / std::sqrt((a * a + c * c) / 2.0 + eps);
    *oa = a * inv * wa;
    *oc = c * inv * wc;
  };
  double prev0 = 0.0, h0 = 0.0, h1 = 0.0, f0 = 0.0, f1 = 0.0;
  for (int t = 0; t < 3; ++t) {
    const double e0 = in[t], e1 = 0.5 - in[t];
    double n0, n1;
    rms(e0, e1, 1.0, 1.0, &n0, &n1);
    const double x0 = n0, x1 = n1, z0 = n0 + n1, z1 = n1;
    const double u0 = silu(0.5 * prev0 + x0), u1 = silu(0.1 + x1);
    prev0 = x0;
    const double dtl = u0, Bv = u1, Cv = u0 + u1;
    const double dt0 = softplus_torch(dtl), dt1 = softplus_torch(-dtl + 0.5);
    h0 = std::exp(-dt0) * h0 + dt0 * u0 * Bv;
    h1 = std::exp(-2.0 * dt1) * h1 + dt1 * u1 * Bv;
    const double y0 = (Cv * h0 + u0) * silu(z0), y1 = (Cv * h1) * silu(z1);
    double o0, o1;
    rms(e0 + y0, e1 + y1, 1.0, 2.0, &o0, &o1);
    f0 += o0 / 3.0;
    f1 += o1 / 3.0;
  }
  REQUIRE(logits.size() == 1);
  CHECK(logits[0] == Approx(f0 + f1).epsilon(1e-14));
}

TEST_CASE("mamba: padding after the valid length does not change the logits", "[mamba]") {
  S4ModelDesc d = mamba_desc(4, 3, 10, 2);
  const S4ModelWeights w = s4_model_init(d, 5);
  std::vector<double> a = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4}, b = a;
  b[7] = 1, b[8] = 0, b[9] = 2;  // beyond length 7
  const uint32_t len = 7;
  CHECK(s4_model_forward(d, w, a.data(), 1, &len) == s4_model_forward(d, w, b.data(), 1, &len));
  CHECK(s4_model_forward(d, w, a.data(), 1) != s4_model_forward(d, w, b.data(), 1));
  b = a;
  b[6] = 0;  // inside the valid length
  CHECK(s4_model_forward(d, w, a.data(), 1, &len) != s4_model_forward(d, w, b.data(), 1, &len));
  // Pooling is over the valid steps: a length-7 run equals the mean of the first 7 states.
  std::vector<double> x = s4_model_encode(d, w, a.data(), 1);
  for (const MambaBlockWeights& blk : w.mamba_layers) mamba_model_block(d, blk, x, 1);
  rms_norm(d, w.final_norm.weight, x, 1);
  const std::vector<double> f = mamba_model_features(d, w, a.data(), 1, &len);
  for (uint32_t h = 0; h < d.H; ++h) {
    double s = 0.0;
    for (uint32_t t = 0; t < len; ++t) s += x[h * d.L + t];
    CHECK(f[h] == Approx(s / len).epsilon(1e-14));
  }
}

TEST_CASE("mamba: seeded initialisation follows Mamba's init", "[mamba]") {
  S4ModelDesc d = mamba_desc(20, 4, 8, 3);  // dt_rank auto = ceil(20/16) = 2
  CHECK(mamba_dt_rank(d) == 2);
  CHECK(mamba_inner_width(d) == 40);
  const S4ModelWeights w = s4_model_init(d, 9);
  CHECK_NOTHROW(check_s4_model_weights(d, w));
  CHECK(w.layers.empty());
  REQUIRE(w.mamba_layers.size() == 3);
  const MambaBlockWeights& b = w.mamba_layers[1];
  for (size_t c = 0; c < 40; ++c)
    for (size_t n = 0; n < 4; ++n) CHECK(b.A_log[c * 4 + n] == std::log(double(n + 1)));
  for (double v : b.D) CHECK(v == 1.0);
  for (double v : b.dt_bias) {
    const double dt = softplus_torch(v);
    CHECK(dt >= d.dt_min * (1 - 1e-12));
    CHECK(dt <= d.dt_max * (1 + 1e-12));
  }
  for (double v : b.dt_proj) CHECK(std::fabs(v) <= 1.0 / std::sqrt(2.0));
  for (double v : b.out_proj) CHECK(std::fabs(v) <= 1.0 / std::sqrt(40.0) / std::sqrt(3.0));
  const S4ModelWeights again = s4_model_init(d, 9), other = s4_model_init(d, 10);
  CHECK(again.mamba_layers[2].x_proj == w.mamba_layers[2].x_proj);
  CHECK(other.mamba_layers[2].x_proj != w.mamba_layers[2].x_proj);
}

TEST_CASE("mamba: description checks and weight checks name the key and shape", "[mamba]") {
  S4ModelDesc d = mamba_desc(32, 16, 8, 3);
  d.dt_rank = 4;  // R + 2N = 36, Din = 64
  S4ModelWeights w = s4_model_init(d, 1);
  w.mamba_layers[2].x_proj.resize(10);
  CHECK(weights_error(d, w) ==
        "S4ModelWeights.layers[2].mixer.x_proj.weight: expected [R+2N][Din] = [36][64] (2304 values), got 10 values");
  w = s4_model_init(d, 1);
  w.mamba_layers[0].A_log[3] = 800.0;
  CHECK_THAT(weights_error(d, w), Contains("layers[0].mixer.A_log[3]") && Contains("overflows"));
  w = s4_model_init(d, 1);
  w.final_norm.bias = {1.0};
  CHECK_THAT(weights_error(d, w), Contains("final_norm.bias: expected 0 (RMSNorm)"));

  const auto desc_check = [](S4ModelDesc x) {
    try {
      check_s4_model_desc(x);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  S4ModelDesc bad = d;
  bad.norm = NormKind::Layer;
  CHECK_THAT(desc_check(bad), Contains("S4ModelDesc.norm: expected rms for block mamba"));
  bad = d;
  bad.prenorm = false;
  CHECK_THAT(desc_check(bad), Contains("S4ModelDesc.prenorm: expected true"));
  bad = d;
  bad.bidirectional = true;
  CHECK_THAT(desc_check(bad), Contains("S4ModelDesc.bidirectional: expected false"));
  bad = d;
  bad.dt_rank = 65;
  CHECK_THAT(desc_check(bad), Contains("S4ModelDesc.dt_rank = 65: expected an integer in [1, 64]"));
  bad = d;
  bad.d_conv = 0;
  CHECK_THAT(desc_check(bad), Contains("S4ModelDesc.d_conv = 0"));
  bad = d;
  bad.block = BlockKind::S4D;
  bad.M = 2;
  CHECK_THAT(desc_check(bad), Contains("S4ModelDesc.norm = rms: expected batch or layer for block s4d"));
  CHECK(desc_check(d).empty());
}

TEST_CASE("mamba: model YAML keys, defaults, round trip and errors", "[mamba][io]") {
  const std::string base = "task: t\nblock: mamba\ninput: tokens\nd_input: 9\nH: 40\nL: 16\nn_layers: 2\nclasses: 3\n";
  const S4ModelDesc d = io::parse_model_description(base, "m.yaml");
  CHECK(d.block == BlockKind::Mamba);
  CHECK(d.norm == NormKind::RMS);
  CHECK(d.prenorm);
  CHECK(d.d_state == 16);
  CHECK(d.d_conv == 4);
  CHECK(d.expand == 2);
  CHECK(d.dt_rank == 0);
  CHECK(mamba_dt_rank(d) == 3);  // ceil(40 / 16)
  const S4ModelDesc back = io::parse_model_description(io::model_description_to_yaml(d), "back.yaml");
  CHECK(io::model_description_to_yaml(back) == io::model_description_to_yaml(d));
  const S4ModelDesc e =
      io::parse_model_description(base + "d_state: 4\nd_conv: 3\nexpand: 1\ndt_rank: 5\nnorm_eps: 1e-6\n", "m.yaml");
  CHECK(e.d_state == 4);
  CHECK(e.d_conv == 3);
  CHECK(e.expand == 1);
  CHECK(e.dt_rank == 5);
  const S4ModelDesc e2 = io::parse_model_description(io::model_description_to_yaml(e), "back.yaml");
  CHECK(e2.dt_rank == 5);
  CHECK(e2.norm_eps == 1e-6);
  CHECK(desc_error(base + "N: 4\n") ==
        "m.yaml:9:1: N: not a key of block mamba (the state size is d_state; Mamba is causal, A_log is "
        "initialised S4D-real)");
  CHECK_THAT(desc_error(base + "bidirectional: false\n"), Contains("bidirectional: not a key of block mamba"));
  CHECK_THAT(desc_error("task: t\ninput: tokens\nd_input: 9\nH: 4\nN: 2\nL: 16\nn_layers: 2\nclasses: 3\nd_state: 4\n"),
             Contains("m.yaml:9:1: d_state: not a key of block s4d"));
  CHECK_THAT(desc_error(base + "norm: batch\n"), Contains("m.yaml: S4ModelDesc.norm: expected rms for block mamba"));
  CHECK_THAT(desc_error(base + "prenorm: false\n"), Contains("S4ModelDesc.prenorm: expected true for block mamba"));
  CHECK(desc_error("task: t\nblock: liquid\n") == "m.yaml:2:8: block: expected one of s4d, liquid_s4, mamba, got 'liquid'");
  CHECK(desc_error(base + "expand: 0\n") == "m.yaml:9:9: expand: expected an integer in [1, 64], got '0'");
  CHECK_THAT(desc_error(base + "dt_rank: 81\n"), Contains("S4ModelDesc.dt_rank = 81: expected an integer in [1, 80]"));
  CHECK_THAT(desc_error(base + "d_stat: 4\n"), Contains("d_stat: unknown key (did you mean d_state?)"));
  CHECK_THAT(desc_error("task: t\ninput: tokens\nd_input: 9\nH: 4\nnorm: rms\nN: 2\nL: 16\nn_layers: 2\nclasses: 3\n"),
             Contains("S4ModelDesc.norm = rms: expected batch or layer for block s4d"));
}

TEST_CASE("mamba: safetensors names, round trip and errors naming file, tensor and shape", "[mamba][io]") {
  S4ModelDesc d = mamba_desc(4, 3, 6, 2);
  d.retrieval = true;
  d.input = InputKind::Values;
  d.d_input = 2;
  const std::vector<io::TensorSpec> specs = io::model_tensor_specs(d);
  std::vector<std::string> names;
  for (const io::TensorSpec& s : specs) names.push_back(s.name);
  const std::vector<std::string> want = {
      "encoder.weight", "encoder.bias",
      "layers.0.mixer.in_proj.weight", "layers.0.mixer.conv1d.weight", "layers.0.mixer.conv1d.bias",
      "layers.0.mixer.x_proj.weight", "layers.0.mixer.dt_proj.weight", "layers.0.mixer.dt_proj.bias",
      "layers.0.mixer.A_log", "layers.0.mixer.D", "layers.0.mixer.out_proj.weight", "layers.0.norm.weight",
      "layers.1.mixer.in_proj.weight", "layers.1.mixer.conv1d.weight", "layers.1.mixer.conv1d.bias",
      "layers.1.mixer.x_proj.weight", "layers.1.mixer.dt_proj.weight", "layers.1.mixer.dt_proj.bias",
      "layers.1.mixer.A_log", "layers.1.mixer.D", "layers.1.mixer.out_proj.weight", "layers.1.norm.weight",
      "norm_f.weight",
      "decoder.retrieval.classifier.0.weight", "decoder.retrieval.classifier.0.bias",
      "decoder.retrieval.classifier.2.weight", "decoder.retrieval.classifier.2.bias"};
  CHECK(names == want);
  CHECK(specs[3].shape == std::vector<size_t>{8, 1, 4});  // conv1d [Din, 1, K]
  CHECK(specs[5].shape == std::vector<size_t>{1 + 6, 8});  // x_proj [R + 2N, Din]
  CHECK(specs[8].shape == std::vector<size_t>{8, 3});      // A_log [Din, N]
  uint64_t total = 0;
  for (const io::TensorSpec& spec : specs) {
    uint64_t n = 1;
    for (size_t e : spec.shape) n *= e;
    total += n;
  }
  CHECK(total == s4_model_weight_count(d));
  S4ModelDesc huge = mamba_desc(65536, 16, 8, 1024);
  CHECK_THROWS_WITH(check_s4_model_desc(huge), Contains("block mamba with H = 65536") && Contains("above the limit"));

  const fs::path dir = fs::temp_directory_path() / ("epochcore-mamba-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "w.safetensors").string();
  const S4ModelWeights w = s4_model_init(d, 4);
  io::save_model_weights(path, d, w, "F64");
  const S4ModelWeights r = io::load_model_weights(path, d);
  CHECK(r.mamba_layers[1].A_log == w.mamba_layers[1].A_log);
  CHECK(r.mamba_layers[0].conv_weight == w.mamba_layers[0].conv_weight);
  CHECK(r.final_norm.weight == w.final_norm.weight);
  const std::vector<double> in(2 * 6 * 2, 0.25);
  CHECK(s4_model_forward(d, r, in.data(), 1) == s4_model_forward(d, w, in.data(), 1));

  // A file whose x_proj has the wrong shape: the message names the file, tensor and shape.
  std::map<std::string, io::Tensor> t = io::read_safetensors(path);
  t["layers.1.mixer.x_proj.weight"] = io::Tensor{"F64", {6, 8}, std::vector<double>(48, 0.0)};
  const std::string bad = (dir / "bad.safetensors").string();
  io::write_safetensors(bad, t, "F64");
  try {
    io::load_model_weights(bad, d);
    FAIL("expected an error");
  } catch (const std::exception& e) {
    CHECK_THAT(std::string(e.what()), Contains(bad + ": tensor 'layers.1.mixer.x_proj.weight' has shape [6, 8] but "
                                                     "expected [7, 8]") &&
                                           Contains("block mamba: Din=8, N=d_state=3, K=d_conv=4, R=dt_rank=1"));
  }
  t = io::read_safetensors(path);
  t.erase("norm_f.weight");
  io::write_safetensors(bad, t, "F64");
  CHECK_THROWS_WITH(io::load_model_weights(bad, d), Contains("missing tensor 'norm_f.weight' (expected shape [4]"));
  fs::remove_all(dir);
}

TEST_CASE("mamba: the model compiler refuses a mamba model on a plain or non-fp32 accelerator", "[mamba][compiler]") {
  const S4ModelDesc d = mamba_desc(4, 2, 6);
  const S4ModelWeights w = s4_model_init(d, 2);
  const std::vector<double> in(6, 1.0);
  fw::S4ModelJob job;
  job.desc = &d;
  job.weights = &w;
  job.B = 1;
  job.inputs = in.data();
  fw::AccelInfo info;  // no SELECTIVE
  info.rows = info.cols = 4;
  fw::S4ModelPlan plan;
  std::string why;
  CHECK_FALSE(fw::plan_s4_model(info, job, &plan, &why));
  CHECK_THAT(why, Contains("block 'mamba' needs the selective scan") && Contains("array.selective"));
  info.selective = true;
  info.number_format = uint8_t(regs::NumberFormat::BF16);
  CHECK_FALSE(fw::plan_s4_model(info, job, &plan, &why));
  CHECK_THAT(why, Contains("fp32 only") && Contains("bf16"));
  // A selective fp32 accelerator plans it; a sequence too long for the scratchpads is
  // refused with the buffers named; d_state wider than the array is refused.
  info.number_format = uint8_t(regs::NumberFormat::FP32);
  for (uint8_t s = 0; s < 3; ++s) info.spad_bytes[s] = 64 * 1024;
  REQUIRE(fw::plan_s4_model(info, job, &plan, &why));
  CHECK(plan.resident);
  CHECK(plan.mamba.pass_channels == 4);  // 4 rows, no segments (AccelInfo default)
  CHECK(plan.mem.mamba.size() == 1);
  const S4ModelDesc longer = mamba_desc(4, 2, 3000);
  const S4ModelWeights wl = s4_model_init(longer, 2);
  const std::vector<double> in_l(3000, 1.0);
  job.desc = &longer;
  job.weights = &wl;
  job.inputs = in_l.data();
  CHECK_FALSE(fw::plan_s4_model(info, job, &plan, &why));
  CHECK_THAT(why, Contains("layers.0.mamba") && Contains("scratchpad needs") && Contains("x [4][3000]") &&
                      Contains("L = 3000"));
  const S4ModelDesc wide = mamba_desc(4, 8, 6);
  const S4ModelWeights ww = s4_model_init(wide, 2);
  job.desc = &wide;
  job.weights = &ww;
  job.inputs = in.data();
  CHECK_FALSE(fw::plan_s4_model(info, job, &plan, &why));
  CHECK_THAT(why, Contains("d_state = 8 exceeds the array's 4 columns"));
  CHECK_THROWS_WITH(s4_model_activation_ranges(d, w, in.data(), 1, nullptr), Contains("block mamba"));
}
