#include "epochcore/firmware/runtime/fw_selftest.h"

#include "epochcore/contract/number_format.h"
#include "epochcore/firmware/kernels/s4d_layer.h"
#include "epochcore/firmware/runtime/fw_math.h"

namespace epochcore::fw {

namespace {

struct Lcg {
  uint64_t s = 0x853c49e6748fea9bull;
  double unit() {  // [0, 1) from the top 53 bits
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return double(s >> 11) * (1.0 / 9007199254740992.0);
  }
  double in(double lo, double hi) { return lo + (hi - lo) * unit(); }
};

struct Fnv {
  uint64_t h = 0xcbf29ce484222325ull;
  void bytes(uint64_t b, int n) {
    for (int i = 0; i < n; ++i) {
      h ^= (b >> (8 * i)) & 0xFF;
      h *= 0x100000001b3ull;
    }
  }
  void add(double v) { bytes(fw_bits(v), 8); }
  void add(float v) { bytes(fw_bits(v), 4); }
};

}  // namespace

uint64_t fw_math_fingerprint(uint32_t n) {
  Lcg g;
  Fnv f;
  for (uint32_t i = 0; i < n; ++i) {
    f.add(fw_exp(g.in(-745.0, 710.0)));
    const double x = g.in(-1e4, 1e4);
    f.add(fw_sin(x));
    f.add(fw_cos(x));
  }
  return f.h;
}

uint64_t fw_zoh_fingerprint(uint32_t n) {
  Lcg g;
  Fnv f;
  const double ln_min = -6.907755278982137, ln_max = -2.3025850929940455;  // ln 1e-3, ln 1e-1
  for (uint32_t i = 0; i < n; ++i) {
    const double dt = fw_exp(g.in(ln_min, ln_max));
    const double log_a = g.in(-3.0, 3.0), a_im = g.in(0.0, 2000.0), c_re = g.in(-2.0, 2.0), c_im = g.in(-2.0, 2.0);
    cmd::CoeffRecord r;
    f.bytes(zoh_mode_record(dt, log_a, a_im, c_re, c_im, false, &r) ? 1 : 0, 1);
    const float v[4] = {r.a_re, r.a_im, r.c_re, r.c_im};
    for (float x : v) {
      f.add(x);
      f.add(numfmt::round_to_bf16(x));
      f.add(numfmt::round_to_fp16(x));
      f.bytes(uint32_t(numfmt::quantise_to_int(x, 0.0078125f, numfmt::Format::INT8)), 4);
    }
  }
  return f.h;
}

}  // namespace epochcore::fw
