// Small helpers the vector-unit datapath tests share (test_vector_mamba, test_vector_liquid).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "epochcore/maths/reference/rng.h"

namespace epochcore::vector_test {

// n seeded normal values times `spread`, as floats.
inline std::vector<float> normals(uint64_t seed, size_t n, double spread) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(spread * rng.normal());
  return v;
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A measured error bound, printed with EC_PRINT_ERRORS=1 (docs quote these).
inline void report(const char* what, double value) {
  if (std::getenv("EC_PRINT_ERRORS")) std::printf("measured %s: %.3g\n", what, value);
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

}  // namespace epochcore::vector_test
