// Double-precision reference of Mamba (selective S6) models, written from the equations
// of state-spaces/mamba (mamba_ssm/ops/selective_scan_interface.py `selective_scan_ref`,
// mamba_ssm/modules/mamba_simple.py `Mamba.forward`, mamba_ssm/modules/block.py `Block`,
// mamba_ssm/ops/triton/layer_norm.py `RMSNorm`) WITHOUT the float32 casts of those files;
// docs/models.md ("Mamba blocks") gives the model and its tensors. Plain C++.
//
// Model, for each sequence (activations [H][L], time fastest):
//   x = encoder(input)                        (as s4_model_encode)
//   n_layers times:  x = x + Mixer(RMSNorm(x))
//   x = RMSNorm_f(x);  f = mean of x[:, t] over t < valid length;  logits = head(f)
// RMSNorm(x)_h = x_h / sqrt(mean_h' x_h'^2 + eps) * w_h, per step over the H channels.
// The mixer is causal (conv and scan), so steps past the valid length never reach valid
// steps; padding is neither masked nor pooled and the logits do not depend on it.
#pragma once
#include <cstdint>
#include <vector>

#include "epochcore/description/s4_model_desc.h"

namespace epochcore {

// torch.nn.functional.softplus (beta 1, threshold 20): x for x > 20, else log1p(exp(x)).
double softplus_torch(double x);
// x * sigmoid(x) = x / (1 + exp(-x)).
double silu(double x);

// selective_scan_ref in float64, one sequence, channel-major (docstring of selective_scan_ref):
//   u, delta, z [Din][L]; A [Din][N]; B, C [N][L] (shared by all channels); D, delta_bias [Din].
//   dt = delta + delta_bias (if given); dt = softplus_torch(dt) (if delta_softplus)
//   h[d][n] = exp(dt[d][t] A[d][n]) h[d][n] + dt[d][t] B[n][t] u[d][t]   (h starts at 0)
//   y[d][t] = sum_n C[n][t] h[d][n] (+ D[d] u[d][t]) (* silu(z[d][t]))
// D, z, delta_bias may be null. last_state, when given, receives h [Din][N] after step L-1.
std::vector<double> selective_scan(uint32_t Din, uint32_t N, uint32_t L, const double* u,
                                   const double* delta, const double* A, const double* B,
                                   const double* C, const double* D, const double* z,
                                   const double* delta_bias, bool delta_softplus,
                                   std::vector<double>* last_state = nullptr);

// The Mamba mixer (Mamba.forward's non-fused path) on one sequence: x [H][L] -> [H][L].
std::vector<double> mamba_mixer(const S4ModelDesc& d, const MambaBlockWeights& b, const double* x);
// RMSNorm over the H channels at every step of x [S][H][L], in place.
void rms_norm(const S4ModelDesc& d, const std::vector<double>& weight, std::vector<double>& x, uint32_t S);
// One residual block on x [S][H][L] in place: x = x + mamba_mixer(RMSNorm(x)).
void mamba_model_block(const S4ModelDesc& d, const MambaBlockWeights& b, std::vector<double>& x,
                       uint32_t S);
// Pooled features [S][H] (encoder, blocks, norm_f, mean over the valid length); inputs and
// lengths as s4_model_features. s4_model_features and s4_model_forward call these for
// block mamba, so s4_model_forward is the whole model's logits for either block.
std::vector<double> mamba_model_features(const S4ModelDesc& d, const S4ModelWeights& w,
                                         const double* inputs, uint32_t S, const uint32_t* lengths);

// Seeded weights for a valid block-mamba description, the init of state-spaces/mamba
// (Mamba.__init__, mixer_seq_simple.py _init_weights) but with the norms perturbed as
// s4_model_init's. One Rng(seed) draws in this order:
//   encoder as s4_model_init (embedding normal(), or Linear +-1/sqrt(d_input));
//   per layer: in_proj [2Din][H] +-1/sqrt(H); conv1d weight [Din][K] then bias [Din],
//     +-1/sqrt(K); x_proj [R+2N][Din] +-1/sqrt(Din); dt_proj [Din][R] +-1/sqrt(R);
//     per channel dt = exp(uniform() (ln dt_max - ln dt_min) + ln dt_min), at least 1e-4,
//     dt_bias = dt + log(-expm1(-dt)) (inverse softplus); A_log[d][n] = ln(n + 1) (S4D-real);
//     D = 1; out_proj [H][Din] +-1/sqrt(Din) / sqrt(n_layers); norm weight 1 + 0.1 normal();
//   norm_f weight 1 + 0.1 normal(); head as s4_model_init.
S4ModelWeights mamba_model_init(const S4ModelDesc& d, uint64_t seed);

}  // namespace epochcore
