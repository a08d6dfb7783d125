// Tests of the activation-range calibration (models/reference/s4_model_calibration.h):
// the instrumented pass returns s4_model_forward's logits bit for bit, and every range
// equals an independent recomputation (its own norm, GELU, Linear, GLU and the SSM as a
// direct convolution, s4d_convolution) stepped along the reference's stage functions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/reference/s4_model_calibration.h"
#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/maths/reference/s4d_reference.h"


using namespace epochcore;
using Catch::Matchers::Contains;

namespace {

S4ModelDesc small_desc(bool prenorm, NormKind norm, bool bidir, InputKind input) {
  S4ModelDesc d;
  d.task = "calib";
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

std::vector<double> make_inputs(const S4ModelDesc& d, uint32_t B, uint64_t seed) {
  Rng rng(seed);
  const size_t n = size_t(B) * documents_per_input(d) * d.L *
                   (d.input == InputKind::Tokens ? 1 : d.d_input);
  std::vector<double> in(n);
  for (double& v : in)
    v = d.input == InputKind::Tokens ? double(rng.next() % d.d_input) : 2.0 * rng.normal();
  return in;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double e : v) m = std::max(m, std::fabs(e));
  return m;
}

// Textbook norms over [S][H][L], written unlike the reference: divide by the standard
// deviation instead of multiplying by a folded scale.
void direct_norm(const S4ModelDesc& d, const NormWeights& n, std::vector<double>& x, size_t S) {
  const size_t H = d.H, L = d.L;
  for (size_t s = 0; s < S; ++s)
    for (size_t t = 0; t < L; ++t) {
      auto at = [&](size_t h) -> double& { return x[(s * H + h) * L + t]; };
      double mean = 0, var = 0;
      if (d.norm == NormKind::Layer) {
        for (size_t h = 0; h < H; ++h) mean += at(h) / double(H);
        for (size_t h = 0; h < H; ++h) var += (at(h) - mean) * (at(h) - mean) / double(H);
      }
      for (size_t h = 0; h < H; ++h) {
        const double m = d.norm == NormKind::Batch ? n.running_mean[h] : mean;
        const double v = d.norm == NormKind::Batch ? n.running_var[h] : var;
        at(h) = (at(h) - m) / std::sqrt(v + d.norm_eps) * n.weight[h] + n.bias[h];
      }
    }
}

double erfc_gelu(double x) { return x * 0.5 * std::erfc(-x / std::sqrt(2.0)); }

std::vector<double> direct_linear(const LinearWeights& lin, const std::vector<double>& x) {
  std::vector<double> y(lin.bias);
  for (size_t o = 0; o < lin.out; ++o)
    for (size_t i = 0; i < lin.in; ++i) y[o] += lin.weight[o * lin.in + i] * x[i];
  return y;
}

// |got - want| within a relative 1e-9 of the tensor's range (the independent SSM and
// norms round differently from the reference).
void check_close(double got, double want, const std::string& what) {
  INFO(what << ": got " << got << ", want " << want);
  CHECK(std::fabs(got - want) <= 1e-9 * std::max(1.0, std::fabs(want)));
}

// The ranges recomputed independently, block by block, each block continuing from the
// reference's own s4_model_block output.
ActivationRanges direct_ranges(const S4ModelDesc& d, const S4ModelWeights& w,
                               const std::vector<double>& in, uint32_t B,
                               const std::vector<uint32_t>& lengths) {
  const uint32_t S = B * documents_per_input(d);
  const uint32_t* len = lengths.empty() ? nullptr : lengths.data();
  const size_t H = d.H, L = d.L;
  ActivationRanges r;
  std::vector<double> x = s4_model_encode(d, w, in.data(), S);
  r.encoder_out = max_abs(x);
  for (const S4BlockWeights& block : w.layers) {
    BlockRanges br;
    std::vector<double> z = x;
    if (d.prenorm) direct_norm(d, block.norm, z, S);
    for (size_t s = 0; s < S && len; ++s)
      for (size_t h = 0; h < H; ++h)
        for (size_t t = len[s]; t < L; ++t) z[(s * H + h) * L + t] = 0;
    br.ssm_in = max_abs(z);
    const std::vector<double> ssm = s4d_convolution(block.ssm, z.data(), S, d.L);
    br.ssm_out = max_abs(ssm);
    std::vector<double> res = x;
    for (size_t s = 0; s < S; ++s)
      for (size_t t = 0; t < L; ++t) {
        std::vector<double> g(H);
        for (size_t h = 0; h < H; ++h) g[h] = erfc_gelu(ssm[(s * H + h) * L + t]);
        br.gelu = std::max(br.gelu, max_abs(g));
        const std::vector<double> u = direct_linear(block.output_linear, g);
        br.linear = std::max(br.linear, max_abs(u));
        for (size_t h = 0; h < H; ++h) {
          const double y = u[h] / (1.0 + std::exp(-u[H + h]));
          br.glu = std::max(br.glu, std::fabs(y));
          res[(s * H + h) * L + t] += y;
        }
      }
    br.residual = max_abs(res);
    if (!d.prenorm) direct_norm(d, block.norm, res, S);
    s4_model_block(d, block, x, S, len);  // the stage function carries on
    for (size_t i = 0; i < x.size(); ++i) CHECK(std::fabs(res[i] - x[i]) < 1e-9);
    br.out = max_abs(x);
    r.layers.push_back(br);
  }
  if (d.prenorm) {
    direct_norm(d, w.final_norm, x, S);
    r.final_norm = max_abs(x);
  }
  for (size_t s = 0; s < S; ++s)
    for (size_t h = 0; h < H; ++h) {
      double sum = 0;
      for (size_t t = 0; t < (len ? len[s] : L); ++t) sum += x[(s * H + h) * L + t];
      r.pool_sum = std::max(r.pool_sum, std::fabs(sum));
    }
  const std::vector<double> f = s4_model_features(d, w, in.data(), S, len);
  r.features = max_abs(f);
  if (d.retrieval)
    for (size_t b = 0; b < B; ++b) {
      std::vector<double> cat(4 * H);
      for (size_t h = 0; h < H; ++h) {
        const double fa = f[2 * b * H + h], fb = f[(2 * b + 1) * H + h];
        cat[h] = fa, cat[H + h] = fb, cat[2 * H + h] = fa - fb, cat[3 * H + h] = fa * fb;
      }
      r.head_in = std::max(r.head_in, max_abs(cat));
      std::vector<double> hidden = direct_linear(w.retrieval_hidden, cat);
      r.head_hidden = std::max(r.head_hidden, max_abs(hidden));
      for (double& v : hidden) v = erfc_gelu(v);
      r.head_gelu = std::max(r.head_gelu, max_abs(hidden));
    }
  r.logits = max_abs(s4_model_forward(d, w, in.data(), B, len));
  return r;
}

void check_ranges(const ActivationRanges& got, const ActivationRanges& want) {
  check_close(got.encoder_out, want.encoder_out, "encoder_out");
  REQUIRE(got.layers.size() == want.layers.size());
  for (size_t i = 0; i < got.layers.size(); ++i) {
    const BlockRanges &g = got.layers[i], &e = want.layers[i];
    const std::string at = "layers[" + std::to_string(i) + "].";
    check_close(g.ssm_in, e.ssm_in, at + "ssm_in");
    check_close(g.ssm_out, e.ssm_out, at + "ssm_out");
    check_close(g.gelu, e.gelu, at + "gelu");
    check_close(g.linear, e.linear, at + "linear");
    check_close(g.glu, e.glu, at + "glu");
    check_close(g.residual, e.residual, at + "residual");
    CHECK(g.out == e.out);  // both from the reference's block arithmetic
  }
  check_close(got.final_norm, want.final_norm, "final_norm");
  check_close(got.pool_sum, want.pool_sum, "pool_sum");
  CHECK(got.features == want.features);
  check_close(got.head_in, want.head_in, "head_in");
  check_close(got.head_hidden, want.head_hidden, "head_hidden");
  check_close(got.head_gelu, want.head_gelu, "head_gelu");
  CHECK(got.logits == want.logits);
}

void check_model(const S4ModelDesc& d, uint64_t seed, uint32_t B,
                 const std::vector<uint32_t>& lengths) {
  const S4ModelWeights w = s4_model_init(d, seed);
  const std::vector<double> in = make_inputs(d, B, seed + 1);
  const uint32_t* len = lengths.empty() ? nullptr : lengths.data();
  ActivationRanges r;
  const std::vector<double> logits = s4_model_forward_with_ranges(d, w, in.data(), B, len, r);
  CHECK(logits == s4_model_forward(d, w, in.data(), B, len));  // bit for bit
  check_ranges(r, direct_ranges(d, w, in, B, lengths));
  const ActivationRanges pub = s4_model_activation_ranges(d, w, in.data(), B, len);
  CHECK(pub.logits == r.logits);
  CHECK(pub.layers.back().out == r.layers.back().out);
  // Only the tensors the options create are non-zero.
  CHECK((r.final_norm > 0) == d.prenorm);
  CHECK((r.head_in > 0) == d.retrieval);
  for (const BlockRanges& b : r.layers) {
    CHECK(b.ssm_in > 0);
    CHECK(b.glu > 0);
    if (d.prenorm) CHECK(b.out == b.residual);
  }
}

}  // namespace

TEST_CASE("calib: ranges and logits of every block option", "[calib]") {
  uint64_t seed = 100;
  for (InputKind input : {InputKind::Tokens, InputKind::Values})
    for (bool prenorm : {false, true})
      for (NormKind norm : {NormKind::Batch, NormKind::Layer})
        for (bool bidir : {false, true}) {
          const S4ModelDesc d = small_desc(prenorm, norm, bidir, input);
          INFO("tokens " << (input == InputKind::Tokens) << " prenorm " << prenorm << " layer "
                         << (norm == NormKind::Layer) << " bidirectional " << bidir);
          check_model(d, ++seed, 2, {});
          check_model(d, ++seed, 2, {9, 4});
        }
}

TEST_CASE("calib: retrieval head over two documents, with lengths", "[calib]") {
  for (bool prenorm : {false, true}) {
    S4ModelDesc d = small_desc(prenorm, NormKind::Batch, true, InputKind::Tokens);
    d.retrieval = true;
    d.classes = 3;
    check_model(d, prenorm ? 7 : 8, 2, {});
    check_model(d, prenorm ? 9 : 10, 2, {3, 9, 9, 1});
  }
}

TEST_CASE("calib: the ranges of a batch are the maxima over its inputs", "[calib]") {
  S4ModelDesc d = small_desc(true, NormKind::Layer, true, InputKind::Values);
  d.retrieval = true;
  const S4ModelWeights w = s4_model_init(d, 3);
  const uint32_t B = 3, per_input = 2 * d.L * d.d_input;
  const std::vector<double> in = make_inputs(d, B, 4);
  const std::vector<uint32_t> lengths = {9, 2, 5, 7, 1, 9};
  const ActivationRanges all = s4_model_activation_ranges(d, w, in.data(), B, lengths.data());
  ActivationRanges m;
  m.layers.resize(d.n_layers);
  for (uint32_t b = 0; b < B; ++b) {
    const ActivationRanges one =
        s4_model_activation_ranges(d, w, &in[b * per_input], 1, &lengths[2 * b]);
    for (size_t i = 0; i < m.layers.size(); ++i) {
      BlockRanges &t = m.layers[i];
      const BlockRanges& o = one.layers[i];
      t.ssm_in = std::max(t.ssm_in, o.ssm_in), t.ssm_out = std::max(t.ssm_out, o.ssm_out);
      t.gelu = std::max(t.gelu, o.gelu), t.linear = std::max(t.linear, o.linear);
      t.glu = std::max(t.glu, o.glu), t.residual = std::max(t.residual, o.residual);
      t.out = std::max(t.out, o.out);
    }
    m.encoder_out = std::max(m.encoder_out, one.encoder_out);
    m.final_norm = std::max(m.final_norm, one.final_norm);
    m.pool_sum = std::max(m.pool_sum, one.pool_sum);
    m.features = std::max(m.features, one.features);
    m.head_in = std::max(m.head_in, one.head_in);
    m.head_hidden = std::max(m.head_hidden, one.head_hidden);
    m.head_gelu = std::max(m.head_gelu, one.head_gelu);
    m.logits = std::max(m.logits, one.logits);
  }
  // Sequences do not interact, so the maxima are exact.
  CHECK(all.encoder_out == m.encoder_out);
  for (size_t i = 0; i < m.layers.size(); ++i) {
    CHECK(all.layers[i].ssm_in == m.layers[i].ssm_in);
    CHECK(all.layers[i].ssm_out == m.layers[i].ssm_out);
    CHECK(all.layers[i].gelu == m.layers[i].gelu);
    CHECK(all.layers[i].linear == m.layers[i].linear);
    CHECK(all.layers[i].glu == m.layers[i].glu);
    CHECK(all.layers[i].residual == m.layers[i].residual);
    CHECK(all.layers[i].out == m.layers[i].out);
  }
  CHECK(all.final_norm == m.final_norm);
  CHECK(all.pool_sum == m.pool_sum);
  CHECK(all.features == m.features);
  CHECK(all.head_in == m.head_in);
  CHECK(all.head_hidden == m.head_hidden);
  CHECK(all.head_gelu == m.head_gelu);
  CHECK(all.logits == m.logits);
}

TEST_CASE("calib: hand-computed one-block model", "[calib]") {
  // Values input, H = 2, L = 3; SSM with C = D = 0 (s = 0), W_out = 0 so that the GLU
  // output is the bias pair: y = (2 sigmoid(0), -4 sigmoid(ln 3)) = (1, -3); BatchNorm with
  // var + eps = 1, weight 2, bias 1: out = 2 (x + y) + 1.
  S4ModelDesc d;
  d.task = "hand";
  d.input = InputKind::Values;
  d.d_input = 1, d.H = 2, d.M = 1, d.L = 3, d.n_layers = 1, d.classes = 1;
  d.norm_eps = 0.25;
  S4ModelWeights w;
  w.encoder = {1, 2, {1.0, -3.0}, {0.0, 0.0}};
  S4BlockWeights b;
  b.ssm.H = 2, b.ssm.M = 1, b.ssm.directions = 1;
  b.ssm.log_dt = {std::log(0.1), std::log(0.1)};
  b.ssm.log_A_real = {std::log(0.5), std::log(0.5)};
  b.ssm.A_imag = {1.0, 1.0};
  b.ssm.C = {0, 0, 0, 0};
  b.ssm.D = {0, 0};
  b.output_linear = {2, 4, std::vector<double>(8, 0.0), {2.0, -4.0, 0.0, std::log(3.0)}};
  b.norm = {{2.0, 2.0}, {1.0, 1.0}, {0.0, 0.0}, {0.75, 0.75}};
  w.layers = {b};
  w.decoder = {2, 1, {1.0, 1.0}, {0.0}};
  const std::vector<double> u = {1.0, 2.0, -0.5};
  // x = [[1, 2, -0.5], [-3, -6, 1.5]]; x + y = [[2, 3, 0.5], [-6, -9, -1.5]];
  // out = [[5, 7, 2], [-11, -17, -2]]; sums 14, -30; features 14/3, -10; logit -16/3.
  const ActivationRanges r = s4_model_activation_ranges(d, w, u.data(), 1);
  CHECK(r.encoder_out == 6.0);
  CHECK(r.layers[0].ssm_in == 6.0);
  CHECK(r.layers[0].ssm_out == 0.0);
  CHECK(r.layers[0].gelu == 0.0);
  CHECK(r.layers[0].linear == 4.0);
  CHECK(r.layers[0].glu == Approx(3.0).epsilon(1e-15));
  CHECK(r.layers[0].residual == Approx(9.0).epsilon(1e-15));
  CHECK(r.layers[0].out == Approx(17.0).epsilon(1e-15));
  CHECK(r.final_norm == 0.0);
  CHECK(r.pool_sum == Approx(30.0).epsilon(1e-15));
  CHECK(r.features == Approx(10.0).epsilon(1e-15));
  CHECK(r.head_in == 0.0);
  CHECK(r.logits == Approx(16.0 / 3.0).epsilon(1e-15));
  // With length 1 only step 0 is pooled: sums 5, -11.
  const uint32_t len = 1;
  const ActivationRanges r1 = s4_model_activation_ranges(d, w, u.data(), 1, &len);
  CHECK(r1.pool_sum == Approx(11.0).epsilon(1e-15));
  CHECK(r1.layers[0].out == r.layers[0].out);  // padded steps still count in the ranges
  CHECK(r1.layers[0].ssm_in == 3.0);           // but the SSM input is masked
}

TEST_CASE("calib: bad input gives the errors of s4_model_forward", "[calib]") {
  const S4ModelDesc d = small_desc(false, NormKind::Batch, false, InputKind::Tokens);
  S4ModelWeights w = s4_model_init(d, 1);
  std::vector<double> in = make_inputs(d, 1, 1);
  auto error_of = [&](auto&& call) -> std::string {
    try {
      call();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no error)";
  };
  auto same = [&](const S4ModelDesc& dd, const double* p, uint32_t B, const uint32_t* len) {
    const std::string want = error_of([&] { s4_model_forward(dd, w, p, B, len); });
    const std::string got = error_of([&] { s4_model_activation_ranges(dd, w, p, B, len); });
    CHECK(want != "(no error)");
    CHECK(got == want);
    return got;
  };
  in[3] = 7;
  CHECK_THAT(same(d, in.data(), 1, nullptr), Contains("inputs[3]"));
  in[3] = 1;
  uint32_t len = 0;
  CHECK_THAT(same(d, in.data(), 1, &len), Contains("lengths[0] = 0"));
  len = 10;
  in[2] = -1;  // the lengths are checked first, as in s4_model_forward
  CHECK_THAT(same(d, in.data(), 1, &len), Contains("lengths[0] = 10"));
  in[2] = 1;
  CHECK_THAT(same(d, in.data(), 0, nullptr), Contains("B >= 1"));
  CHECK_THAT(same(d, nullptr, 1, nullptr), Contains("null"));
  S4ModelDesc bad = d;
  bad.H = 0;
  CHECK_THAT(same(bad, in.data(), 1, nullptr), Contains("S4ModelDesc.H = 0"));
  w.layers[1].output_linear.bias.pop_back();
  CHECK_THAT(same(d, in.data(), 1, nullptr), Contains("layers[1].output_linear.bias"));
  w = s4_model_init(d, 1);
  w.layers[0].norm.running_var[1] = -1.0;
  CHECK_THAT(same(d, in.data(), 1, nullptr), Contains("layers[0].norm.running_var[1]"));
}
