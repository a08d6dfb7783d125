// Double-precision reference of the Liquid-S4 layer (docs/models.md "Liquid-S4 blocks";
// the repository's maths: /work/notes/liquid_s4_spec.md, raminmh/liquid-s4
// src/models/sequence/ss/s4.py @ d3a72bd9, S4.forward, upgrade_degree, get_combs_cache).
//
// A Liquid-S4 layer is the project's S4D layer (s4d_reference.h: ZOH, D, bidirectional)
// plus liquid terms of orders p = 2..P (P = liquid_degree) built from the layer's input u:
//   c_1 = u;  allcombs false: c_p[t] = c_{p-1}[t] c_{p-1}[t-1]  (c_{p-1}[-1] = 0)
//             allcombs true:  c_p[r] = prod_{i in I_r} u[i], I_r the r-th of the last L
//                             p-subsets (lexicographic) of {L-n*, .., L-1}
//   g = lcontract: none (identity), tanh, lecun (1.7159 tanh(0.666 x)), applied to c_p;
//   the recursion uses the unsquashed c_{p-1}.
//   flipped:  ^c_p[t] = g(c_p)[L-1-t]  (over the padded length L)
// and, per kernel (coefficients read from LiquidWeights, never recomputed here):
//   polyb:   y[t] += sum_p gamma[0][p][h] ^c_p[t]  (+ gamma[1][p][h] g(c_p)[t] if bidirectional)
//   kb:      the causal form (NOT the repository's): y = K0 * u~0 + K1 (anti-causal) * u~1 + D u,
//            u~d = u + sum_p S[d][h]^(p-1) g(c_p)   (unflipped c_p; allcombs false only)
//   kb_repo: the repository's kb: y[n] += y_kb[n] = (1/2L)[Re Z_0 + (-1)^n Re Z_L
//            + 2 sum_{m=1}^{L-1} Re(Z_m e^{+2 pi i m n / 2L})],
//            Z_m = (sum_t ^c_p[t] e^{-2 pi i m t / 2L}) (sum_{s<=L} kb_p[s] e^{-2 pi i m s/(L+1)}),
//            kb_p = the merged kernel pad(K0 S0^(p-1), (0, L)) [+ pad(flip(K1 S1^(p-1)), (L, 0))],
//            by the literal O(L^2) DFT (torch's rfft(n=2L) x fft(n=L+1) -> irfft(n=2L)[:L]).
// Layouts as s4d_reference.h: sequences [B][H][L], kernels [directions][H][L].
#pragma once
#include <cstdint>
#include <vector>

#include "epochcore/description/s4_model_desc.h"
#include "epochcore/description/s4d_params.h"

namespace epochcore {

struct LiquidSpec {
  LiquidKernel kernel = LiquidKernel::PolyB;
  uint32_t degree = 2;  // P
  bool allcombs = false;
  LiquidContract lcontract = LiquidContract::None;
};
LiquidSpec liquid_spec(const S4ModelDesc& d);

// g(x) of lcontract.
double liquid_contract(LiquidContract g, double x);

// The repository's allcombs index sets for order p at length L: L subsets of p indices
// (the last L p-subsets of {L-n*, .., L-1}, n* = liquid_allcombs_window(L, p)), in order.
// Throws std::invalid_argument naming L and p when n* does not exist.
std::vector<std::vector<uint32_t>> liquid_allcombs_indices(uint32_t L, uint32_t p);

// g(c_p) for p = 2..P of one sequence u[L], unflipped: [P-1][L].
std::vector<double> liquid_correlations(const LiquidSpec& s, const double* u, uint32_t L);

// The liquid part only, y_liquid [B][H][L], from explicit kernels K [directions][H][L] (the
// SSM's convolution kernel, taps 0..L-1; for kb and kb_repo) and coefficients `w`
// (sizes as check_s4_model_weights wants them: gamma [directions][P-1][H], S [directions][H]).
// For kb, y_liquid = K0 * (u~0 - u) + K1 (anti-causal) * (u~1 - u): add it to the S4D output.
// Direct O(L^2) convolutions / DFTs per channel: meant for tests and modest L.
std::vector<double> liquid_terms(const LiquidSpec& s, uint32_t H, uint32_t directions,
                                 const std::vector<double>& K, const LiquidWeights& w,
                                 const double* u, uint32_t B, uint32_t L);

// The whole layer: s4d_recurrence(p, u) + liquid_terms(s, ..., s4d_kernel(p, L), w, u).
std::vector<double> liquid_s4_layer(const LiquidSpec& s, const S4dParams& p,
                                    const LiquidWeights& w, const double* u, uint32_t B,
                                    uint32_t L);

// The coefficients as the repository computes them (s4.py polyb / kb loops) from the
// layer's parameters, taken as the frozen init values (Cfz = the layer's C, B = 1 because
// the minimal S4D folds B into C), with its bilinear discretisation:
//   dB_n = dt / (1 - dt A_n / 2),  S = sum over the 2M conjugate entries of dB = 2 Re sum_n dB_n;
//   polyb: the loop dB <- dB * sum(dB) (run p-1 times for order p, i.e. dB S^(2^(p-1)-1)),
//          gamma[dir][p-2][h] = Re(sum_{2M} C_dir dB) (`.float()` drops Im);
//   kb, kb_repo: S[dir][h] = S (the same for both directions).
// Only the field the kernel uses is filled. Throws what check_s4d_params throws.
LiquidWeights liquid_coefficients_repo(const LiquidSpec& s, const S4dParams& p);

}  // namespace epochcore
