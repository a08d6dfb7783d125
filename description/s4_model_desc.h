// What an S4 model is (the model YAML and weights of docs/models.md): its description,
// its weights, their checks and the six LRA descriptions. Plain data, shared by the model
// compiler (which maps it onto the accelerator), the reference (which computes it in double
// precision) and the platform's loaders; it depends on nothing else of the project.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "epochcore/description/s4d_params.h"

namespace epochcore {

enum class InputKind { Tokens, Values };
enum class NormKind { Batch, Layer,
                      RMS };  // RMS: Mamba blocks only (weight, no bias; docs/models.md)
// What each block's sequence mixer is (the model YAML's `block`). One enumerator a line.
enum class BlockKind {
  S4D,       // `block: s4d` (default): the S4D layer + GLU of docs/models.md
  LiquidS4,  // `block: liquid_s4`: S4D plus the liquid terms (docs/models.md "Liquid-S4 blocks")
  Mamba,     // `block: mamba`: a Mamba (S6) mixer (docs/models.md "Mamba blocks")
};
// Liquid-S4 (raminmh/liquid-s4, /work/notes/liquid_s4_spec.md): `liquid_kernel`, `lcontract`.
enum class LiquidKernel { PolyB, KB, KBRepo };  // polyb | kb (causal form) | kb_repo (reference only)
enum class LiquidContract { None, Tanh, Lecun };

// A model description (the model YAML of docs/models.md).
struct S4ModelDesc {
  std::string task;            // free name, e.g. "listops"
  std::string description;     // free text
  InputKind input = InputKind::Values;
  uint32_t d_input = 1;        // vocabulary size (tokens) or features per step (values)
  uint32_t H = 0;              // model width (channels)
  uint32_t M = 0;              // complex modes per channel (N/2)
  uint32_t L = 0;              // sequence length (inputs are padded to it)
  uint32_t n_layers = 0;
  bool prenorm = false;
  NormKind norm = NormKind::Batch;
  bool bidirectional = false;
  std::string pooling = "mean";  // only mean
  uint32_t classes = 0;
  bool retrieval = false;      // two documents per input, [a, b, a-b, a*b] head
  double dropout = 0.0;        // accepted, ignored at inference
  double norm_eps = 1e-5;      // torch default for both norms
  // Seeded initialisation only (s4_model_init):
  std::string init = "s4d_lin";
  double dt_min = 1e-3, dt_max = 1e-1;
  // Each block's sequence mixer (the YAML's `block`):
  BlockKind block = BlockKind::S4D;
  // Mamba blocks only (block == Mamba; M unused, norm RMS, prenorm, unidirectional):
  uint32_t d_state = 16;       // N, state size per inner channel
  uint32_t d_conv = 4;         // K, causal depthwise conv taps
  uint32_t expand = 2;         // Din = expand * H
  uint32_t dt_rank = 0;        // R; 0 = "auto", ceil(H / 16) (mamba_dt_rank)
  // Liquid-S4 only (block LiquidS4), docs/models.md "Liquid-S4 blocks":
  LiquidKernel liquid_kernel = LiquidKernel::PolyB;  // the repository README's recommendation
  uint32_t liquid_degree = 2;                        // P in [2, kMaxLiquidDegree]
  bool allcombs = false;  // the streaming "neighbouring terms" form; the repository's default is true
  LiquidContract lcontract = LiquidContract::None;
};

constexpr uint32_t kMaxLiquidDegree = 8;

// Limits that keep every size product far from overflow (checked by check_s4_model_desc).
constexpr uint32_t kMaxModelWidth = 65536;      // H, M
constexpr uint32_t kMaxModelLength = 1u << 24;  // L, d_input
constexpr uint32_t kMaxModelLayers = 1024;
constexpr uint32_t kMaxModelClasses = 1u << 20;
// Bound on the weights' total values (8 GiB as double), so that no description within
// the limits above asks for terabytes (H = 65536 alone would need 2^33 per layer).
constexpr uint64_t kMaxModelWeights = uint64_t(1) << 30;
constexpr uint32_t kMaxMambaConv = 1024;   // d_conv
constexpr uint32_t kMaxMambaExpand = 64;   // expand

// The number of values the weights of `d` hold (every tensor of docs/models.md), computed
// without overflow (UINT64_MAX if it would); `d`'s size fields are not checked.
uint64_t s4_model_weight_count(const S4ModelDesc& d);

// Throws std::invalid_argument naming the field: a size of 0 or above its limit, weights
// of more than kMaxModelWeights values (naming H, M, n_layers, d_input and classes),
// pooling other than "mean", dropout outside [0, 1), norm_eps not positive and finite,
// unknown init, dt bounds not 0 < dt_min < dt_max; for Liquid-S4 blocks: liquid_degree
// outside [2, 8], kb with allcombs (kb is the causal form), allcombs with an L too small
// for the repository's index construction at some order (liquid_allcombs_window).
// Block mamba: M is not used (nor checked); d_state, d_conv, expand, dt_rank (0 or at
// most Din) in range, norm RMS, prenorm, not bidirectional (check_mamba_model_desc).
void check_s4_model_desc(const S4ModelDesc& d);
void check_mamba_model_desc(const S4ModelDesc& d);
// Values of one Mamba layer (mixer and its norm), saturating like s4_model_weight_count.
uint64_t mamba_layer_weight_count(const S4ModelDesc& d);

struct LinearWeights {           // torch.nn.Linear: y = W x + b
  uint32_t in = 0, out = 0;
  std::vector<double> weight;    // [out][in]
  std::vector<double> bias;      // [out]
};

struct NormWeights {
  std::vector<double> weight, bias;             // [H]
  std::vector<double> running_mean, running_var;  // [H], BatchNorm only (empty for LayerNorm)
};

// The liquid coefficients of one Liquid-S4 block, stored explicitly (the repository's are
// frozen init copies outside its state_dict). Exactly the one the kernel uses is non-empty.
struct LiquidWeights {
  std::vector<double> gamma;  // polyb: [directions][P-1][H], gamma of order p at [dir][p-2][h]
  std::vector<double> S;      // kb, kb_repo: [directions][H]
};

struct S4BlockWeights {
  S4dParams ssm;                 // directions 2 when bidirectional
  LiquidWeights liquid;          // Liquid-S4 blocks only (empty for S4D)
  LinearWeights output_linear;   // H -> 2H, rows [0, H) are GLU's a, [H, 2H) its gate b
  NormWeights norm;
};

// A Mamba mixer and its pre-norm (state_dict names of state-spaces/mamba's Mamba module,
// docs/models.md). Din = expand*H, R = dt_rank, N = d_state, K = d_conv.
struct MambaBlockWeights {
  std::vector<double> in_proj;      // [2Din][H]: rows [0, Din) give x, [Din, 2Din) the gate z
  std::vector<double> conv_weight;  // [Din][K] (conv1d.weight [Din, 1, K])
  std::vector<double> conv_bias;    // [Din]
  std::vector<double> x_proj;       // [R+2N][Din]: rows dt_low (R), B (N), C (N)
  std::vector<double> dt_proj;      // [Din][R]
  std::vector<double> dt_bias;      // [Din]
  std::vector<double> A_log;        // [Din][N], A = -exp(A_log)
  std::vector<double> D;            // [Din]
  std::vector<double> out_proj;     // [H][Din]
  std::vector<double> norm;         // [H], RMSNorm weight
};
inline uint32_t mamba_inner_width(const S4ModelDesc& d) { return d.expand * d.H; }
inline uint32_t mamba_dt_rank(const S4ModelDesc& d) { return d.dt_rank ? d.dt_rank : (d.H + 15) / 16; }
// One Mamba layer's weights; messages start with "S4ModelWeights.<name>.".
void check_mamba_block_weights(const S4ModelDesc& d, const MambaBlockWeights& b,
                               const std::string& name);

struct S4ModelWeights {
  std::vector<double> embedding;   // tokens: [d_input][H]
  LinearWeights encoder;           // values: d_input -> H
  std::vector<S4BlockWeights> layers;        // block S4D
  std::vector<MambaBlockWeights> mamba_layers;  // block Mamba (then `layers` is empty)
  NormWeights final_norm;          // prenorm only (RMS: weight only, the Mamba norm_f)
  LinearWeights decoder;           // not retrieval: H -> classes
  LinearWeights retrieval_hidden;  // retrieval: 4H -> H
  LinearWeights retrieval_out;     // retrieval: H -> classes
};

// Throws std::invalid_argument naming the part (e.g. "layers[2].output_linear.weight")
// and its expected size when the weights do not fit the description, a value is not
// finite, running_var + eps is not positive, or an SSM fails check_s4d_params. Parts the
// description does not use must be empty.
void check_s4_model_weights(const S4ModelDesc& d, const S4ModelWeights& w);
// One block's weights, as check_s4_model_weights checks each layer; messages start with
// "S4ModelWeights.<name>".
void check_s4_block_weights(const S4ModelDesc& d, const S4BlockWeights& b,
                            const std::string& name);

// Liquid-S4 with allcombs: the repository's window n* for order p at length L, the
// smallest n in [2, L) with binom(n, p) >= L (s4.py get_combs_cache); 0 when there is none
// (the repository then crashes; check_s4_model_desc refuses the description).
uint32_t liquid_allcombs_window(uint32_t L, uint32_t p);

// Number of sequences (documents) per input: 2 for retrieval, else 1.
inline uint32_t documents_per_input(const S4ModelDesc& d) { return d.retrieval ? 2 : 1; }

// The six LRA models of ssm.md at their full shapes (6 bidirectional layers, BatchNorm,
// mean pooling): "listops", "text", "retrieval", "image", "pathfinder", "pathx".
// Throws std::invalid_argument for another name, listing the valid ones.
S4ModelDesc lra_model_description(const std::string& task);
std::vector<std::string> lra_task_names();

}  // namespace epochcore
