// Deterministic random numbers for seeded parameters and inputs.
//
// The standard <random> distributions are implementation-defined (libstdc++, libc++
// and MSVC give different numbers for the same engine), so test data and reference
// weights use this small generator, whose algorithm is fixed here:
//
// - Seeding: the 64-bit seed goes through splitmix64 (Steele, Lea and Flood 2014):
//     z = (state += 0x9E3779B97F4A7C15);
//     z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
//     z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
//     return z ^ (z >> 31);
//   and its first four outputs are the xoshiro256** state s[0..3] (never all zero).
// - next(): xoshiro256** (Blackman and Vigna 2018):
//     result = rotl(s[1] * 5, 7) * 9;  t = s[1] << 17;
//     s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
// - uniform(): (next() >> 11) * 2^-53, the top 53 bits, so exactly representable in [0, 1).
// - normal(): Box-Muller in polar-free form. With u1 = 1 - uniform() in (0, 1] (so log is
//   finite) and u2 = uniform(), drawn in that order, r = sqrt(-2 log u1) and
//   theta = 2 pi u2; returns r cos(theta) and caches r sin(theta) for the next call.
//
// next() and uniform() are bit-exact on every platform; normal() depends on the C library's
// log, sqrt, cos and sin, which may differ in the last bit between C libraries.
#pragma once
#include <cstdint>

namespace epochcore {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t next();   // xoshiro256**
  double uniform();  // [0, 1), 53 random bits
  double normal();   // standard normal, Box-Muller, second value cached

 private:
  uint64_t s_[4];
  bool has_cached_normal_ = false;
  double cached_normal_ = 0.0;
};

// One splitmix64 step: advances `state` and returns the next output (see above).
uint64_t splitmix64_next(uint64_t& state);

}  // namespace epochcore
