// Tests of the whole-model S4 reference (models/reference/s4_model_reference.h) and of
// the model files (platform/io/model_file.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>

#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/maths/reference/s4d_reference.h"
#include "epochcore/platform/io/model_file.h"
#include "epochcore/platform/io/safetensors.h"

using namespace epochcore;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

using Seq = std::vector<std::vector<double>>;  // [L][H], time-major (the reference is [H][L])

// ---- A separate, direct implementation of the model (convolution form of the SSM) ----

Seq direct_ssm(const S4dParams& p, const Seq& u) {
  const size_t L = u.size(), H = p.H, M = p.M;
  Seq y(L, std::vector<double>(H, 0.0));
  for (size_t h = 0; h < H; ++h) {
    const double dt = std::exp(p.log_dt[h]);
    std::vector<double> K[2] = {std::vector<double>(L, 0.0), std::vector<double>(L, 0.0)};
    for (size_t dir = 0; dir < p.directions; ++dir)
      for (size_t n = 0; n < M; ++n) {
        const std::complex<double> A(-std::exp(p.log_A_real[h * M + n]), p.A_imag[h * M + n]);
        const size_t c = ((dir * H + h) * M + n) * 2;
        const std::complex<double> C(p.C[c], p.C[c + 1]);
        const std::complex<double> Cp = C * (std::exp(dt * A) - 1.0) / A;
        for (size_t l = 0; l < L; ++l) K[dir][l] += 2.0 * (Cp * std::exp(double(l) * dt * A)).real();
      }
    for (size_t t = 0; t < L; ++t) {
      double acc = p.D[h] * u[t][h];
      for (size_t s = 0; s <= t; ++s) acc += K[0][t - s] * u[s][h];
      if (p.directions == 2)
        for (size_t s = t + 1; s < L; ++s) acc += K[1][s - t - 1] * u[s][h];
      y[t][h] = acc;
    }
  }
  return y;
}

void direct_norm(const S4ModelDesc& d, const NormWeights& n, Seq& x) {
  for (auto& v : x) {
    const size_t H = v.size();
    if (d.norm == NormKind::Batch) {
      for (size_t h = 0; h < H; ++h)
        v[h] = (v[h] - n.running_mean[h]) / std::sqrt(n.running_var[h] + d.norm_eps) * n.weight[h] +
               n.bias[h];
    } else {
      double mean = 0, var = 0;
      for (double e : v) mean += e / double(H);
      for (double e : v) var += (e - mean) * (e - mean) / double(H);
      for (size_t h = 0; h < H; ++h)
        v[h] = (v[h] - mean) / std::sqrt(var + d.norm_eps) * n.weight[h] + n.bias[h];
    }
  }
}

double erf_gelu(double x) { return x * 0.5 * std::erfc(-x / std::sqrt(2.0)); }

std::vector<double> direct_linear(const LinearWeights& lin, const std::vector<double>& x) {
  std::vector<double> y(lin.bias);
  for (size_t o = 0; o < lin.out; ++o)
    for (size_t i = 0; i < lin.in; ++i) y[o] += lin.weight[o * lin.in + i] * x[i];
  return y;
}

// Pooled features [H] of one sequence `in` (tokens [L] or values [L][d_input]).
std::vector<double> direct_features(const S4ModelDesc& d, const S4ModelWeights& w,
                                    const double* in, size_t len) {
  const size_t H = d.H, L = d.L, F = d.d_input;
  Seq x(L, std::vector<double>(H));
  for (size_t t = 0; t < L; ++t) {
    if (d.input == InputKind::Tokens) {
      for (size_t h = 0; h < H; ++h) x[t][h] = w.embedding[size_t(in[t]) * H + h];
    } else {
      x[t] = direct_linear(w.encoder, std::vector<double>(in + t * F, in + (t + 1) * F));
    }
  }
  for (const S4BlockWeights& b : w.layers) {
    Seq z = x;
    if (d.prenorm) direct_norm(d, b.norm, z);
    for (size_t t = len; t < L; ++t) std::fill(z[t].begin(), z[t].end(), 0.0);
    Seq s = direct_ssm(b.ssm, z);
    for (size_t t = 0; t < L; ++t) {
      for (double& v : s[t]) v = erf_gelu(v);
      const std::vector<double> ab = direct_linear(b.output_linear, s[t]);
      for (size_t h = 0; h < H; ++h) x[t][h] += ab[h] / (1.0 + std::exp(-ab[H + h]));
    }
    if (!d.prenorm) direct_norm(d, b.norm, x);
  }
  if (d.prenorm) direct_norm(d, w.final_norm, x);
  std::vector<double> f(H, 0.0);
  for (size_t t = 0; t < len; ++t)
    for (size_t h = 0; h < H; ++h) f[h] += x[t][h] / double(len);
  return f;
}

std::vector<double> direct_forward(const S4ModelDesc& d, const S4ModelWeights& w,
                                   const std::vector<double>& inputs, uint32_t B,
                                   const std::vector<uint32_t>& lengths = {}) {
  const size_t docs = d.retrieval ? 2 : 1;
  const size_t per_doc = d.input == InputKind::Tokens ? d.L : size_t(d.L) * d.d_input;
  std::vector<double> logits;
  for (size_t b = 0; b < B; ++b) {
    std::vector<std::vector<double>> f;
    for (size_t k = 0; k < docs; ++k) {
      const size_t s = b * docs + k;
      f.push_back(direct_features(d, w, &inputs[s * per_doc], lengths.empty() ? d.L : lengths[s]));
    }
    std::vector<double> out;
    if (!d.retrieval) {
      out = direct_linear(w.decoder, f[0]);
    } else {
      std::vector<double> cat = f[0];
      cat.insert(cat.end(), f[1].begin(), f[1].end());
      for (size_t h = 0; h < d.H; ++h) cat.push_back(f[0][h] - f[1][h]);
      for (size_t h = 0; h < d.H; ++h) cat.push_back(f[0][h] * f[1][h]);
      std::vector<double> hidden = direct_linear(w.retrieval_hidden, cat);
      for (double& v : hidden) v = erf_gelu(v);
      out = direct_linear(w.retrieval_out, hidden);
    }
    logits.insert(logits.end(), out.begin(), out.end());
  }
  return logits;
}

double rel_error(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  double err = 0, scale = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    err = std::max(err, std::fabs(got[i] - want[i]));
    scale = std::max(scale, std::fabs(want[i]));
  }
  return err / scale;
}

// Seeded inputs for a model: token ids or standard normal values, [B][docs][L](...).
std::vector<double> make_inputs(const S4ModelDesc& d, uint32_t B, uint64_t seed) {
  Rng rng(seed);
  const size_t n = size_t(B) * documents_per_input(d) * d.L *
                   (d.input == InputKind::Tokens ? 1 : d.d_input);
  std::vector<double> in(n);
  for (double& v : in)
    v = d.input == InputKind::Tokens ? double(rng.next() % d.d_input) : rng.normal();
  return in;
}

S4ModelDesc small_desc(bool prenorm, NormKind norm, bool bidir, InputKind input) {
  S4ModelDesc d;
  d.task = "small";
  d.input = input;
  d.d_input = input == InputKind::Tokens ? 7 : 2;
  d.H = 3;
  d.M = 2;
  d.L = 9;
  d.n_layers = 2;
  d.prenorm = prenorm;
  d.norm = norm;
  d.bidirectional = bidir;
  d.classes = 4;
  return d;
}

std::string forward_error(const S4ModelDesc& d, const S4ModelWeights& w, const double* in,
                          uint32_t B, const uint32_t* lengths = nullptr) {
  try {
    s4_model_forward(d, w, in, B, lengths);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

struct ModelTempDir {
  fs::path dir;
  ModelTempDir() {
    static std::mt19937_64 rng(std::random_device{}());
    dir = fs::temp_directory_path() / ("epochcore_test_s4_model_" + std::to_string(rng()));
    fs::create_directories(dir);
  }
  ~ModelTempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

}  // namespace

TEST_CASE("s4_model: hand-set tiny model (H=2, 1 layer) matches the direct implementation",
          "[s4_model]") {
  S4ModelDesc d;
  d.task = "tiny";
  d.input = InputKind::Values;
  d.d_input = 1;
  d.H = 2;
  d.M = 1;
  d.L = 5;
  d.n_layers = 1;
  d.classes = 3;
  S4ModelWeights w;
  w.encoder = {1, 2, {0.8, -1.1}, {0.1, 0.2}};
  S4BlockWeights b;
  b.ssm.H = 2;
  b.ssm.M = 1;
  b.ssm.log_dt = {std::log(0.05), std::log(0.2)};
  b.ssm.log_A_real = {std::log(0.5), std::log(0.3)};
  b.ssm.A_imag = {3.14159, 1.0};
  b.ssm.C = {0.9, -0.4, -0.6, 0.7};
  b.ssm.D = {0.5, -1.2};
  b.output_linear = {2, 4, {0.3, -0.2, 0.5, 0.1, -0.7, 0.4, 0.2, 0.9}, {0.05, -0.1, 0.2, 0.0}};
  b.norm = {{1.1, 0.9}, {0.1, -0.2}, {0.05, -0.1}, {1.3, 0.8}};
  w.layers = {b};
  w.decoder = {2, 3, {1.0, -0.5, 0.3, 0.8, -1.2, 0.4}, {0.0, 0.1, -0.1}};
  const std::vector<double> u = {0.5, -1.0, 2.0, 0.25, -0.75};
  const std::vector<double> logits = s4_model_forward(d, w, u.data(), 1);
  REQUIRE(logits.size() == 3);
  CHECK(rel_error(logits, direct_forward(d, w, u, 1)) < 1e-12);
  // Bidirectional: a backward C of its own.
  d.bidirectional = true;
  w.layers[0].ssm.directions = 2;
  w.layers[0].ssm.C.insert(w.layers[0].ssm.C.end(), {-0.3, 0.2, 1.1, 0.5});
  const std::vector<double> bi = s4_model_forward(d, w, u.data(), 1);
  CHECK(rel_error(bi, direct_forward(d, w, u, 1)) < 1e-12);
  CHECK(rel_error(bi, logits) > 1e-3);
}

TEST_CASE("s4_model: every block option matches the direct implementation", "[s4_model]") {
  for (bool prenorm : {false, true})
    for (NormKind norm : {NormKind::Batch, NormKind::Layer})
      for (bool bidir : {false, true})
        for (InputKind input : {InputKind::Values, InputKind::Tokens}) {
          const S4ModelDesc d = small_desc(prenorm, norm, bidir, input);
          const S4ModelWeights w = s4_model_init(d, 11);
          const std::vector<double> in = make_inputs(d, 2, 5);
          const std::vector<uint32_t> lengths = {9, 4};
          INFO("prenorm " << prenorm << " layer norm " << (norm == NormKind::Layer) << " bidir "
                          << bidir << " tokens " << (input == InputKind::Tokens));
          CHECK(rel_error(s4_model_forward(d, w, in.data(), 2), direct_forward(d, w, in, 2)) < 1e-10);
          CHECK(rel_error(s4_model_forward(d, w, in.data(), 2, lengths.data()),
                          direct_forward(d, w, in, 2, lengths)) < 1e-10);
        }
}

TEST_CASE("s4_model: BatchNorm and LayerNorm, prenorm and postnorm give different models",
          "[s4_model]") {
  const S4ModelDesc post_bn = small_desc(false, NormKind::Batch, true, InputKind::Values);
  const S4ModelWeights w = s4_model_init(post_bn, 3);
  const std::vector<double> in = make_inputs(post_bn, 2, 4);
  const std::vector<double> base = s4_model_forward(post_bn, w, in.data(), 2);

  // The same weights with the running statistics dropped: LayerNorm normalises per step.
  S4ModelDesc post_ln = post_bn;
  post_ln.norm = NormKind::Layer;
  S4ModelWeights w_ln = w;
  for (auto& b : w_ln.layers) b.norm.running_mean.clear(), b.norm.running_var.clear();
  const std::vector<double> ln = s4_model_forward(post_ln, w_ln, in.data(), 2);
  CHECK(rel_error(ln, base) > 1e-3);
  CHECK(rel_error(ln, direct_forward(post_ln, w_ln, in, 2)) < 1e-10);

  // Prenorm: the same blocks, norm moved before the SSM, and a final norm.
  S4ModelDesc pre_bn = post_bn;
  pre_bn.prenorm = true;
  S4ModelWeights w_pre = w;
  w_pre.final_norm = w.layers[0].norm;
  const std::vector<double> pre = s4_model_forward(pre_bn, w_pre, in.data(), 2);
  CHECK(rel_error(pre, base) > 1e-3);
  CHECK(rel_error(pre, direct_forward(pre_bn, w_pre, in, 2)) < 1e-10);

  // A check of the ordering itself: with identity norms, prenorm (plus identity final
  // norm) and postnorm are the same function.
  S4ModelWeights id_post = w, id_pre = w_pre;
  for (S4ModelWeights* m : {&id_post, &id_pre}) {
    for (auto& b : m->layers) b.norm = {{1, 1, 1}, {0, 0, 0}, {0, 0, 0}, {1 - 1e-5, 1 - 1e-5, 1 - 1e-5}};
  }
  id_pre.final_norm = id_pre.layers[0].norm;
  CHECK(rel_error(s4_model_forward(pre_bn, id_pre, in.data(), 2),
                  s4_model_forward(post_bn, id_post, in.data(), 2)) < 1e-12);
}

TEST_CASE("s4_model: mean pooling and SSM masking respect the valid length", "[s4_model]") {
  for (bool bidir : {false, true}) {
    const S4ModelDesc d = small_desc(true, NormKind::Layer, bidir, InputKind::Tokens);
    const S4ModelWeights w = s4_model_init(d, 21);
    std::vector<double> in = make_inputs(d, 1, 8);
    const uint32_t len = 5;
    const std::vector<double> padded = s4_model_forward(d, w, in.data(), 1, &len);
    // The same model on the first 5 steps only.
    S4ModelDesc short_d = d;
    short_d.L = len;
    const std::vector<double> cut(in.begin(), in.begin() + len);
    CHECK(rel_error(padded, s4_model_forward(short_d, w, cut.data(), 1)) < 1e-12);
    // Padding content does not matter; without lengths it does.
    std::vector<double> other = in;
    for (size_t t = len; t < d.L; ++t) other[t] = double((size_t(other[t]) + 3) % d.d_input);
    CHECK(rel_error(s4_model_forward(d, w, other.data(), 1, &len), padded) < 1e-12);
    CHECK(rel_error(s4_model_forward(d, w, other.data(), 1), s4_model_forward(d, w, in.data(), 1)) >
          1e-6);
  }
}

TEST_CASE("s4_model: retrieval head on two documents", "[s4_model]") {
  S4ModelDesc d = small_desc(true, NormKind::Batch, true, InputKind::Tokens);
  d.retrieval = true;
  d.classes = 2;
  const S4ModelWeights w = s4_model_init(d, 9);
  CHECK(w.retrieval_hidden.in == 4 * d.H);
  CHECK(w.retrieval_hidden.out == d.H);
  CHECK(w.retrieval_out.out == 2);
  const uint32_t B = 3;
  const std::vector<double> in = make_inputs(d, B, 2);
  const std::vector<uint32_t> lengths = {9, 7, 3, 9, 1, 6};
  const std::vector<double> logits = s4_model_forward(d, w, in.data(), B, lengths.data());
  REQUIRE(logits.size() == B * 2);
  CHECK(rel_error(logits, direct_forward(d, w, in, B, lengths)) < 1e-10);
  // Swapping the documents of a pair changes b and a-b: the head is not symmetric.
  std::vector<double> swapped = in;
  std::swap_ranges(swapped.begin(), swapped.begin() + d.L, swapped.begin() + d.L);
  const std::vector<uint32_t> swapped_len = {7, 9, 3, 9, 1, 6};
  const std::vector<double> s = s4_model_forward(d, w, swapped.data(), B, swapped_len.data());
  CHECK(std::fabs(s[0] - logits[0]) > 1e-9);
  CHECK(s[2] == logits[2]);  // other pairs unchanged
  // Features then head equal the whole forward.
  const std::vector<double> f = s4_model_features(d, w, in.data(), 2 * B, lengths.data());
  CHECK(s4_model_head(d, w, f.data(), B) == logits);
}

TEST_CASE("s4_model: seeded initialisation", "[s4_model]") {
  const S4ModelDesc d = small_desc(true, NormKind::Batch, true, InputKind::Values);
  const S4ModelWeights a = s4_model_init(d, 42), b = s4_model_init(d, 42), c = s4_model_init(d, 43);
  CHECK_NOTHROW(check_s4_model_weights(d, a));
  CHECK(a.layers[1].output_linear.weight == b.layers[1].output_linear.weight);
  CHECK(a.decoder.weight == b.decoder.weight);
  CHECK(a.layers[0].ssm.C != c.layers[0].ssm.C);
  // The documented order: the first draw of Rng(seed) seeds layer 0's S4D-Lin SSM.
  Rng rng(42);
  const S4dParams ssm0 = s4d_init(d.H, d.M, "s4d_lin", 1e-3, 1e-1, rng.next(), 2);
  CHECK(a.layers[0].ssm.C == ssm0.C);
  CHECK(a.layers[0].ssm.A_imag == ssm0.A_imag);
  CHECK(a.layers[0].ssm.A_imag[1] == Approx(3.14159265358979));  // S4D-Lin: pi * n
  const double bound = 1.0 / std::sqrt(double(d.d_input));
  for (double v : a.encoder.weight) CHECK(std::fabs(v) <= bound);
  CHECK(a.final_norm.running_var.size() == d.H);
  CHECK(gelu_exact(1.0) == Approx(0.8413447460685429));  // 1 * Phi(1)
  CHECK(gelu_exact(-2.0) == Approx(-0.04550026389635842));
}

TEST_CASE("s4_model: bad inputs and weights are errors naming them", "[s4_model]") {
  const S4ModelDesc d = small_desc(false, NormKind::Batch, false, InputKind::Tokens);
  S4ModelWeights w = s4_model_init(d, 1);
  std::vector<double> in = make_inputs(d, 1, 1);
  in[3] = 7;
  CHECK_THAT(forward_error(d, w, in.data(), 1), Contains("inputs[3] (sequence 0, step 3) = 7") &&
                                                    Contains("[0, d_input = 7)"));
  in[3] = 1.5;
  CHECK_THAT(forward_error(d, w, in.data(), 1), Contains("inputs[3]"));
  in[3] = 1;
  uint32_t len = 0;
  CHECK_THAT(forward_error(d, w, in.data(), 1, &len), Contains("lengths[0] = 0") && Contains("[1, L = 9]"));
  len = 10;
  CHECK_THAT(forward_error(d, w, in.data(), 1, &len), Contains("lengths[0] = 10"));
  CHECK_THAT(forward_error(d, w, in.data(), 0), Contains("B >= 1"));
  CHECK_THAT(forward_error(d, w, nullptr, 1), Contains("null"));
  w.layers[1].output_linear.bias.pop_back();
  CHECK_THAT(forward_error(d, w, in.data(), 1),
             Contains("layers[1].output_linear.bias: expected 2H = 6 values, got 5"));
  w = s4_model_init(d, 1);
  w.layers[0].ssm.directions = 2;
  CHECK_THAT(forward_error(d, w, in.data(), 1), Contains("layers[0].ssm: expected H=3, M=2, directions=1"));
  w = s4_model_init(d, 1);
  w.encoder = {1, 3, {1, 2, 3}, {0, 0, 0}};
  CHECK_THAT(forward_error(d, w, in.data(), 1), Contains("encoder: expected empty"));
  S4ModelDesc bad = d;
  bad.H = 0;
  CHECK_THAT(forward_error(bad, w, in.data(), 1), Contains("S4ModelDesc.H = 0"));
  bad = d;
  bad.pooling = "max";
  CHECK_THROWS_WITH(s4_model_init(bad, 1), Contains("pooling = 'max': expected mean"));
}

TEST_CASE("s4_model: the six LRA models validate and run at small L", "[s4_model][lra]") {
  std::vector<std::string> names = lra_task_names();
  REQUIRE(names.size() == 6);
  for (const std::string& task : names) {
    INFO(task);
    S4ModelDesc d = lra_model_description(task);
    CHECK_NOTHROW(check_s4_model_desc(d));
    CHECK(d.n_layers == 6);
    CHECK(d.bidirectional);
    // YAML round trip at full shape.
    const std::string yaml = io::model_description_to_yaml(d);
    const S4ModelDesc back = io::parse_model_description(yaml, task + ".yaml");
    CHECK(io::model_description_to_yaml(back) == yaml);
    CHECK(back.L == d.L);
    // A seeded small-L version, checked against the direct implementation.
    d.L = 12;
    const S4ModelWeights w = s4_model_init(d, 7);
    const uint32_t B = 2;
    const std::vector<double> in = make_inputs(d, B, 3);
    std::vector<uint32_t> lengths(B * documents_per_input(d), 12);
    lengths[1] = 8;
    const std::vector<double> logits = s4_model_forward(d, w, in.data(), B, lengths.data());
    REQUIRE(logits.size() == B * d.classes);
    for (double v : logits) CHECK(std::isfinite(v));
    CHECK(rel_error(logits, direct_forward(d, w, in, B, lengths)) < 1e-9);
  }
  CHECK(lra_model_description("pathx").L == 16384);
  CHECK(lra_model_description("image").H == 512);
  CHECK(lra_model_description("image").M == 32);
  CHECK(lra_model_description("retrieval").retrieval);
  CHECK_THROWS_WITH(lra_model_description("cifar"), Contains("unknown task 'cifar'"));
}

// ---------------------------------------------------------------- model files

namespace {

std::string desc_error(const std::string& yaml) {
  try {
    io::parse_model_description(yaml, "m.yaml");
  } catch (const io::FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* const kListopsYaml = R"(task: listops
input: tokens
d_input: 18
H: 256
N: 4
L: 2048
n_layers: 6
prenorm: false
norm: batch
bidirectional: true
pooling: mean
classes: 10
dropout: 0.0
)";

std::string weights_error(const std::string& path, const S4ModelDesc& d) {
  try {
    io::load_model_weights(path, d);
  } catch (const io::FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

// The tensors of `w` by name (as save_model_weights writes them), for altered files.
std::map<std::string, io::Tensor> tensors_of(const std::string& path, const S4ModelDesc& d,
                                             const S4ModelWeights& w) {
  io::save_model_weights(path, d, w, "F64");
  return io::read_safetensors(path);
}

// An int64 .npy (format 1.0), which write_npy_* (float only) cannot write.
void write_npy_i64(const std::string& path, const std::vector<size_t>& shape,
                   const std::vector<int64_t>& values) {
  std::string dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (";
  for (size_t v : shape) dict += std::to_string(v) + ", ";
  dict += "), }";
  while ((10 + dict.size() + 1) % 64) dict += ' ';
  dict += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(dict.size() & 0xff);
  bytes += static_cast<char>(dict.size() >> 8);
  bytes += dict;
  for (int64_t v : values)
    for (int i = 0; i < 8; ++i) bytes += static_cast<char>((uint64_t(v) >> (8 * i)) & 0xff);
  std::ofstream(path, std::ios::binary) << bytes;
}

void write_bytes(const std::string& path, const std::string& header, size_t data_bytes) {
  std::string bytes(8, '\0');
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  bytes += header + std::string(data_bytes, '\0');
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("model_file: description keys, defaults and errors", "[s4_model][io]") {
  const S4ModelDesc d = io::parse_model_description(kListopsYaml, "listops.yaml");
  CHECK(d.task == "listops");
  CHECK(d.input == InputKind::Tokens);
  CHECK(d.M == 2);
  CHECK(d.bidirectional);
  S4ModelDesc lra = lra_model_description("listops");
  lra.description = d.description;
  CHECK(io::model_description_to_yaml(d) == io::model_description_to_yaml(lra));
  const std::string base = kListopsYaml;
  const auto with = [&base](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const S4ModelDesc m = io::parse_model_description(with("N: 4", "M: 3"), "m.yaml");
  CHECK(m.M == 3);
  const S4ModelDesc minimal = io::parse_model_description(
      "task: t\ninput: values\nd_input: 1\nH: 4\nM: 1\nL: 8\nn_layers: 1\nclasses: 2\n", "m.yaml");
  CHECK(!minimal.prenorm);
  CHECK(minimal.norm == NormKind::Batch);
  CHECK(!minimal.bidirectional);
  CHECK(!minimal.retrieval);
  CHECK(minimal.norm_eps == 1e-5);

  CHECK(desc_error(with("bidirectional: true", "bidirectinal: true")) ==
        "m.yaml:10:1: bidirectinal: unknown key (did you mean bidirectional?); valid keys: task, "
        "description, input, d_input, H, N, M, L, n_layers, prenorm, norm, bidirectional, "
        "pooling, classes, retrieval, dropout, norm_eps, init, dt_min, dt_max, block, d_state, "
        "d_conv, expand, dt_rank, liquid_kernel, liquid_degree, allcombs, lcontract");
  CHECK(desc_error(with("H: 256", "H: abc")) ==
        "m.yaml:4:4: H: expected an integer in [1, 65536], got 'abc'");
  CHECK(desc_error(with("H: 256", "H: 0")) ==
        "m.yaml:4:4: H: expected an integer in [1, 65536], got '0'");
  CHECK(desc_error(with("H: 256", "H: -3")) ==
        "m.yaml:4:4: H: expected an integer in [1, 65536], got '-3'");
  CHECK_THAT(desc_error(with("N: 4", "N: 5")), Contains("N: expected an even state size"));
  CHECK(desc_error(with("N: 4", "N: 4\nM: 2")) == "m.yaml: N and M: give only one (N = 2M)");
  CHECK(desc_error(with("L: 2048\n", "")) == "m.yaml: missing key 'L' (sequence length)");
  CHECK_THAT(desc_error(with("N: 4\n", "")), Contains("missing key 'N'"));
  CHECK(desc_error(with("norm: batch", "norm: group")) ==
        "m.yaml:9:7: norm: expected one of batch, layer, rms, got 'group'");
  CHECK_THAT(desc_error(with("pooling: mean", "pooling: max")), Contains("pooling: expected one of mean"));
  CHECK_THAT(desc_error(with("prenorm: false", "prenorm: 1")), Contains("prenorm: expected true or false, got '1'"));
  CHECK_THAT(desc_error(with("dropout: 0.0", "dropout: 1.5")), Contains("dropout: expected a number in [0, 1)"));
  CHECK_THAT(desc_error(with("input: tokens", "input: [tokens]")), Contains("input: expected one of tokens, values, got a list"));
  CHECK_THAT(desc_error(with("H: 256", "H: 256\nH: 128")), Contains("H: duplicate key"));
  CHECK_THAT(desc_error(base + "dt_min: 0.5\ndt_max: 0.1\n"), Contains("dt_min < dt_max"));
  CHECK_THAT(desc_error("- a\n- b\n"), Contains("expected a map of model keys"));
  CHECK_THAT(desc_error("task: [unclosed\n"), Contains("invalid YAML"));
  CHECK_THROWS_WITH(io::load_model_description("/nonexistent/m.yaml"),
                    Contains("/nonexistent/m.yaml: cannot open"));
}

TEST_CASE("model_file: weights round trip and tensor names", "[s4_model][io]") {
  ModelTempDir tmp;
  for (bool retrieval : {false, true})
    for (InputKind input : {InputKind::Tokens, InputKind::Values}) {
      S4ModelDesc d = small_desc(true, NormKind::Batch, true, input);
      d.retrieval = retrieval;
      const S4ModelWeights w = s4_model_init(d, 5);
      const std::string p = tmp.file("w.safetensors");
      io::save_model_weights(p, d, w, "F64");
      const S4ModelWeights back = io::load_model_weights(p, d);
      const std::vector<double> in = make_inputs(d, 1, 1);
      CHECK(s4_model_forward(d, back, in.data(), 1) == s4_model_forward(d, w, in.data(), 1));
      io::save_model_weights(p, d, w, "F32");
      CHECK(rel_error(s4_model_forward(d, io::load_model_weights(p, d), in.data(), 1),
                      s4_model_forward(d, w, in.data(), 1)) < 1e-5);
      // The file holds exactly the documented tensors.
      const auto tensors = io::read_safetensors(p);
      const auto specs = io::model_tensor_specs(d);
      CHECK(tensors.size() == specs.size());
      for (const auto& s : specs) CHECK(tensors.at(s.name).shape == s.shape);
    }
  S4ModelDesc d = small_desc(false, NormKind::Layer, false, InputKind::Values);
  const auto specs = io::model_tensor_specs(d);
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  const std::vector<std::string> expected_layer0 = {
      "layers.0.layer.kernel.log_dt", "layers.0.layer.kernel.log_A_real",
      "layers.0.layer.kernel.A_imag", "layers.0.layer.kernel.C", "layers.0.layer.D",
      "layers.0.layer.output_linear.weight", "layers.0.layer.output_linear.bias",
      "layers.0.norm.weight", "layers.0.norm.bias"};
  CHECK(std::vector<std::string>(names.begin() + 2, names.begin() + 11) == expected_layer0);
  CHECK(names.front() == "encoder.weight");
  CHECK(specs.front().shape == std::vector<size_t>{3, 2});  // [H, d_input]
  CHECK(specs[5].shape == std::vector<size_t>{3, 2, 2});    // C [H, M, 2]
  CHECK(names.back() == "decoder.bias");
  CHECK(names.size() == 2 + 2 * 9 + 2);
}

TEST_CASE("model_file: missing, extra, misshapen and mistyped tensors", "[s4_model][io]") {
  ModelTempDir tmp;
  const std::string p = tmp.file("w.safetensors");
  const S4ModelDesc d = small_desc(true, NormKind::Batch, true, InputKind::Tokens);
  const S4ModelWeights w = s4_model_init(d, 5);
  const std::string model = "(H=3, M=2, d_input=7, classes=4)";

  auto t = tensors_of(p, d, w);
  t.erase("layers.1.layer.kernel.C");
  io::write_safetensors(p, t, "F32");
  CHECK(weights_error(p, d) == p + ": missing tensor 'layers.1.layer.kernel.C' (expected shape "
                               "[2, 3, 2, 2] for this model " + model + ")");

  t = tensors_of(p, d, w);
  t["layers.0.norm.num_batches_tracked"] = {"", {}, {1.0}};
  t["decoder.extra"] = {"", {1}, {1.0}};
  io::write_safetensors(p, t, "F32");
  CHECK(weights_error(p, d) == p + ": unexpected tensors 'decoder.extra', "
                               "'layers.0.norm.num_batches_tracked' (not part of this model " +
                               model + "; docs/models.md lists the names)");

  t = tensors_of(p, d, w);
  t["layers.0.layer.output_linear.weight"].shape = {3, 6};
  io::write_safetensors(p, t, "F32");
  CHECK(weights_error(p, d) == p + ": tensor 'layers.0.layer.output_linear.weight' has shape "
                               "[3, 6] but expected [6, 3] for this model " + model);

  // A unidirectional C in a bidirectional model.
  t = tensors_of(p, d, w);
  t["layers.0.layer.kernel.C"].shape = {3, 2, 2};
  t["layers.0.layer.kernel.C"].data.resize(12);
  io::write_safetensors(p, t, "F32");
  CHECK_THAT(weights_error(p, d), Contains("'layers.0.layer.kernel.C' has shape [3, 2, 2] but "
                                           "expected [2, 3, 2, 2]"));

  t = tensors_of(p, d, w);
  t["layers.1.layer.kernel.log_dt"].data[2] = 800.0;
  io::write_safetensors(p, t, "F64");
  CHECK(weights_error(p, d) == p + ": tensor 'layers.1.layer.kernel.log_dt' element 2 = 800: dt "
                               "= exp(log_dt) must be a positive finite number");
  t = tensors_of(p, d, w);
  t["norm.running_var"].data[0] = -1.0;
  io::write_safetensors(p, t, "F64");
  CHECK_THAT(weights_error(p, d), Contains("tensor 'norm.running_var' element 0 = -1: running_var"));

  // An integer tensor, by hand: a one-layer values model whose decoder.bias is I32.
  S4ModelDesc one;
  one.task = "one";
  one.H = one.M = one.L = one.n_layers = one.classes = one.d_input = 1;
  std::string header = "{";
  size_t offset = 0;
  for (const auto& s : io::model_tensor_specs(one)) {
    size_t n = 1;
    for (size_t v : s.shape) n *= v;
    const bool i32 = s.name == "decoder.bias";
    header += (offset ? "," : "") + std::string("\"") + s.name + "\":{\"dtype\":\"" +
              (i32 ? "I32" : "F32") + "\",\"shape\":[" + std::to_string(s.shape[0]);
    for (size_t k = 1; k < s.shape.size(); ++k) header += "," + std::to_string(s.shape[k]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + 4 * n) + "]}";
    offset += 4 * n;
  }
  write_bytes(p, header + "}", offset);
  CHECK(weights_error(p, one) == p + ": tensor 'decoder.bias' has dtype I32 (expected F32 or F64)");

  S4ModelDesc bad = d;
  bad.L = 0;
  CHECK_THAT(weights_error(p, bad), Contains("invalid model: S4ModelDesc.L = 0"));
  CHECK_THROWS_WITH(io::save_model_weights(p, d, S4ModelWeights{}, "F32"), Contains("embedding"));
}

TEST_CASE("model_file: inputs and valid lengths from .npy", "[s4_model][io]") {
  ModelTempDir tmp;
  const std::string in = tmp.file("in.npy"), len = tmp.file("len.npy");
  S4ModelDesc d = small_desc(false, NormKind::Batch, true, InputKind::Tokens);
  d.retrieval = true;
  std::vector<double> ids = make_inputs(d, 2, 1);
  write_npy_i64(in, {2, 2, d.L}, std::vector<int64_t>(ids.begin(), ids.end()));
  write_npy_i64(len, {2, 2}, {9, 3, 1, 8});
  const io::ModelInputs tokens = io::load_model_inputs(in, len, d);
  CHECK(tokens.B == 2);
  CHECK(tokens.data == ids);
  CHECK(tokens.lengths == std::vector<uint32_t>{9, 3, 1, 8});
  CHECK(s4_model_forward(d, s4_model_init(d, 1), tokens.data.data(), tokens.B,
                         tokens.lengths.data()).size() == 2 * d.classes);
  write_npy_i64(len, {2, 2}, {9, 3, 0, 8});
  CHECK_THROWS_WITH(io::load_model_inputs(in, len, d),
                    len + ": length 0 at index 2 is outside [1, L = 9]");
  write_npy_i64(len, {2}, {9, 3});
  CHECK_THROWS_WITH(io::load_model_inputs(in, len, d), Contains("but expected (2, 2)"));
  ids[5] = 7;
  write_npy_i64(in, {2, 2, d.L}, std::vector<int64_t>(ids.begin(), ids.end()));
  CHECK_THROWS_WITH(io::load_model_inputs(in, "", d),
                    in + ": token id 7 at flat index 5 is outside the vocabulary [0, d_input = 7)");
  // Token ids in a float file are refused.
  io::write_npy_f64(in, {2, 2, d.L}, ids.data());
  CHECK_THROWS_WITH(io::load_model_inputs(in, "", d),
                    in + ": token ids have dtype f8 (expected an integer dtype, int32 or int64)");
  io::write_npy_f64(in, {2, d.L}, ids.data());
  CHECK_THROWS_WITH(io::load_model_inputs(in, "", d),
                    in + ": inputs have shape (2, 9) but the model expects (B, 2, 9) token ids with B >= 1");

  // Values: (B, L, d_input), or (B, L) when d_input is 1.
  S4ModelDesc v = small_desc(false, NormKind::Batch, false, InputKind::Values);
  std::vector<double> x = make_inputs(v, 3, 1);
  io::write_npy_f64(in, {3, v.L, 2}, x.data());
  io::ModelInputs mi = io::load_model_inputs(in, "", v);
  CHECK(mi.B == 3);
  CHECK(mi.data == x);
  CHECK(mi.lengths.empty());
  std::vector<double> lengths = {9, 1, 4};
  io::write_npy_f64(len, {3}, lengths.data());
  CHECK_THROWS_WITH(io::load_model_inputs(in, len, v), Contains("lengths have dtype f8"));
  io::write_npy_f64(len, {2}, lengths.data());
  CHECK_THROWS_WITH(io::load_model_inputs(in, len, v),
                    len + ": lengths have shape (2,) but expected (3,) (B = 3 from " + in + ")");
  io::write_npy_f64(in, {3, v.L}, x.data());
  CHECK_THROWS_WITH(io::load_model_inputs(in, "", v),
                    in + ": inputs have shape (3, 9) but the model expects (B, 9, 2) values with B >= 1");
  v.d_input = 1;
  CHECK(io::load_model_inputs(in, "", v).B == 3);
}
