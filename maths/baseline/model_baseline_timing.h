// The cost of a whole S4 model (models/reference/s4_model_reference.h) on the TPU-like
// baseline: the R x C weight-stationary MAC array (ws_timing.h), its V-lane SSM vector
// unit (ssm_baseline_timing.h) and the same post-processing vector unit as EpochCore
// (models/vector/vector_unit_math.h: vec_cost with the caller's VecCostParams, so both
// designs pay the same for GELU, bias, GLU, residual, norms, pooling and embedding).
// Every formula and buffer rule: docs/baseline.md, "Whole models".
//
// Stages, in execution order (the names of the firmware model compiler's stages):
//   "encoder"        embedding (tokens) or ws_gemm(S*L, H, d_input) + bias (values);
//                    prenorm: layer 0's norm (the first SSM input)
//   "layers.i.ssm"   baseline_s4d_layer(S sequences), its best method, exactly as reported
//   "layers.i.tail"  GELU, ws_gemm(S*L, 2H, H) (W_out), bias, GLU, residual, then one norm:
//                    postnorm: the block's own; prenorm: the next block's, or the final norm
//                    after the last block (the tail writes the next SSM's input)
//   "head"           mean pooling, then the decoder ws_gemm(B, classes, H) + bias, or the
//                    retrieval head (a-b, a*b, ws_gemm(B, H, 4H), bias, GELU,
//                    ws_gemm(B, classes, H), bias)
// with S = B * documents_per_input sequences of the full length L (no valid lengths).
// Within a stage other than the SSM the array and the vector unit are serialized, as the
// EpochCore compute queue runs them (cycles = array_cycles + vector_cycles); the SSM stage
// keeps baseline_s4d_layer's own overlap of its array and vector work. Stages run one
// after another: the model's cycles are their sum.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "epochcore/maths/baseline/ssm_baseline_timing.h"
#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/maths/vector/vector_unit_math.h"

namespace epochcore::baseline {

struct BaselineModelStage {
  std::string name;             // "encoder", "layers.3.ssm", "layers.3.tail", "head", "layers.3", "model"
  int32_t layer = -1;           // block index, -1 for encoder, head and the whole model
  std::string ssm_method;       // SSM stages and blocks: "convolution" / "recurrence"
  uint64_t cycles = 0;          // latency (see the top of this file)
  uint64_t array_cycles = 0;    // cycles the MAC array runs folds
  uint64_t vector_cycles = 0;   // cycles the vector units are busy (SSM: its V-lane unit)
  uint64_t folds = 0;
  uint64_t mac_ops = 0;         // MACs at mapped PE positions
  uint64_t useful_macs = 0;     // MACs the maths needs (= mac_ops for the dense GEMMs)
  uint64_t weight_loads = 0;    // words written into PE weight registers
  uint64_t vector_elements = 0;           // elements the post-processing ops process (vec_cost)
  vec::VecOpCounts vector_ops;            // their operations by kind (vec_cost)
  uint64_t ssm_vector_complex_ops = 0;    // the SSM layer's own vector work (BaselineSsmCost)
  uint64_t ssm_vector_real_ops = 0;
  SramTraffic sram;
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  double utilization = 0;         // mac_ops / (R * C * cycles)
  double useful_utilization = 0;  // useful_macs / (R * C * cycles)
};

struct BaselineModelCost {
  uint32_t B = 0;                           // inputs
  uint32_t sequences = 0;                   // S = B * documents per input
  std::vector<BaselineModelStage> stages;   // in execution order
  std::vector<BaselineModelStage> blocks;   // per block: its ssm stage + its tail stage
  BaselineModelStage total;                 // "model": the sum of the stages
};

// Sum of the stage counts into `into` (utilisations are recomputed by finish_totals).
void add_stage(BaselineModelStage& into, const BaselineModelStage& part);
// utilization and useful_utilization of a summed stage on an R x C array.
void finish_totals(BaselineModelStage& s, uint32_t R, uint32_t C);

// Throws std::invalid_argument naming the field: a bad description (check_s4_model_desc),
// B == 0, a configuration or VecCostParams value the parts reject (zero rows, lanes,
// factors, ...), or a model too large for the 64-bit counters.
//
// Block mamba (docs/baseline.md, "Mamba blocks"): "encoder" (embedding or input GEMM, no
// norm), one "layers.i.mamba" stage per block (RMSNorm, in_proj, CONV1D, SiLU, x_proj,
// dt_proj, bias, softplus, the 2N B/C COPYs, baseline_selective_scan, GATE, out_proj,
// residual; the last block also the final RMSNorm), then "head".
BaselineModelCost baseline_s4_model(const BaselineConfig& cfg, const vec::VecCostParams& vp,
                                    const S4ModelDesc& d, uint32_t B);

// exp(Delta*A) per state and step on the vector unit: cycles per lane-wide group of
// elements (one multiply Delta*A, one exp pass). An assumption, not a measurement: half of
// SiLU's exp + divide (VecCostParams.silu_factor 4).
constexpr uint32_t kScanExpFactor = 2;

// The selective scan of one Mamba block for S sequences of L steps, Din channels, N
// states each, on the baseline (docs/baseline.md, "Mamba blocks"), as the S4 recurrence:
//  - vector unit (vp): per sequence du = Delta*u (Mul, Din x L); per time block of t steps
//    (T = min(cols, L), the last block L mod T) the Din*N*t state updates
//    h = exp(Delta*A) h + du*B, ceil(Din*N*t / lanes) * (kScanExpFactor + mul_factor +
//    batchnorm_factor) cycles; after the scan D*u (Mul) and y + D*u (ResidualAdd), Din x L;
//  - array: per time block the C projection y_t[d] = sum_n C_t[n] h_t[d][n] as a
//    block-diagonal WS GEMM (block_diagonal_tally: t blocks of N rows, one column each,
//    the Din state rows streamed);
//  - per sequence the updates of block i+1 overlap the projection of block i (the S4
//    recurrence's two-stage pipeline); sequences run one after another.
// Throws std::invalid_argument naming the argument when one is zero, or the VecCostParams
// error.
BaselineModelStage baseline_selective_scan(const BaselineConfig& cfg, const vec::VecCostParams& vp,
                                           uint64_t S, uint64_t Din, uint64_t N, uint64_t L);

}  // namespace epochcore::baseline
