// Independent double-precision S4D reference (design: /work/shared/design/ssm.md).
//
// Conventions are those of the minimal S4D layer of the S4 repository: per channel h,
// M complex modes (one per conjugate pair), B folded into C, ZOH discretisation,
//   A_n  = -exp(log_A_real_n) + i A_imag_n,   dt = exp(log_dt_h),
//   Abar = exp(dt A),   C'_n = C_n (exp(dt A_n) - 1) / A_n,
//   recurrence:  x_k = Abar x_{k-1} + u_k,  y_k = 2 Re(sum_n C'_n x_k[n]) + D u_k  (x_{-1} = 0)
//   convolution: K_l = 2 Re(sum_n C'_n Abar_n^l),  y = causal_conv(K, u) + D u.
// A bidirectional layer (directions = 2) has a second C, C1 (the forward one is C0),
// sharing A and dt, with kernels K0 and K1, and
//   y_t = sum_{s<=t} K0[t-s] u_s + sum_{s>t} K1[s-t-1] u_s + D u_t.
// As a recurrence the backward half runs over the reversed sequence one step behind:
//   z_t = Abar z_{t+1} + u_{t+1} (z_{L-1} = 0),  y_t += 2 Re(sum_n C1'_n z_t[n]),
// so u_{t+1} reaches y_t with weight K1[0] and u_t itself does not (D covers it once).
// This is the S4 repository's bidirectional kernel pad(K0, (0, L)) + pad(flip(K1), (L, 0))
// applied by a length-2L circular convolution.
// Sequences are laid out [B][H][L] (batch, channel, time), time fastest.
// Everything is computed in double with std::complex<double>; the accelerator's float32
// results are compared against it with compare_to_reference().
#pragma once
#include <complex>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "epochcore/description/s4d_params.h"

namespace epochcore {


// Random S4D parameters as the S4 repository initialises them. `init` is one of
//   "s4d_lin":  A_n = -1/2 + i pi n
//   "s4d_inv":  A_n = -1/2 + i (N/pi) (N/(2n+1) - 1),  N = 2M
//   "s4d_real": A_n = -(n+1)
// for n = 0..M-1 (the same A in every channel); log_A_real = log(-Re A).
// Random draws, all from one Rng(seed), in this order:
//   log_dt[h] = log(dt_min) + uniform() * (log(dt_max) - log(dt_min)) for h = 0..H-1;
//   C[h][n] = (normal(), normal()) * sqrt(0.5) (re then im) for h, then n: a complex
//     standard normal, E|C|^2 = 1, as torch.randn with a complex dtype gives in S4;
//   D[h] = normal() for h = 0..H-1;
//   with directions = 2, then the backward C (C[1][h][n], drawn as C[0]).
// The backward C comes last so that a bidirectional layer's forward half and D equal the
// unidirectional layer of the same seed, which is unchanged by the option.
// Throws std::invalid_argument for an unknown init (naming it and listing the valid ones),
// H == 0, M == 0, directions not 1 or 2, dt_min <= 0, dt_min >= dt_max or non-finite dt
// bounds.
S4dParams s4d_init(uint32_t H, uint32_t M, const std::string& init, double dt_min,
                   double dt_max, uint64_t seed, uint32_t directions = 1);

// B*H*L standard normals (Rng(seed).normal(), rounded to float), layout [B][H][L].
std::vector<float> seeded_input(uint32_t B, uint32_t H, uint32_t L, uint64_t seed);

// The ZOH-discretised modes: Abar index h*M + n, Cprime index (dir*H + h)*M + n.
struct S4dDiscrete {
  std::vector<std::complex<double>> Abar;    // [H*M] exp(dt A), shared by both directions
  std::vector<std::complex<double>> Cprime;  // [directions*H*M] C (exp(dt A) - 1) / A  (dt C when A == 0)
};
S4dDiscrete s4d_discretise_zoh(const S4dParams& p);

// Output y [B][H][L] of the layer run as a recurrence over input u [B][H][L]
// (state starts at zero for every batch element and channel; the backward half of a
// bidirectional layer starts at zero at the end of the sequence). O(directions*B*H*M*L).
std::vector<double> s4d_recurrence(const S4dParams& p, const double* u, uint32_t B,
                                   uint32_t L);

// Convolution kernels K [directions][H][L], K[(dir*H + h)*L + l] = 2 Re(sum_n C'_n Abar_n^l)
// with the C' of that direction (dir 0: K0, dir 1: K1), the power computed directly as
// exp(l*dt*A_n) (not by repeated multiplication), so it is an independent computation
// from the recurrence.
std::vector<double> s4d_kernel(const S4dParams& p, uint32_t L);

// Output y [B][H][L] as y = causal_conv(K0, u) + D u (+ the anti-causal sum of K1 when
// bidirectional, see the top of this file), evaluated directly in O(L^2) per channel:
// meant for tests and small L, not for LRA-sized layers.
std::vector<double> s4d_convolution(const S4dParams& p, const double* u, uint32_t B,
                                    uint32_t L);

// Error of an output against the reference, over n elements:
//   max_abs = max_i |y_i - ref_i| (worst_index = its first i; a NaN or infinite y_i or
//             ref_i counts as an infinite error), ref_max_abs = max_i |ref_i|,
//   max_rel = max_abs / ref_max_abs (relative to the output's largest magnitude), 0 when
//             both are 0 and infinity when ref is all zero and y is not.
struct ErrorStats {
  double max_abs = 0, max_rel = 0, ref_max_abs = 0;
  size_t worst_index = 0;
};
ErrorStats compare_to_reference(const float* y, const double* ref, size_t n);
ErrorStats compare_to_reference(const double* y, const double* ref, size_t n);

}  // namespace epochcore
