// The Liquid LIMA-PE variant (docs/liquid-s4.md "The LIMA-PE variant", option
// array.liquid_pe): the paper's linearised liquid recurrence per diagonal mode,
//   x_k = (a + b u_k) x_{k-1} + b u_k,   psum_out = psum_in + Re(c x_k) + d u_k,
// on the LIMA-PE's own operands. The PE already forms b*u (for the input term); the
// variant adds one complex adder (a + b*u, two real adders) in front of the a*x multiplier
// and a 2:1 multiplexer per word of that operand (a or a + b*u), plus a mode bit: no extra
// multiplier, no extra input port, no extra register. Plain C++, float, in this order.
// The Liquid-S4 mapping does not use it: the repository's trained forms (polyb, kb) never
// run this recurrence (spec section 4); they run on the vector unit (RUN_VEC LIQUID).
#pragma once
#include <cstdint>

#include "epochcore/maths/pe/lima_pe_math.h"

namespace epochcore {

// Hardware the variant adds to one LIMA-PE (complex; real-only in brackets).
struct LiquidPeExtra {
  static constexpr uint32_t kAdders = 2;       // a + b*u, re and im (real-only: 1)
  static constexpr uint32_t kRealAdders = 1;
  static constexpr uint32_t kMuxWords = 2;     // multiplier operand a or a + b*u (real-only: 1)
  static constexpr uint32_t kRealMuxWords = 1;
  static constexpr uint32_t kConfigBits = 1;   // liquid mode
  // Per active PE-cycle in liquid mode: the same 9 multiplies as LIMA, 2 more adds.
  static constexpr uint32_t kMultiplies = PeOpCost::kLimaMultiplies;
  static constexpr uint32_t kAdds = PeOpCost::kLimaAdds + kAdders;
};

// One liquid step of a LIMA-PE core (coefficients and state of LimaPeCore):
//   bu = b*u;  e = a + bu;  x = e*x + bu;  psum_out = (psum_in + Re(c*x)) + d*u.
inline float liquid_pe_step(LimaPeCore& p, float u, float psum_in) {
  const float bu_re = p.b_re * u, bu_im = p.b_im * u;
  const float e_re = p.a_re + bu_re, e_im = p.a_im + bu_im;
  const float nr = (e_re * p.x_re - e_im * p.x_im) + bu_re;
  const float ni = (e_re * p.x_im + e_im * p.x_re) + bu_im;
  p.x_re = nr;
  p.x_im = ni;
  return (psum_in + (p.c_re * nr - p.c_im * ni)) + p.d * u;
}

}  // namespace epochcore
