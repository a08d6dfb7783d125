// Liquid-S4 blocks (docs/models.md "Liquid-S4 blocks"): the double-precision reference
// (maths/reference/liquid_s4_reference.h) against the worked example of the specification
// (/work/notes/liquid_s4_spec.md §6), the allcombs index sets, the model description keys,
// the weights' checks and files, and the compiler's refusal.
#include <catch2/catch.hpp>

#include <cmath>
#include <complex>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "epochcore/compiler/s4_model.h"
#include "epochcore/maths/reference/liquid_s4_reference.h"
#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/maths/reference/s4d_reference.h"
#include "epochcore/platform/io/model_file.h"

using namespace epochcore;
using cd = std::complex<double>;
namespace fs = std::filesystem;

namespace {

// The specification's example (§6): H = 1, M = 2, L = 4, bilinear discretisation with an
// explicit B, K[l] = 2 Re sum_n C_n dB_n dA_n^l (as the example, not the project's ZOH).
struct Example {
  std::vector<cd> w{{-0.5, 1.0}, {-0.5, 3.0}}, B{{1.0, 0.0}, {0.5, -0.5}}, C{{0.3, 0.1}, {-0.2, 0.4}};
  double dt = 0.1, D = 0.7;
  std::vector<double> u{1.0, 2.0, -1.0, 0.5};
  std::vector<cd> dA, dB;
  double S = 0;
  std::vector<double> K;
  Example() {
    for (size_t n = 0; n < 2; ++n) {
      dA.push_back((1.0 + dt * w[n] / 2.0) / (1.0 - dt * w[n] / 2.0));
      dB.push_back(dt * B[n] / (1.0 - dt * w[n] / 2.0));
      S += 2.0 * dB[n].real();
    }
    for (int l = 0; l < 4; ++l) {
      cd k = 0;
      for (size_t n = 0; n < 2; ++n) k += C[n] * dB[n] * std::pow(dA[n], l);
      K.push_back(2.0 * k.real());
    }
  }
};

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("index " << i << ": got " << got[i] << ", want " << want[i]);
    CHECK(std::abs(got[i] - want[i]) <= tol);
  }
}

S4ModelDesc small_liquid(LiquidKernel k, bool bidirectional, uint32_t P = 2, bool allcombs = false) {
  S4ModelDesc d;
  d.task = "liquid";
  d.input = InputKind::Values;
  d.d_input = 2;
  d.H = 3;
  d.M = 2;
  d.L = 16;
  d.n_layers = 2;
  d.classes = 3;
  d.bidirectional = bidirectional;
  d.block = BlockKind::LiquidS4;
  d.liquid_kernel = k;
  d.liquid_degree = P;
  d.allcombs = allcombs;
  return d;
}

}  // namespace

TEST_CASE("liquid: the specification's worked example (H=1, M=2, L=4, p=2, allcombs false)", "[liquid]") {
  const Example e;
  // Intermediate values of §6 (6 decimals).
  CHECK(std::abs(e.dA[0] - cd(0.946588, 0.094955)) < 1e-6);
  CHECK(std::abs(e.dB[1] - cd(0.054747, -0.040769)) < 1e-6);
  CHECK(std::abs(e.S - 0.304152) < 1e-6);
  check_close(e.K, {0.068164, 0.045213, 0.024397, 0.006916}, 1e-6);

  // y_S4D = K * u + D u.
  std::vector<double> y_s4d(4);
  for (size_t t = 0; t < 4; ++t) {
    for (size_t j = 0; j <= t; ++j) y_s4d[t] += e.K[t - j] * e.u[j];
    y_s4d[t] += e.D * e.u[t];
  }
  check_close(y_s4d, {0.768164, 1.581542, -0.653341, 0.394580}, 1e-6);

  LiquidSpec s;
  s.degree = 2;
  const std::vector<double> c = liquid_correlations(s, e.u.data(), 4);
  check_close(c, {0.0, 2.0, -2.0, -0.5}, 0.0);

  SECTION("polyb: gamma_2 = K_0 S times the flipped c_2") {
    s.kernel = LiquidKernel::PolyB;
    LiquidWeights w;
    w.gamma = {e.K[0] * e.S};
    CHECK(std::abs(w.gamma[0] - 0.020732) < 1e-6);
    check_close(liquid_terms(s, 1, 1, {}, w, e.u.data(), 1, 4), {-0.010366, -0.041465, 0.041465, 0.0}, 1e-6);
  }
  SECTION("kb, causal form: K * (S c_2)") {
    s.kernel = LiquidKernel::KB;
    LiquidWeights w;
    w.S = {e.S};
    check_close(liquid_terms(s, 1, 1, e.K, w, e.u.data(), 1, 4), {0.0, 0.041465, -0.013961, -0.023029}, 1e-6);
  }
  SECTION("kb_repo: the repository's mixed-grid spectrum, literal DFT") {
    s.kernel = LiquidKernel::KBRepo;
    LiquidWeights w;
    w.S = {e.S};
    check_close(liquid_terms(s, 1, 1, e.K, w, e.u.data(), 1, 4), {-0.011878, -0.037959, 0.017318, -0.006175}, 1e-6);
  }
}

TEST_CASE("liquid: allcombs index sets and windows", "[liquid]") {
  CHECK(liquid_allcombs_window(1024, 2) == 46);
  CHECK(liquid_allcombs_window(8, 2) == 5);
  CHECK(liquid_allcombs_window(4, 2) == 0);
  CHECK(liquid_allcombs_window(4, 3) == 0);
  const auto idx = liquid_allcombs_indices(8, 2);
  const std::vector<std::vector<uint32_t>> want = {{3, 6}, {3, 7}, {4, 5}, {4, 6},
                                                   {4, 7}, {5, 6}, {5, 7}, {6, 7}};
  CHECK(idx == want);
  // Order 3 at L = 8: n* = 5 (binom(5, 3) = 10), the last 8 of the 3-subsets of {3..7}.
  const auto idx3 = liquid_allcombs_indices(8, 3);
  REQUIRE(idx3.size() == 8);
  CHECK(idx3.front() == std::vector<uint32_t>{3, 4, 7});  // 10 subsets of {3..7}, the last 8
  CHECK(idx3.back() == std::vector<uint32_t>{5, 6, 7});
  CHECK_THROWS_WITH(liquid_allcombs_indices(4, 2), Catch::Contains("L = 4") && Catch::Contains("p = 2"));

  // polyb with gamma 1 gives the flipped c_2 = (u6u7, u5u7, u5u6, u4u7, u4u6, u4u5, u3u7, u3u6).
  const std::vector<double> u = {1.5, -2.0, 0.25, 3.0, 5.0, 7.0, 11.0, 13.0};
  LiquidSpec s;
  s.allcombs = true;
  LiquidWeights w;
  w.gamma = {1.0};
  const std::vector<double> y = liquid_terms(s, 1, 1, {}, w, u.data(), 1, 8);
  check_close(y, {11 * 13., 7 * 13., 7 * 11., 5 * 13., 5 * 11., 5 * 7., 3 * 13., 3 * 11.}, 0.0);
  // Bidirectional: the backward gamma multiplies the unflipped sequence.
  w.gamma = {0.0, 1.0};
  const std::vector<double> yb = liquid_terms(s, 1, 2, {}, w, u.data(), 1, 8);
  check_close(yb, {3 * 11., 3 * 13., 5 * 7., 5 * 11., 5 * 13., 7 * 11., 7 * 13., 11 * 13.}, 0.0);

  // lcontract squashes c_p; the allcombs=false recursion uses the unsquashed c_{p-1}.
  LiquidSpec t;
  t.degree = 3;
  t.lcontract = LiquidContract::Lecun;
  const std::vector<double> c = liquid_correlations(t, u.data(), 8);
  const double c2_3 = u[3] * u[2], c2_2 = u[2] * u[1];
  CHECK(c[8 + 3] == Approx(1.7159 * std::tanh(0.666 * c2_3 * c2_2)).epsilon(1e-15));
  CHECK(c[3] == Approx(1.7159 * std::tanh(0.666 * c2_3)).epsilon(1e-15));
}

TEST_CASE("liquid: the repository's coefficients (bilinear, frozen init values)", "[liquid]") {
  S4dParams p = s4d_init(2, 3, "s4d_lin", 1e-3, 1e-1, 7, 2);
  LiquidSpec s;
  s.degree = 4;
  const LiquidWeights w = liquid_coefficients_repo(s, p);
  REQUIRE(w.gamma.size() == 2 * 3 * 2);
  CHECK(w.S.empty());
  s.kernel = LiquidKernel::KB;
  const LiquidWeights wk = liquid_coefficients_repo(s, p);
  REQUIRE(wk.S.size() == 4);
  CHECK(wk.S[0] == wk.S[2]);  // one S per channel, written for both directions
  for (uint32_t dir = 0; dir < 2; ++dir)
    for (uint32_t h = 0; h < 2; ++h) {
      const double dt = std::exp(p.log_dt[h]);
      cd S = 0, K0 = 0;
      for (uint32_t n = 0; n < 3; ++n) {
        const cd A(-std::exp(p.log_A_real[h * 3 + n]), p.A_imag[h * 3 + n]);
        const cd dB = dt / (1.0 - dt * A / 2.0);
        const size_t j = (dir * 2 + h) * 3 + n;
        S += 2.0 * dB.real();
        K0 += 2.0 * (cd(p.C[2 * j], p.C[2 * j + 1]) * dB).real();
      }
      CHECK(wk.S[dir * 2 + h] == Approx(S.real()).epsilon(1e-14));
      // The repository's loop squares the sum each order: gamma_p = K0 S^(2^(p-1) - 1).
      for (uint32_t p1 = 1; p1 <= 3; ++p1)
        CHECK(w.gamma[(dir * 3 + p1 - 1) * 2 + h] ==
              Approx(K0.real() * std::pow(S.real(), std::pow(2.0, p1) - 1)).epsilon(1e-12));
    }
}

TEST_CASE("liquid: kb is the unchanged SSM fed u + sum_p S^(p-1) c_p", "[liquid]") {
  for (uint32_t dirs : {1u, 2u}) {
    const S4dParams p = s4d_init(2, 3, "s4d_lin", 1e-2, 1e-1, 3, dirs);
    const uint32_t L = 12;
    const std::vector<float> uf = seeded_input(1, 2, L, 5);
    const std::vector<double> u(uf.begin(), uf.end());
    LiquidSpec s;
    s.kernel = LiquidKernel::KB;
    s.degree = 3;
    s.lcontract = LiquidContract::Tanh;
    LiquidWeights w;
    w.S.assign(dirs * 2, 0.0);
    for (size_t i = 0; i < w.S.size(); ++i) w.S[i] = 0.3 + 0.1 * i;
    const std::vector<double> y = liquid_s4_layer(s, p, w, u.data(), 1, L);
    // Forward direction only when unidirectional: conv(K, u~) + D u via the recurrence.
    if (dirs == 1) {
      std::vector<double> ut = u;
      for (uint32_t h = 0; h < 2; ++h) {
        const std::vector<double> c = liquid_correlations(s, &u[h * L], L);
        for (uint32_t o = 0; o < 2; ++o)
          for (uint32_t t = 0; t < L; ++t) ut[h * L + t] += std::pow(w.S[h], o + 1) * c[o * L + t];
      }
      std::vector<double> want = s4d_recurrence(p, ut.data(), 1, L);
      for (uint32_t h = 0; h < 2; ++h)
        for (uint32_t t = 0; t < L; ++t) want[h * L + t] -= p.D[h] * (ut[h * L + t] - u[h * L + t]);
      for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(want[i]).margin(1e-13));
    } else {
      // Bidirectional with S the same in both directions: one modified input.
      w.S = {0.3, 0.4, 0.3, 0.4};
      const std::vector<double> y2 = liquid_s4_layer(s, p, w, u.data(), 1, L);
      std::vector<double> ut = u;
      for (uint32_t h = 0; h < 2; ++h) {
        const std::vector<double> c = liquid_correlations(s, &u[h * L], L);
        for (uint32_t o = 0; o < 2; ++o)
          for (uint32_t t = 0; t < L; ++t) ut[h * L + t] += std::pow(w.S[h], o + 1) * c[o * L + t];
      }
      std::vector<double> want = s4d_convolution(p, ut.data(), 1, L);
      for (uint32_t h = 0; h < 2; ++h)
        for (uint32_t t = 0; t < L; ++t) want[h * L + t] -= p.D[h] * (ut[h * L + t] - u[h * L + t]);
      for (size_t i = 0; i < y2.size(); ++i) CHECK(y2[i] == Approx(want[i]).margin(1e-13));
    }
  }
}

TEST_CASE("liquid: model description keys", "[liquid]") {
  const std::string base = "task: t\ninput: values\nd_input: 1\nH: 4\nN: 4\nL: 16\nn_layers: 1\nclasses: 2\n";
  const S4ModelDesc plain = io::parse_model_description(base, "m.yaml");
  CHECK(plain.block == BlockKind::S4D);
  CHECK(io::model_description_to_yaml(plain).find("block") == std::string::npos);

  const S4ModelDesc d = io::parse_model_description(base + "block: liquid_s4\n", "m.yaml");
  CHECK(d.block == BlockKind::LiquidS4);
  CHECK(d.liquid_kernel == LiquidKernel::PolyB);
  CHECK(d.liquid_degree == 2);
  CHECK_FALSE(d.allcombs);
  CHECK(d.lcontract == LiquidContract::None);

  const S4ModelDesc e = io::parse_model_description(
      base + "block: liquid_s4\nliquid_kernel: kb_repo\nliquid_degree: 3\nallcombs: true\nlcontract: lecun\n", "m.yaml");
  CHECK(e.liquid_kernel == LiquidKernel::KBRepo);
  CHECK(e.liquid_degree == 3);
  CHECK(e.allcombs);
  CHECK(e.lcontract == LiquidContract::Lecun);
  const std::string yaml = io::model_description_to_yaml(e);
  const S4ModelDesc back = io::parse_model_description(yaml, "back.yaml");
  CHECK(io::model_description_to_yaml(back) == yaml);

  CHECK_THROWS_WITH(io::parse_model_description(base + "block: mamba2\n", "m.yaml"),
                    Catch::Contains("block: expected one of s4d, liquid_s4"));
  CHECK_THROWS_WITH(io::parse_model_description(base + "block: liquid_s4\nliquid_kernel: pb\n", "m.yaml"),
                    Catch::Contains("liquid_kernel: expected one of polyb, kb, kb_repo"));
  CHECK_THROWS_WITH(io::parse_model_description(base + "block: liquid_s4\nliquid_degree: 9\n", "m.yaml"),
                    Catch::Contains("liquid_degree: expected an integer in [2, 8]"));
  CHECK_THROWS_WITH(io::parse_model_description(base + "block: liquid_s4\nliquid_degree: 1\n", "m.yaml"),
                    Catch::Contains("liquid_degree: expected an integer in [2, 8]"));
  CHECK_THROWS_WITH(io::parse_model_description(base + "block: liquid_s4\nlcontract: relu\n", "m.yaml"),
                    Catch::Contains("lcontract: expected one of none, tanh, lecun"));
  CHECK_THROWS_WITH(io::parse_model_description(base + "liquid_degree: 3\n", "m.yaml"),
                    Catch::Contains("liquid_degree: only for block: liquid_s4"));
  CHECK_THROWS_WITH(io::parse_model_description(base + "block: liquid_s4\nliquid_kernel: kb\nallcombs: true\n", "m.yaml"),
                    Catch::Contains("allcombs = true with liquid_kernel kb"));
  const std::string short_l = "task: t\ninput: values\nd_input: 1\nH: 4\nN: 4\nL: 4\nn_layers: 1\nclasses: 2\n";
  CHECK_THROWS_WITH(io::parse_model_description(short_l + "block: liquid_s4\nallcombs: true\n", "m.yaml"),
                    Catch::Contains("allcombs = true: L = 4 is too short") && Catch::Contains("p = 2"));
  CHECK_NOTHROW(io::parse_model_description(short_l + "block: liquid_s4\n", "m.yaml"));
}

TEST_CASE("liquid: weights checks, files and seeded initialisation", "[liquid]") {
  const S4ModelDesc d = small_liquid(LiquidKernel::PolyB, true, 3);
  S4ModelWeights w = s4_model_init(d, 11);
  REQUIRE(w.layers[1].liquid.gamma.size() == 2 * 2 * 3);
  CHECK_NOTHROW(check_s4_model_weights(d, w));
  // The seeded coefficients are the repository's, from the seeded SSM.
  CHECK(w.layers[1].liquid.gamma == liquid_coefficients_repo(liquid_spec(d), w.layers[1].ssm).gamma);
  // Same draws as the S4D model of the same seed: only the coefficients are added.
  S4ModelDesc plain = d;
  plain.block = BlockKind::S4D;
  const S4ModelWeights wp = s4_model_init(plain, 11);
  CHECK(wp.layers[1].ssm.C == w.layers[1].ssm.C);
  CHECK(wp.decoder.weight == w.decoder.weight);

  S4ModelWeights bad = w;
  bad.layers[1].liquid.gamma.resize(3);
  CHECK_THROWS_WITH(check_s4_model_weights(d, bad),
                    Catch::Contains("layers[1].liquid.gamma: expected [directions][P-1][H] = [2][2][3]"));
  bad = w;
  bad.layers[0].liquid.S = {1.0, 2.0, 3.0};
  CHECK_THROWS_WITH(check_s4_model_weights(d, bad), Catch::Contains("layers[0].liquid.S: expected empty"));
  CHECK_THROWS_WITH(check_s4_model_weights(plain, w), Catch::Contains("liquid.gamma: expected empty"));

  const auto specs = io::model_tensor_specs(d);
  bool found = false;
  for (const auto& t : specs)
    if (t.name == "layers.1.layer.liquid.gamma") found = (t.shape == std::vector<size_t>{2, 2, 3});
  CHECK(found);
  const S4ModelDesc dk = small_liquid(LiquidKernel::KB, false);
  for (const auto& t : io::model_tensor_specs(dk))
    if (t.name.find("liquid") != std::string::npos) {
      CHECK(t.name == "layers." + t.name.substr(7, 1) + ".layer.liquid.S");
      CHECK(t.shape == std::vector<size_t>{1, 3});
    }
  CHECK(s4_model_weight_count(d) == s4_model_weight_count(plain) + 2 * 12);

  const fs::path dir = fs::temp_directory_path() / ("epochcore-liquid-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "w.safetensors").string();
  io::save_model_weights(file, d, w, "F64");
  const S4ModelWeights back = io::load_model_weights(file, d);
  CHECK(back.layers[1].liquid.gamma == w.layers[1].liquid.gamma);
  // A file written for P = 3 does not load as P = 2: the error names file, tensor and shape.
  S4ModelDesc d2 = d;
  d2.liquid_degree = 2;
  CHECK_THROWS_WITH(io::load_model_weights(file, d2),
                    Catch::Contains(file) && Catch::Contains("layers.0.layer.liquid.gamma") &&
                        Catch::Contains("[2, 2, 3] but expected [2, 1, 3] ([directions, P-1, H])"));
  // Nor as an S4D model (unexpected tensors), nor as kb (missing S).
  CHECK_THROWS_WITH(io::load_model_weights(file, plain), Catch::Contains("unexpected tensor"));
  S4ModelDesc dkb = d;
  dkb.liquid_kernel = LiquidKernel::KB;
  CHECK_THROWS_WITH(io::load_model_weights(file, dkb), Catch::Contains("missing tensor 'layers.0.layer.liquid.S'"));
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("liquid: the model's logits, padding and the compiler's refusal of kb_repo", "[liquid]") {
  for (LiquidKernel k : {LiquidKernel::PolyB, LiquidKernel::KB, LiquidKernel::KBRepo})
    for (bool bidir : {false, true}) {
      const S4ModelDesc d = small_liquid(k, bidir, 3);
      const S4ModelWeights w = s4_model_init(d, 5);
      std::vector<double> in(2 * d.L * d.d_input);
      for (size_t i = 0; i < in.size(); ++i) in[i] = std::sin(0.7 * i) * 1.3;
      const uint32_t lengths[2] = {11, 16};
      const std::vector<double> a = s4_model_forward(d, w, in.data(), 2, lengths);
      // Padding content does not matter (masked before the SSM and the liquid products).
      std::vector<double> in2 = in;
      for (uint32_t t = 11; t < d.L; ++t)
        for (uint32_t f = 0; f < d.d_input; ++f) in2[t * d.d_input + f] = 9.0;
      CHECK(s4_model_forward(d, w, in2.data(), 2, lengths) == a);
      // The liquid terms matter: the same weights as an S4D model give other logits.
      S4ModelDesc plain = d;
      plain.block = BlockKind::S4D;
      S4ModelWeights wp = w;
      for (auto& b : wp.layers) b.liquid = LiquidWeights();
      const std::vector<double> b = s4_model_forward(plain, wp, in.data(), 2, lengths);
      double diff = 0;
      for (size_t i = 0; i < a.size(); ++i) diff = std::max(diff, std::abs(a[i] - b[i]));
      CHECK(diff > 1e-9);

      fw::S4ModelJob job;
      job.desc = &d;
      job.weights = &w;
      job.B = 2;
      job.inputs = in.data();
      job.mem_base = 0x1000;
      fw::AccelInfo hw;
      hw.rows = hw.cols = 4;
      for (uint32_t& b : hw.spad_bytes) b = 64 * 1024;
      fw::S4ModelPlan plan;
      std::string why;
      // The accelerator maps polyb and kb (the causal form); kb_repo is refused by name
      // (docs/liquid-s4.md; the mapping itself: test_liquid_compiler.cpp).
      const bool ok = fw::plan_s4_model(hw, job, &plan, &why);
      INFO(why);
      CHECK(ok == (k != LiquidKernel::KBRepo));
      if (k == LiquidKernel::KBRepo)
        CHECK_THAT(why, Catch::Contains("liquid_kernel: kb_repo is not supported on the accelerator"));
    }
}
