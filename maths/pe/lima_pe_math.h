// LIMA-PE arithmetic, free of the simulation kernel: the LimaPe module, the array's
// clocked step and the unit tests all call these. The order of the float operations is
// part of the hardware definition (results must be bit-reproducible across models).
#pragma once
#include <cmath>
#include <cstdint>

#include "epochcore/contract/commands.h"

namespace epochcore {

// Operation counts per active PE-cycle, for the report and the energy model.
struct PeOpCost {
  static constexpr uint32_t kLimaMultiplies = 9;  // a*x: 4, b*u: 2, Re(c*x): 2, d*u: 1
  static constexpr uint32_t kLimaAdds = 7;        // a*x: 2, +b*u: 2, Re(c*x): 1, psum: 1, d*u: 1
  // Selective (Mamba S6) op, SELECTIVE accelerators only (LimaPeCore::scan).
  static constexpr uint32_t kScanMultiplies = 6;  // dt*a, abar*x, dt*b, (dt*b)*u, c*x, d*u
  static constexpr uint32_t kScanAdds = 3;        // abar*x + .., psum + c*x, + d*u
  static constexpr uint32_t kScanExps = 1;        // abar = exp(dt*a)
  static constexpr uint32_t kMacMultiplies = 1;
  static constexpr uint32_t kMacAdds = 1;
};

// The PE's exp unit (SELECTIVE accelerators): float32 exp as std::exp(float) computes it
// (glibc expf, correctly rounded in practice). A hardware approximation (e.g. MARCA's
// biased-shift exp) is a variant that is not modelled.
inline float pe_exp(float x) { return std::exp(x); }

struct LimaPeCore {
  // MAC mode (weight-stationary).
  float w = 0.0f;
  // LIMA mode: coefficients and the complex state that never leaves the PE.
  float a_re = 0.0f, a_im = 0.0f, b_re = 0.0f, b_im = 0.0f;
  float c_re = 0.0f, c_im = 0.0f, d = 0.0f;
  float x_re = 0.0f, x_im = 0.0f;

  void load(const cmd::CoeffRecord& r) {
    a_re = r.a_re; a_im = r.a_im; b_re = r.b_re; b_im = r.b_im;
    c_re = r.c_re; c_im = r.c_im; d = r.d;
    x_re = 0.0f; x_im = 0.0f;
  }
  void clear() { load(cmd::CoeffRecord{0, 0, 0, 0, 0, 0, 0, 0}); w = 0.0f; }
  void reset_state() { x_re = 0.0f; x_im = 0.0f; }

  // MAC: psum_out = psum_in + w * in.
  float mac(float in, float psum_in) const { return psum_in + w * in; }

  // LIMA: x = a*x + b*u;  psum_out = psum_in + Re(c*x) + d*u.
  float lima(float u, float psum_in) {
    const float nr = (a_re * x_re - a_im * x_im) + b_re * u;
    const float ni = (a_re * x_im + a_im * x_re) + b_im * u;
    x_re = nr;
    x_im = ni;
    return (psum_in + (c_re * nr - c_im * ni)) + d * u;
  }

  // Selective (Mamba S6) op: A is real and stationary in a_re, the state is x_re, D sits
  // in d (the segment's first PE only); Delta arrives with u from the west, B and C from
  // the north coefficient feed:
  //   abar = exp(dt*a);  x = abar*x + (dt*b)*u;  psum_out = (psum_in + c*x) + d*u.
  float scan(float u, float dt, float b, float c, float psum_in) {
    const float abar = pe_exp(dt * a_re);
    const float nx = abar * x_re + (dt * b) * u;
    x_re = nx;
    return (psum_in + c * nx) + d * u;
  }
};

}  // namespace epochcore
