#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/vector/vector_unit_math.h"

using namespace epochcore;
using namespace epochcore::vec;

namespace {

std::vector<float> random_values(uint64_t seed, size_t n, double spread) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(spread * rng.normal());
  return v;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Float results against a double reference: a few float ulps, or `abs` near zero.
void check_close(float got, double want, double rel, double abs = 1e-30) {
  INFO("got " << got << " want " << want);
  CHECK(std::fabs(double(got) - want) <= rel * std::fabs(want) + abs);
}

}  // namespace

TEST_CASE("GELU is the exact erf form", "[vector]") {
  std::vector<float> x;
  for (int i = -400; i <= 400; ++i) x.push_back(float(i) * 0.025f);  // [-10, 10]
  std::vector<float> y(x.size());
  REQUIRE(gelu(x.data(), y.data(), x.size()).ok());
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    const double want = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    if (v > -5.0)
      check_close(y[i], want, 6.1e-8);  // one rounding to float: <= 0.5 ulp
    else
      check_close(y[i], want, 0.0, 1e-12);  // 1+erf cancels in the double reference
  }
  // Closed values: Phi(1) = 0.841344746068543, Phi(-1) = 0.158655253931457.
  float v[3] = {1.0f, -1.0f, 0.0f}, out[3];
  REQUIRE(gelu(v, out, 3).ok());
  check_close(out[0], 0.841344746068543, 1e-7);
  check_close(out[1], -0.158655253931457, 1e-7);
  CHECK(out[2] == 0.0f);
  // Far left the function is tiny but not flushed: x * Phi(x) with Phi(-8) ~ 6.2e-16.
  float far = -8.0f, far_out;
  REQUIRE(gelu(&far, &far_out, 1).ok());
  check_close(far_out, -8.0 * 6.22096057427178e-16, 1e-6);
  // In place gives the same bits.
  std::vector<float> z = x;
  REQUIRE(gelu(z.data(), z.data(), z.size()).ok());
  CHECK(z == y);
}

TEST_CASE("GLU takes a from the first half of the channels, as nn.GLU(dim=channel)", "[vector]") {
  // One step, channels [3, 0]: a = 3, b = 0 -> 3 * sigmoid(0) = 1.5. Halves swapped would
  // give 0 * sigmoid(3) = 0.
  float x2[2] = {3.0f, 0.0f}, y1;
  REQUIRE(glu(x2, &y1, 2, 1).ok());
  CHECK(y1 == 1.5f);

  const uint32_t C = 5, L = 7;
  const std::vector<float> x = random_values(11, 2 * C * L, 2.0);
  std::vector<float> y(C * L);
  REQUIRE(glu(x.data(), y.data(), 2 * C, L).ok());
  for (uint32_t c = 0; c < C; ++c)
    for (uint32_t t = 0; t < L; ++t) {
      const double a = x[c * L + t], b = x[(C + c) * L + t];
      check_close(y[c * L + t], a / (1.0 + std::exp(-b)), 6e-8);
    }
  std::vector<float> in_place = x;
  REQUIRE(glu(in_place.data(), in_place.data(), 2 * C, L).ok());
  CHECK(std::vector<float>(in_place.begin(), in_place.begin() + C * L) == y);

  const VecStatus odd = glu(x.data(), y.data(), 3, L);
  REQUIRE_FALSE(odd.ok());
  CHECK(contains(odd.error, "glu"));
  CHECK(contains(odd.error, "odd"));
}

TEST_CASE("Residual add is one float add", "[vector]") {
  const std::vector<float> x = random_values(1, 100, 1.0), r = random_values(2, 100, 1.0);
  std::vector<float> y(100);
  REQUIRE(residual_add(x.data(), r.data(), y.data(), 100).ok());
  for (size_t i = 0; i < 100; ++i) CHECK(y[i] == x[i] + r[i]);
}

TEST_CASE("BatchNorm folds to a per-channel affine", "[vector]") {
  const uint32_t H = 6, L = 9;
  const std::vector<float> mean = random_values(3, H, 1.0), gamma = random_values(4, H, 1.0),
                           beta = random_values(5, H, 1.0), x = random_values(6, H * L, 3.0);
  std::vector<float> var = random_values(7, H, 1.0);
  for (float& v : var) v = v * v + 0.1f;
  var[2] = 0.0f;  // eps alone keeps it finite
  const float eps = 1e-5f;
  BatchNormFolded bn;
  REQUIRE(fold_batchnorm(mean, var, gamma, beta, eps, H, bn).ok());
  std::vector<float> y(H * L);
  REQUIRE(batchnorm_apply(x.data(), y.data(), H, L, bn).ok());
  for (uint32_t h = 0; h < H; ++h) {
    const double inv = 1.0 / std::sqrt(double(var[h]) + double(eps));
    check_close(bn.scale[h], gamma[h] * inv, 6e-8);
    for (uint32_t t = 0; t < L; ++t) {
      const double want = (x[h * L + t] - double(mean[h])) * inv * gamma[h] + beta[h];
      check_close(y[h * L + t], want, 1e-6, 1e-6 * (1.0 + std::fabs(gamma[h] * inv) * 3.0));
      CHECK(y[h * L + t] == x[h * L + t] * bn.scale[h] + bn.shift[h]);  // documented order
    }
  }
  std::vector<float> short_beta(H - 1, 0.0f);
  VecStatus s = fold_batchnorm(mean, var, gamma, short_beta, eps, H, bn);
  REQUIRE_FALSE(s.ok());
  CHECK(contains(s.error, "bias"));
  CHECK(contains(s.error, "expected 6"));
  s = fold_batchnorm(mean, var, gamma, beta, 0.0f, H, bn);  // var[2] + 0 == 0
  REQUIRE_FALSE(s.ok());
  CHECK(contains(s.error, "running_var[2]"));
  BatchNormFolded wrong;
  CHECK_FALSE(batchnorm_apply(x.data(), y.data(), H, L, wrong).ok());
}

TEST_CASE("LayerNorm normalises over channels with the biased variance", "[vector]") {
  // Two channels [1, 3]: mean 2, biased variance 1 -> -1/sqrt(1+eps), +1/sqrt(1+eps).
  // The unbiased variance (2) would give +-0.707.
  const float eps = 1e-5f;
  float x[2] = {1.0f, 3.0f}, y[2];
  REQUIRE(layernorm(x, y, 2, 1, {1.0f, 1.0f}, {0.0f, 0.0f}, eps).ok());
  check_close(y[0], -1.0 / std::sqrt(1.0 + eps), 1e-6);
  check_close(y[1], 1.0 / std::sqrt(1.0 + eps), 1e-6);

  const uint32_t H = 16, L = 5;
  const std::vector<float> in = random_values(8, H * L, 2.0), gamma = random_values(9, H, 1.0),
                           beta = random_values(10, H, 1.0);
  std::vector<float> out(H * L);
  REQUIRE(layernorm(in.data(), out.data(), H, L, gamma, beta, eps).ok());
  for (uint32_t t = 0; t < L; ++t) {
    double mean = 0, var = 0;
    for (uint32_t h = 0; h < H; ++h) mean += in[h * L + t];
    mean /= H;
    for (uint32_t h = 0; h < H; ++h) var += (in[h * L + t] - mean) * (in[h * L + t] - mean);
    var /= H;
    for (uint32_t h = 0; h < H; ++h) {
      const double z = (in[h * L + t] - mean) / std::sqrt(var + eps);
      check_close(out[h * L + t], z * gamma[h] + beta[h], 1e-5,
                  1e-5 * (std::fabs(gamma[h]) + 1.0));
    }
  }
  std::vector<float> again = in;
  REQUIRE(layernorm(again.data(), again.data(), H, L, gamma, beta, eps).ok());
  CHECK(again == out);

  CHECK_FALSE(layernorm(in.data(), out.data(), H, L, gamma, beta, 0.0f).ok());
  const VecStatus s = layernorm(in.data(), out.data(), H, L, {1.0f}, beta, eps);
  REQUIRE_FALSE(s.ok());
  CHECK(contains(s.error, "expected 16"));
}

TEST_CASE("Mean pooling runs over the valid length only", "[vector]") {
  const uint32_t H = 3, L = 50;
  const std::vector<float> x = random_values(12, H * L, 1.0);
  std::vector<float> out(H);
  REQUIRE(mean_pool(x.data(), out.data(), H, L, 1).ok());
  for (uint32_t h = 0; h < H; ++h) CHECK(out[h] == x[h * L]);
  for (uint32_t valid : {17u, L}) {
    REQUIRE(mean_pool(x.data(), out.data(), H, L, valid).ok());
    for (uint32_t h = 0; h < H; ++h) {
      double sum = 0;
      for (uint32_t t = 0; t < valid; ++t) sum += x[h * L + t];
      check_close(out[h], sum / valid, 1e-6, 1e-6);
    }
  }
  VecStatus s = mean_pool(x.data(), out.data(), H, L, 0);
  REQUIRE_FALSE(s.ok());
  CHECK(contains(s.error, "valid length 0"));
  s = mean_pool(x.data(), out.data(), H, L, L + 1);
  REQUIRE_FALSE(s.ok());
  CHECK(contains(s.error, "[1, 50]"));
}

TEST_CASE("Embedding lookup writes [H][L] and names bad token ids", "[vector]") {
  const uint32_t V = 4, H = 3, L = 5;
  std::vector<float> table(V * H);
  for (uint32_t i = 0; i < V * H; ++i) table[i] = float(i);  // row v = [3v, 3v+1, 3v+2]
  const int64_t ids[L] = {2, 0, 3, 3, 1};
  std::vector<float> y(H * L, -1.0f);
  REQUIRE(embedding_lookup(ids, L, table.data(), V, H, y.data()).ok());
  for (uint32_t t = 0; t < L; ++t)
    for (uint32_t h = 0; h < H; ++h) CHECK(y[h * L + t] == float(3 * ids[t] + h));

  const int64_t bad[3] = {1, 4, 0};
  VecStatus s = embedding_lookup(bad, 3, table.data(), V, H, y.data());
  REQUIRE_FALSE(s.ok());
  CHECK(contains(s.error, "token id 4 at position 1"));
  CHECK(contains(s.error, "[0, 4)"));
  const int64_t negative[1] = {-3};
  s = embedding_lookup(negative, 1, table.data(), V, H, y.data());
  REQUIRE_FALSE(s.ok());
  CHECK(contains(s.error, "token id -3 at position 0"));
  CHECK_FALSE(embedding_lookup(ids, L, table.data(), 0, H, y.data()).ok());
}

TEST_CASE("Vector unit cycles and operation counts", "[vector]") {
  VecCostParams p;  // 32 lanes
  VecCost c;
  REQUIRE(vec_cost(VecOp::Gelu, 256, 1000, p, c).ok());
  CHECK(c.elements == 256000);
  CHECK(c.cycles == 256000 / 32 * 4);
  CHECK(c.ops.mul == 3 * 256000);
  CHECK(c.ops.add == 256000);
  CHECK(c.ops.special == 256000);

  p.lanes = 32;
  p.residual_factor = 2;
  REQUIRE(vec_cost(VecOp::ResidualAdd, 1, 33, p, c).ok());
  CHECK(c.cycles == 2 * 2);  // ceil(33 / 32) = 2 groups
  CHECK(c.ops.add == 33);

  REQUIRE(vec_cost(VecOp::Glu, 512, 10, p, c).ok());  // 2C = 512 -> 256 x 10 outputs
  CHECK(c.elements == 2560);
  CHECK(c.cycles == 2560 / 32 * p.glu_factor);
  CHECK(c.ops.special == 2 * 2560);

  REQUIRE(vec_cost(VecOp::LayerNorm, 4, 3, p, c).ok());
  CHECK(c.ops.mul == 36);
  CHECK(c.ops.add == 5 * 12 + 3);
  CHECK(c.ops.special == 12);
  CHECK(c.cycles == 1 * 3);

  REQUIRE(vec_cost(VecOp::MeanPool, 256, 100, p, c).ok());
  CHECK(c.ops.add == 25600);
  CHECK(c.ops.special == 256);
  REQUIRE(vec_cost(VecOp::Embedding, 8, 8, p, c).ok());
  CHECK(c.ops.move == 64);
  CHECK(c.ops.mul + c.ops.add + c.ops.special == 0);
  REQUIRE(vec_cost(VecOp::BatchNorm, 2, 0, p, c).ok());
  CHECK(c.cycles == 0);

  VecOpCounts sum;
  sum += VecOpCounts{1, 2, 3, 4};
  sum += VecOpCounts{1, 1, 1, 1};
  CHECK(sum.add == 3);
  CHECK(sum.move == 5);

  p.lanes = 0;
  CHECK(contains(vec_cost(VecOp::Gelu, 1, 1, p, c).error, "lanes"));
  p.lanes = 8;
  CHECK_FALSE(vec_cost(VecOp::Glu, 3, 1, p, c).ok());
  p.gelu_factor = 0;
  CHECK(contains(vec_cost(VecOp::Gelu, 1, 1, p, c).error, "factor"));
}
