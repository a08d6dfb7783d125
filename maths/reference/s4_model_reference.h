// Double-precision reference of whole S4D sequence models (the LRA models of the S4
// papers; design: /work/shared/design/ssm.md, file formats and tensor names:
// docs/models.md). The accelerator's logits are compared against s4_model_forward().
//
// Model, for each sequence (activations [H][L], time fastest):
//   x = encoder(input)        tokens: x[:, t] = embedding[id_t]; values: x[:, t] = W u_t + b
//   n_layers times (block i):
//     z = prenorm ? norm_i(x) : x
//     z[:, t] = 0 for t >= valid length   (the S4 repository's S4Block masks with `lengths`)
//     s = S4D(z) (with D; bidirectional when asked), g = GELU(s) (exact erf form)
//     [a; b] = W_out g + b_out (H -> 2H),  y = a * sigmoid(b)   (GLU)
//     x = x + y;  if !prenorm: x = norm_i(x)
//   if prenorm: x = final_norm(x)
//   f = mean of x[:, t] over t < valid length
//   logits = decoder(f)  (H -> classes), or for retrieval, with f_a, f_b of the two
//   documents: logits = W2 GELU(W1 [f_a, f_b, f_a - f_b, f_a * f_b] + b1) + b2.
// Norms act per position over the H channels: BatchNorm at inference
//   (x - running_mean) / sqrt(running_var + eps) * weight + bias,
// LayerNorm (x - mean_h x) / sqrt(var_h x + eps) * weight + bias (biased variance),
// as torch.nn.BatchNorm1d (eval) and torch.nn.LayerNorm compute them.
// Dropout is ignored (inference).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "epochcore/description/s4_model_desc.h"

namespace epochcore {

// Seeded weights for a valid description. One Rng(seed) draws, in this order:
//   per layer i = 0..n_layers-1: a 64-bit seed (next()) for
//     s4d_init(H, M, d.init, d.dt_min, d.dt_max, that seed, bidirectional ? 2 : 1);
//   then, from the same Rng in this order:
//   encoder: tokens: embedding [d_input][H] normal(); values: weight [H][d_input] then
//     bias [H], each uniform in [-1/sqrt(d_input), 1/sqrt(d_input)) (torch.nn.Linear's);
//   per layer: output_linear weight [2H][H] then bias [2H], uniform +-1/sqrt(H); norm
//     weight 1 + 0.1 normal(), bias 0.1 normal() (and for BatchNorm running_mean
//     0.1 normal(), running_var 1 + 0.5 uniform()), each as a loop over h;
//   final norm (prenorm) as a layer's norm;
//   decoder weight then bias, uniform +-1/sqrt(H); or retrieval hidden (+-1/sqrt(4H)) then
//   out (+-1/sqrt(H)), weight then bias each.
// The norms are perturbed from torch's identity initialisation so that their datapath
// matters in comparisons. Liquid-S4 blocks draw nothing more: their coefficients are
// liquid_coefficients_repo(liquid_spec(d), the layer's SSM) (liquid_s4_reference.h), as
// scenarios/models/export_s4_model.py computes them. Throws what check_s4_model_desc throws.
// Block mamba: mamba_model_init (maths/reference/mamba_reference.h).
S4ModelWeights s4_model_init(const S4ModelDesc& d, uint64_t seed);

// Logits [B][classes] for B inputs; block mamba runs mamba_model_features (mamba_reference.h).
//   inputs: tokens [B][docs][L] ids (integers in [0, d_input), given as double);
//           values [B][docs][L][d_input]   (docs = documents_per_input(d));
//   lengths: null (every sequence has length L) or [B][docs], each in [1, L].
// Throws std::invalid_argument for a bad description or weights (as the check
// functions), B == 0, null inputs, a token id that is not an integer in range, a value
// that is not finite, or a length out of range (each naming the input and its index).
std::vector<double> s4_model_forward(const S4ModelDesc& d, const S4ModelWeights& w,
                                     const double* inputs, uint32_t B,
                                     const uint32_t* lengths = nullptr);

// The stages of s4_model_forward, for stage-by-stage comparisons. S sequences
// (documents, inputs laid out as above with docs = 1), activations [S][H][L]. Each
// checks its arguments as s4_model_forward does.
std::vector<double> s4_model_encode(const S4ModelDesc& d, const S4ModelWeights& w,
                                    const double* inputs, uint32_t S);
// One block in place; lengths null or [S].
void s4_model_block(const S4ModelDesc& d, const S4BlockWeights& block, std::vector<double>& x,
                    uint32_t S, const uint32_t* lengths);
// Pooled features [S][H] of S sequences: encoder, blocks, final norm, mean pooling.
std::vector<double> s4_model_features(const S4ModelDesc& d, const S4ModelWeights& w,
                                       const double* inputs, uint32_t S,
                                       const uint32_t* lengths);
// Logits [B][classes] from features [B*docs][H].
std::vector<double> s4_model_head(const S4ModelDesc& d, const S4ModelWeights& w,
                                  const double* features, uint32_t B);

// GELU, exact form x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (torch.nn.GELU's default).
double gelu_exact(double x);

}  // namespace epochcore
