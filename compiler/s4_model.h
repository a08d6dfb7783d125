// Model compiler: runs a whole S4 model (docs/models.md) on the accelerator. It lays the
// weights out in system memory in the accelerator's number format, turns the model into
// command streams (encoder, per block the SSM and the block tail, the head), runs them
// through the driver and reads back the logits. Stages and their streams:
// docs/model-compiler.md.
//
// Per block, the SSM runs as the S4D layer kernel (s4d_layer.h: folding, time chunks with
// the state kept in the PEs). The block tail works on time tiles of up to several times
// `cols` steps (rows of about 1 KiB per DMA transfer), all channels at once, with
// double-buffered DMA: GELU (vector unit, written as one stationary [H][n] tile per
// n-block of <= cols steps) -> W_out (RUN_GEMM per n-block and k-fold, the weight rows
// resident in the input scratchpad, streaming) -> bias -> GLU -> residual -> norm, and
// writes the next block's SSM input. When they fit, the SSM input z and output s stay in
// the input and output scratchpads between stages (resident activations, S4ModelPlan::
// resident); else they go through system memory like the residual x.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/s4d_layer.h"
#include "epochcore/firmware/runner/job_block.h"
#include "epochcore/firmware/runner/model_image.h"
#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/description/activation_ranges.h"
#include "epochcore/description/s4_model_desc.h"

namespace epochcore::fw {

// One submitted job (command stream) of the model run, in execution order.
struct S4ModelStage {
  std::string name;      // "encoder", "layers.3.ssm", "layers.3.tail", "head"
  int32_t layer = -1;    // block index, -1 for encoder and head
  JobResult job;         // cycles of this stream
  uint32_t commands = 0;
};

struct S4ModelJob {
  const S4ModelDesc* desc = nullptr;
  const S4ModelWeights* weights = nullptr;
  // Required for the integer formats (static per-tensor scales), ignored otherwise.
  const ActivationRanges* ranges = nullptr;
  uint32_t B = 0;                     // inputs (pairs of documents for retrieval)
  const double* inputs = nullptr;     // as s4_model_forward: tokens [B][docs][L], values [B][docs][L][F]
  const uint32_t* lengths = nullptr;  // null (all L) or [B][docs]
  uint64_t mem_base = 0;              // system memory the compiler may use, 8-aligned
  uint64_t mem_bytes = 0;
  // Called after each stage's job has completed (before the next is submitted), so the
  // platform can snapshot counters per stage. Optional.
  void (*on_stage)(void* ctx, const S4ModelStage& stage) = nullptr;
  void* on_stage_ctx = nullptr;
  // Most time steps per encoder / tail tile (and Liquid-S4 liquid tile: 0 there is 4096); 0: kDefaultMaxTileSteps. The logits do not
  // depend on it (the tests compare cols-wide tiles with wide ones).
  uint32_t max_tile_steps = 0;
  // Resident activations (docs/model-compiler.md) when they fit; false forces the
  // streaming form (every activation through system memory). The logits are the same bytes.
  bool allow_resident = true;
  // Partial residency (scenario key compiler.residency: partial; docs/model-compiler.md):
  // when the activations do not all fit, keep the first rows (items c = q*H + h) of z and
  // s that fit in the scratchpads and stream the rest. false: all or nothing (today's
  // plans). The logits are the same bytes either way.
  bool partial_resident = false;
};

// Default cap on the time tile: 256 float32 steps are 1 KiB rows, a whole DMA burst.
constexpr uint32_t kDefaultMaxTileSteps = 256;

struct S4ModelResult {
  bool ok = false;
  std::string message;        // empty on success; names the stage / tensor / buffer
  std::vector<double> logits; // [B][classes]
  std::vector<S4ModelStage> stages;
  uint64_t cycles = 0;        // sum over the stages
  bool resident = false;      // S4ModelPlan::resident of the run
  std::string streaming_reason;  // S4ModelPlan::streaming_reason of the run
  // S4ModelPlan's partial residency of the run (partial = false: none).
  bool partial = false;
  uint32_t resident_rows = 0, rows = 0;
  uint64_t resident_bytes = 0;
  std::string residency_reason;
};

// Memory the run needs from mem_base: weights, inputs, activations, then the compiled
// image's stream region (the stage table, every stage's command stream and the SSM
// stages' coefficient records, all coexisting). False with a reason when the model
// cannot run on this accelerator.
bool s4_model_memory_bytes(const AccelInfo& hw, const S4ModelJob& job, uint64_t* bytes,
                           std::string* why);

// Compiles and runs the model: s4_model_compile, then run_model_image
// (firmware/runner/model_runner.h) with a hook that calls job.on_stage after each stage,
// then s4_model_collect.
bool s4_model_run(Hal& hal, Driver& driver, const AccelInfo& hw, const S4ModelJob& job,
                  S4ModelResult* result);

// ---------------------------------------------------------------- the compiler's plan
// Exposed for the tests and docs/model-compiler.md; s4_model_run is all a user needs.

// Static output scales of the tensors the vector unit writes (RUN_VEC out_scale): for the
// integer formats range / qmax from job.ranges (1 when the range is 0), 0 for the float
// formats. Field names follow ActivationRanges.
struct S4BlockScales {
  float ssm_in = 0, gelu = 0, linear = 0, glu = 0, residual = 0, out = 0;
};
struct S4ModelScales {
  float encoder_out = 0;
  std::vector<S4BlockScales> layers;
  float final_norm = 0, pool_sum = 0, features = 0;
  float head_in = 0, head_hidden = 0, head_gelu = 0, logits = 0;
};
// False with a reason when an integer format has no ranges or ranges of the wrong size.
bool s4_model_scales(const S4ModelDesc& d, regs::NumberFormat format, const ActivationRanges* ranges,
                     S4ModelScales* out, std::string* why);

// System-memory layout (absolute addresses, each region 32-byte aligned). Sequence
// q = b*docs + doc of the S = B*docs sequences; feature column col(q) = doc*B + b (so
// a retrieval head finds all first documents, then all second documents).
struct S4ModelLayout {
  uint32_t B = 0, docs = 1, S = 0;
  uint32_t norm_words = 0;     // one norm block: scale[H], shift[H] (folded BatchNorm) or gamma[H], beta[H], eps
  uint64_t embedding = 0;      // tokens: [vocab][H], in the number format
  uint64_t enc_weight = 0;     // values: [H][F], in the number format
  uint64_t enc_affine = 0;     // values: 1[H], bias[H]
  struct Block {
    uint64_t w_out = 0;        // [2H][H], in the number format
    uint64_t out_affine = 0;   // 1[2H], bias[2H]
    uint64_t norm = 0;         // norm block
    uint64_t ssm_params = 0;   // encode_s4d_param_block (float64)
    uint64_t liquid = 0;       // Liquid-S4: float32 coefficient tables (s4_liquid_tables)
  };
  std::vector<Block> layers;
  // block mamba (then `layers` is empty): per block, fp32 (the model runs in fp32 only).
  struct MambaBlock {
    uint64_t norm = 0;        // RMSNorm weight[H], eps
    uint64_t w_in = 0;        // in_proj [2Din][H]
    uint64_t conv = 0;        // conv1d weight [Din][K], then bias [Din]
    uint64_t w_x = 0;         // x_proj [R+2N][Din]
    uint64_t w_dt = 0;        // dt_proj [Din][R]
    uint64_t dt_affine = 0;   // AFFINE block 1[Din], dt_bias[Din]
    uint64_t records = 0;     // LOAD_COEFFS records [Din][N]: a_re = -exp(A_log), d = D on PE 0
    uint64_t w_out = 0;       // out_proj [H][Din]
  };
  std::vector<MambaBlock> mamba;
  uint64_t final_norm = 0;     // prenorm: norm block
  uint64_t head_w = 0, head_affine = 0;    // decoder [C][H], 1[C] b[C]; retrieval: W1 [H][4H], 1[H] b1[H]
  uint64_t head_w2 = 0, head_affine2 = 0;  // retrieval: W2 [C][H], 1[C] b2[C]
  uint64_t pool_scale = 0;     // [S][2H]: 1/len[q] (H times), then 0 (H times)
  uint64_t inputs = 0;         // tokens: int32 [S][L]; values: per sequence, per n-block of
                               // enc.N steps, [F][n] (the stationary layout), in the format
  uint64_t x = 0, z = 0, s = 0;  // activations [S][H][L] float32 (resident: only x, z = s = 0)
  uint64_t zt = 0;             // Liquid-S4 kb: the SSM's input u~ [S][H][L] float32 (else 0)
  uint64_t features = 0;       // [H][S] float32, column col(q)
  uint64_t logits = 0;         // [C][B] float32
  uint64_t workspace = 0;      // the compiled image's stream region (stage table, coefficient
                               // records, command streams): s4_model_compile
};

// Scratchpad byte offsets of one stage's stream. T: time steps per tile; N = min(cols, T):
// steps per n-block, the GEMM's n. T is a multiple of N, or the whole length L. Inside a
// tile of w steps, an [R][w] buffer is row-major; a stationary GEMM operand is one [R][n]
// block after another (block j at 4*R*N*j bytes, n = min(N, w - j*N)).
struct S4EncoderSpad {
  uint32_t T = 0, N = 0;
  uint32_t table = 0;          // PARAM, tokens: embedding [vocab][H]
  uint32_t w_enc = 0;          // INPUT, values: [H][F]
  uint32_t affine = 0, norm = 0;  // PARAM: encoder bias; prenorm: layer 0's norm
  uint32_t in_slot[2] = {0, 0};   // tokens: INPUT ids [T]; values: PARAM [F][n] blocks
  uint32_t u = 0;              // OUTPUT [H][T] (values: GEMM result)
  uint32_t xo[2] = {0, 0}, zo[2] = {0, 0};  // OUTPUT [H][T] slots (resident: no z slots)
};
// Resident activations: the SSM input z of every block in the input scratchpad and its
// output s in the output scratchpad, for all S sequences. Row of item c = q*H + h (the S4D
// kernel's item order) at z + 4*c*z_row_words (s likewise); the row strides are the
// kernel's conflict-free strides for L steps (<= 65535 words: RUN_VEC strides). Both
// regions start at offset 0; every stage's other buffers come after them.
struct S4ResidentSpad {
  uint32_t z = 0, z_row_words = 0;  // INPUT
  uint32_t s = 0, s_row_words = 0;  // OUTPUT
};
struct S4TailSpad {
  uint32_t T = 0, N = 0;
  uint32_t w_out = 0, s_slot[2] = {0, 0}, x_slot[2] = {0, 0};         // INPUT (resident: no s slots)
  uint32_t g = 0, affine = 0, norm_post = 0, norm_next = 0, pool_scale[2] = {0, 0};  // PARAM
  uint32_t u = 0, y = 0, r = 0, f = 0, xo[2] = {0, 0}, zo[2] = {0, 0}, pool[2] = {0, 0};  // OUTPUT (resident: no z slots)
};
struct S4HeadSpad {
  uint32_t n_max = 0;          // columns (sequences or inputs) per GEMM tile, <= cols
  uint32_t w = 0, w2 = 0;      // INPUT: decoder or W1; W2
  uint32_t affine = 0, affine2 = 0, tile = 0, hg = 0;  // PARAM: biases; stationary features / [4H] tile; GELU tile
  uint32_t feat = 0, hidden = 0, logits = 0;  // OUTPUT: retrieval features [H][S], hidden [H][B]; logits
};

// Liquid-S4 stages (docs/liquid-s4.md): scratchpad byte offsets of one streaming time tile
// of T steps (resident: the whole rows in place, only `table` is used).
struct S4LiquidSpad {
  bool on = false;          // block liquid_s4
  bool kb = false;          // liquid_kernel kb (else polyb)
  uint32_t Q = 0;           // liquid orders P-1
  uint32_t dirs = 1;        // coefficient tables of the stage after the SSM (polyb: directions)
  uint32_t T = 0;           // streaming: steps per tile
  uint32_t table = 0;       // PARAM: [dirs][H][Q] (kb: table 0 is S^(p-1), table 1 is -D S^(p-1))
  uint32_t win[2] = {0, 0}; // INPUT: [H][T+Q] windows of z (history words first)
  uint32_t out = 0;         // OUTPUT: [H][T] tile of s (or u~)
};

// block mamba: the scratchpads of a layers.i.mamba stream (docs/model-compiler.md,
// "Mamba blocks"). One sequence at a time, all L steps resident; [R][L] buffers row-major
// (stride L) unless named; st_*: stationary GEMM operands, one [K][n] block per n-block
// of N = min(cols, L) steps.
struct S4MambaSpad {
  uint32_t N = 0;                // steps per n-block (GEMM n)
  uint32_t su = 0, sy = 0;       // words between u / Delta rows (input) and scan-output rows (output)
  uint32_t coef_words = 0;       // words between steps' coefficient blocks (B_t[N], C_t[N])
  uint32_t pass_channels = 0;    // channels per RUN_SCAN pass: rows * segments_per_row(d_state)
  uint32_t w_in = 0, w_x = 0, w_dt = 0, w_out = 0, x = 0, u = 0, dl = 0;  // INPUT
  uint32_t norm = 0, conv = 0, dt_affine = 0, records = 0, norm_f = 0, pool_scale = 0, coef = 0;  // PARAM
  uint32_t st_in = 0, st_u = 0, st_dt = 0, st_y = 0;                                              // PARAM
  uint32_t xz = 0, dbl = 0, delta = 0, y = 0, o = 0, xo = 0, f = 0, pool = 0;                     // OUTPUT
};

struct S4ModelPlan {
  regs::NumberFormat format = regs::NumberFormat::FP32;
  S4LiquidSpad liquid;
  std::vector<uint32_t> lengths;  // [S] valid steps
  S4ModelScales scales;
  S4ModelLayout mem;
  S4EncoderSpad enc;
  S4TailSpad tail;
  S4HeadSpad head;
  S4MambaSpad mamba;  // block mamba only
  // Resident when job.allow_resident and z, s, and beside them the encoder's and the
  // tail's buffers (with a tile of at least min(cols, L, cap) steps) and the S4D
  // kernel's resident plan fit; else streaming, with the reason (empty when resident or
  // not allowed).
  bool resident = false;
  S4ResidentSpad res;
  std::string streaming_reason;
  // Partial residency (job.partial_resident, only when not resident): the first
  // resident_rows of the rows = S*H items (c = q*H + h) keep z in the input and s in the
  // output scratchpad (res: rows from offset 0, as resident); the rest stream through
  // mem.z and mem.s. The encoder and tails keep their streaming tiles and slots beside the
  // rows; the SSM stage runs the S4D kernel twice: resident over items [0, resident_rows),
  // streaming over the rest (buffers after the rows). resident_bytes: z and s rows'
  // scratchpad bytes. residency_reason: why this many rows (or why none).
  bool partial = false;
  uint32_t resident_rows = 0, rows = 0;
  uint64_t resident_bytes = 0;
  std::string residency_reason;
};

// Partial residency: how many of sequence q's H channels are resident rows (0..H).
inline uint32_t resident_channels(const S4ModelPlan& p, uint32_t H, uint32_t q) {
  if (!p.partial) return p.resident ? H : 0;
  const uint64_t first = uint64_t(q) * H;
  return p.resident_rows <= first ? 0 : uint32_t(std::min<uint64_t>(H, p.resident_rows - first));
}

// Checks the job (description, weights, inputs, lengths, ranges) and plans memory and
// scratchpads. False with a message naming the stage, tensor or buffer.
bool plan_s4_model(const AccelInfo& hw, const S4ModelJob& job, S4ModelPlan* plan, std::string* why);
// Writes weights (in the number format), inputs and pooling scales into system memory.
bool write_s4_model_image(Hal& hal, const S4ModelJob& job, const S4ModelPlan& plan, std::string* why);

// The streams (each ends with BARRIER, END). Tail of block `layer`.
std::vector<cmd::Record> build_s4_encoder_stream(const AccelInfo& hw, const S4ModelDesc& d,
                                                 const S4ModelPlan& plan);
std::vector<cmd::Record> build_s4_tail_stream(const AccelInfo& hw, const S4ModelDesc& d,
                                              const S4ModelPlan& plan, uint32_t layer);
// block mamba: the layers.i.mamba stream of block `layer` (RMSNorm -> in_proj -> conv1d,
// SiLU -> x_proj -> dt_proj, softplus -> coefficient blocks -> LOAD_COEFFS, RUN_SCAN ->
// gate -> out_proj -> residual; after the last block the final RMSNorm and the pooling).
std::vector<cmd::Record> build_mamba_block_stream(const AccelInfo& hw, const S4ModelDesc& d,
                                                  const S4ModelPlan& plan, uint32_t layer);
std::vector<cmd::Record> build_s4_head_stream(const AccelInfo& hw, const S4ModelDesc& d,
                                              const S4ModelPlan& plan);
// Liquid-S4 (docs/liquid-s4.md): whether the accelerator maps the description's variant in
// this number format (polyb and kb, allcombs false, no lcontract, float formats); false
// with a message naming the key. True for other blocks.
bool s4_liquid_supported(const S4ModelDesc& d, regs::NumberFormat format, std::string* why);
// Liquid-S4 (docs/liquid-s4.md): checks the description against what the accelerator
// maps (polyb and kb with allcombs false, no lcontract, float formats) and plans the
// liquid stages' scratchpads. False with a message naming the key or tensor.
bool plan_s4_liquid(const AccelInfo& hw, const S4ModelJob& job, const S4ModelPlan& plan, S4LiquidSpad* out,
                    std::string* why);
// The float32 coefficient tables of block `layer`, [tables][H][Q]: polyb gamma[dir][p-2][h]
// per direction; kb S^(p-1), then -D[h] S^(p-1).
std::vector<float> s4_liquid_tables(const S4ModelDesc& d, const S4BlockWeights& b);
// The liquid stream of block `layer`: `before` = the kb stage before the SSM (z -> u~),
// else the stage after it (s += liquid terms of z).
std::vector<cmd::Record> build_s4_liquid_stream(const AccelInfo& hw, const S4ModelDesc& d,
                                                const S4ModelPlan& plan, uint32_t layer, bool before);
// The S4D layer job of block `layer` (z -> s over the S sequences), workspace at
// plan.mem.workspace (s4_model_compile moves it to the stage's records in the stream region).
S4dLayerJob s4_model_ssm_job(const S4ModelDesc& d, const S4ModelPlan& plan, uint32_t layer,
                             uint64_t workspace_bytes);
// Partial residency: the SSM stage's S4D jobs, part 0 resident over items [0,
// resident_rows), part 1 streaming over [resident_rows, rows) (either absent when empty).
// Each part's items are its own: H = item count, B = 1 (records written per item by the
// compiler, channel (first_item + i) % H). first_item gives each part's first item.
struct S4SsmPart {
  S4dLayerJob job;
  uint32_t first_item = 0;
};
std::vector<S4SsmPart> s4_model_ssm_parts(const AccelInfo& hw, const S4ModelDesc& d, const S4ModelPlan& plan,
                                          uint32_t layer);

// ---------------------------------------------------------------- the compiled image
// The model compiler as a host tool: s4_model_compile writes everything the runner needs
// into system memory through `hal` (any Hal: the host-driver model's, or one over the
// platform's debug back door; it only calls mem_write). Stage by stage, in execution
// order: encoder, per block layers.i.ssm and layers.i.tail, head.

// One stage of the image: where its stream (and, for an SSM stage, its coefficient
// records, right before the stream) are in system memory.
struct S4ModelImageStage {
  std::string name;          // as ec_model_stage::name
  int32_t layer = -1;        // block index, -1 for encoder and head
  uint64_t stream_addr = 0;  // 32-aligned
  uint32_t stream_bytes = 0; // commands * 32
  uint32_t commands = 0;
  uint64_t records_addr = 0; // SSM stages: coefficient records (the kernel's workspace), else 0
  uint64_t records_bytes = 0;
  S4dPlan ssm;               // SSM stages: the S4D kernel's plan (partial residency: the first part's)
  std::vector<S4dPlan> ssm_parts;  // partial residency: each part's plan (s4_model_ssm_parts), else empty
  S4dCoeffScales scales;     // SSM stages: the records' scales (integer formats)
};

struct S4ModelImage {
  S4ModelPlan plan;          // weights, activations, scratchpads (plan.mem.logits: the logits)
  uint32_t B = 0, classes = 0;
  uint64_t table_addr = 0;   // ec_model_image_header, then one ec_model_stage per stage
  uint64_t table_bytes = 0;
  uint64_t streams_begin = 0, streams_end = 0;  // the stream region [begin, end): table, records, streams
  std::vector<S4ModelImageStage> stages;        // in execution order (the table's order)
  uint64_t memory_bytes = 0; // from job.mem_base to streams_end (what s4_model_memory_bytes returns)
};

// Plans the job, writes the weights and inputs (write_s4_model_image), every stage's
// command stream at its own address in the stream region (which starts where the old
// per-stage workspace did, S4ModelLayout::workspace), the SSM stages' coefficient
// records (discretised and formatted on the host) and the stage table. False with a
// message naming the stage, tensor or buffer (or the memory shortfall).
bool s4_model_compile(Hal& hal, const AccelInfo& hw, const S4ModelJob& job, S4ModelImage* image,
                      std::string* why);

// After the runner: the per-stage outcomes of `run` (ec_fw_result of run_model_image on
// image.table_addr) as S4ModelResult stages (names and commands from the image), the
// cycle sum, the message, and, when run.ok, the logits read through `hal` (any Hal that
// reads system memory). Returns result->ok.
bool s4_model_collect(Hal& hal, const S4ModelImage& image, const ec_fw_result& run, S4ModelResult* result);

}  // namespace epochcore::fw
