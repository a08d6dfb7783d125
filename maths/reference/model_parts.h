// Pieces the whole-model references share (s4_model_reference.cpp, mamba_reference.cpp):
// the seeded PyTorch-default initialisers, the valid-lengths check and the mean pooling.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "epochcore/description/s4_model_desc.h"
#include "epochcore/maths/reference/rng.h"

namespace epochcore::model_parts {

[[noreturn]] inline void fail(const std::string& message) { throw std::invalid_argument(message); }

// n values uniform in [-bound, bound) (PyTorch's default Linear/Conv1d initialisation).
inline void init_uniform(Rng& rng, std::vector<double>& v, size_t n, double bound) {
  v.resize(n);
  for (double& x : v) x = (2.0 * rng.uniform() - 1.0) * bound;
}

inline LinearWeights init_linear(Rng& rng, uint32_t in, uint32_t out) {
  LinearWeights lin;
  lin.in = in;
  lin.out = out;
  const double bound = 1.0 / std::sqrt(double(in));
  init_uniform(rng, lin.weight, size_t(in) * out, bound);
  init_uniform(rng, lin.bias, out, bound);
  return lin;
}

// Each of the S valid lengths (null: all L) in [1, L].
inline void check_lengths(const S4ModelDesc& d, const uint32_t* lengths, size_t S) {
  if (!lengths) return;
  for (size_t s = 0; s < S; ++s)
    if (lengths[s] < 1 || lengths[s] > d.L)
      fail("lengths[" + std::to_string(s) + "] = " + std::to_string(lengths[s]) +
           ": expected a valid length in [1, L = " + std::to_string(d.L) + "]");
}

// Mean over each sequence's valid steps of x [S][H][L]: features [S][H]. With
// `pool_sum_range`, the largest |sum| is recorded there (calibration).
inline std::vector<double> mean_pool(const S4ModelDesc& d, const std::vector<double>& x, size_t S,
                                     const uint32_t* lengths, double* pool_sum_range = nullptr) {
  const size_t H = d.H, L = d.L;
  std::vector<double> f(S * H);
  for (size_t s = 0; s < S; ++s) {
    const size_t valid = lengths ? lengths[s] : L;
    for (size_t h = 0; h < H; ++h) {
      double sum = 0.0;
      for (size_t t = 0; t < valid; ++t) sum += x[(s * H + h) * L + t];
      if (pool_sum_range) *pool_sum_range = std::max(*pool_sum_range, std::fabs(sum));
      f[s * H + h] = sum / double(valid);
    }
  }
  return f;
}

}  // namespace epochcore::model_parts
