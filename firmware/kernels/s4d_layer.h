// S4D layer kernel: discretises an S4D layer, folds it onto the LIMA-PE array (ProDF),
// writes the coefficient records and the command stream into a workspace in system
// memory and runs it through the driver. docs/commands.md shows an example stream.
// Bidirectional layers (ssm.md) run the backward half as extra passes with FLAG_REVERSE,
// one step behind (see build_s4d_stream). Where the scratchpads hold two time chunks the
// stream is double-buffered (the next chunk's DMA_IN and the previous chunk's DMA_OUT
// overlap this chunk's RUN_SSM); docs/commands.md shows both forms.
//
// Builds hosted (the host-driver model) and freestanding (RV32, docs/firmware.md): the
// declarations under __STDC_HOSTED__ are host conveniences (std::vector, S4dParams) for
// the tests, the platform and the model compiler, thin wrappers over the same core.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/record_sink.h"
#include "epochcore/contract/commands.h"
#include "epochcore/contract/number_format.h"
#if __STDC_HOSTED__
#include <vector>

#include "epochcore/description/s4d_params.h"
#endif

namespace epochcore::fw {

// Canonical parameter block in system memory, float64 little-endian, consecutive:
// log_dt[H], log_A_real[H*M], A_imag[H*M], C[dirs*H*M*2], D[H]
// with C laid out [dir][h][m][re, im] (dirs = 1, or 2 for a bidirectional layer: the
// forward C, then the backward C), as S4dParams::C.
size_t s4d_param_block_bytes(uint32_t H, uint32_t M, uint32_t directions = 1);
// Checks a block in memory, reading it tensor by tensor through the HAL (every value
// finite; directions 1 or 2; with real_only, every A_imag zero). False with a reason
// naming the tensor.
bool check_s4d_param_block(Hal& hal, uint64_t addr, uint32_t H, uint32_t M, uint32_t directions,
                           bool real_only, char* why, size_t why_len);
#if __STDC_HOSTED__
// The block's bytes for `params` (sizes taken from params.H, params.M, params.directions).
std::vector<uint8_t> encode_s4d_param_block(const S4dParams& params);
// Reads and checks a block (every value finite; directions 1 or 2). False with a reason
// naming the tensor.
bool read_s4d_param_block(Hal& hal, uint64_t addr, uint32_t H, uint32_t M, uint32_t directions,
                          S4dParams* out, char* why, size_t why_len);
#endif

struct S4dLayerJob {
  uint32_t H = 0, M = 0, L = 0, B = 0;
  uint32_t directions = 1;   // 2: bidirectional layer (the parameter block holds two C)
  uint64_t params_addr = 0;
  uint64_t input_addr = 0;   // float32 [B][H][L]
  uint64_t output_addr = 0;  // float32 [B][H][L]
  uint64_t workspace_addr = 0;  // 8-byte aligned: coefficient records, then the stream
  uint64_t workspace_bytes = 0;
  bool single_buffer = false;   // force the single-buffered stream (comparisons, tests)
  // Resident activations (the model compiler, docs/commands.md): the input stays in the
  // input scratchpad and the output in the output scratchpad for the whole layer, item c's
  // row at input_spad + 4*c*input_row_words (output: output_spad, output_row_words);
  // input_addr and output_addr are not used. The plan runs one chunk of L steps; mode
  // passes and backward runs accumulate in place in the output scratchpad. Only the
  // coefficient records are DMA'd (two parameter slots when they fit, unless single_buffer).
  bool resident = false;
  uint32_t input_spad = 0, input_row_words = 0;    // byte offset (multiple of 4), words >= L
  uint32_t output_spad = 0, output_row_words = 0;
  // Streaming form only: the activation buffers start at these scratchpad byte offsets
  // (multiples of 4); the bytes below them belong to someone else (partial residency in
  // the model compiler keeps resident rows there). 0: the whole scratchpad.
  uint32_t input_base = 0, output_base = 0;
};

// The stream runs, for each direction (forward, then backward), each pass and each fold,
// the direction's time chunks; the forward part is the whole unidirectional stream.
struct S4dPlan {
  uint32_t directions = 1;     // 1, or 2 for a bidirectional layer
  uint32_t passes = 0;         // P = ceil(M / cols): mode slices per channel and direction
  uint32_t seg_len = 0;        // S = ceil(M / P): PEs per segment
  uint32_t spr = 0;            // segments per array row (cols / S with SEGMENTS, else 1)
  uint32_t segs_per_fold = 0;  // items per fold: min(rows*spr (mixed: /2), items, what the scratchpads hold)
  uint32_t items = 0;          // B*H sequences; item c = b*H + h
  uint32_t folds_per_pass = 0; // ceil(items / segs_per_fold)
  uint32_t chunk_len = 0;      // time steps per RUN_SSM
  uint32_t chunks = 0;         // ceil(L / chunk_len): forward chunks
  uint32_t reverse_len = 0;    // backward steps per item: L - 1 if bidirectional, else 0
  uint32_t reverse_chunks = 0; // ceil(reverse_len / chunk_len) (0: no backward runs)
  // Per-segment direction (AccelInfo::segment_direction, bidirectional layers, L >= 2):
  // every run loads the forward segments of its segs_per_fold items and, after them,
  // their backward segments (LOAD_COEFFS rev_segs), and steps both in one RUN_SSM of L
  // steps (rev_length L-1, rev_in_offset 4: the backward segment of item c reads
  // u_{t+1} and adds into y_t on the forward segment's row). One chunk (chunk_len = L),
  // no backward runs (reverse_chunks = 0).
  bool mixed = false;
  uint32_t in_stride = 0;      // bytes between segments in the input scratchpad
  uint32_t out_stride = 0;     // bytes between segments in the output scratchpad
  uint64_t coeff_bytes = 0;    // coefficient records in the workspace: dirs*P*items*S*32
  uint64_t runs = 0;           // RUN_SSM records: folds*P*(chunks + reverse_chunks)
  uint64_t commands = 0;       // records in the stream
  uint64_t stream_bytes = 0;   // command stream, after the records in the workspace (32*commands)
  // Double buffering (offsets 0 when single-buffered): run k (counted over the whole
  // stream) reads input buffer k % 2 at (k % 2)*in_buf_offset and writes output buffer
  // k % out_buffers at (k % out_buffers)*out_buf_offset; the j-th fold loaded has its
  // records at (j % 2)*param_slot_offset in the parameter scratchpad.
  bool double_buffered = false;
  uint32_t in_buf_offset = 0;     // bytes from input buffer 0 to buffer 1
  uint32_t out_buf_offset = 0;    // bytes between consecutive output buffers
  uint32_t out_buffers = 1;       // 2, or 3 when runs accumulate (partial sums are prefetched)
  uint32_t param_slot_offset = 0; // bytes from parameter slot 0 to slot 1
  // Resident (job.resident): chunk_len = L, in_stride / out_stride are the rows' strides,
  // no activation buffers (offsets 0, out_buffers 1); double_buffered means two
  // parameter slots for the records.
  bool resident = false;
};

// A double-buffered plan shortens the chunks until the stream has at least this many
// RUN_SSMs, so that the first DMA_IN and the last DMA_OUT, which nothing overlaps, are
// small (a layer whose fold holds the whole sequence would otherwise run one chunk).
constexpr uint32_t kMinDoubleBufferedRuns = 4;
// ... and rounds chunks longer than this down to a multiple of it, so that DMA rows are
// whole 1 KiB bursts (the platform's default dma.burst_bytes): a short last burst in
// every row costs a whole memory latency (a 4-byte tail made 1025-step rows 10% slower).
constexpr uint32_t kChunkAlignSteps = 256;

// Smallest stride (in 4-byte words) >= words that puts consecutive segments in
// consecutive banks (stride % banks == 1; any stride when banks == 1).
uint32_t conflict_free_stride_words(uint32_t words, uint32_t banks);

// False with a reason when the layer cannot run (bad sizes, too small scratchpads or
// workspace, fields that overflow the 32-bit command fields; resident: rows shorter than
// L or beyond their scratchpad, unaligned offsets). Double-buffers when the input
// scratchpad holds two chunks, the output scratchpad two (three when runs accumulate)
// and the parameter scratchpad two folds' records (resident: the records only), unless
// job.single_buffer.
bool plan_s4d_layer(const AccelInfo& hw, const S4dLayerJob& job, S4dPlan* plan, char* why,
                    size_t why_len);

// ZOH discretisation into PE records, [dir][pass][channel h][PE s] (dirs*P*H*S records,
// dirs = params.directions): a = exp(dt*A), b = 1, c = 2*C_dir*(exp(dt*A) - 1)/A,
// d = D[h] on PE 0 of the forward pass 0 only (0 on every backward record); padding
// modes (p*S + s >= M) are all zero. Refuses (false, reason) when real_only and A has an
// imaginary part, or when a record is not finite in float32.
// One mode's record (a, b, c; d left 0): dt = exp(log_dt) as the caller computed it with
// fw_exp. The maths is fw_math's exp/sin/cos and plain double operations, so the host and
// the RV32 build give the same bits. False when a value is not finite in float32.
bool zoh_mode_record(double dt, double log_A_real, double A_imag, double C_re, double C_im,
                     bool real_only, cmd::CoeffRecord* record);
// discretise_zoh over the parameter block in memory (read tensor by tensor through the
// HAL, a few modes at a time), writing each record as it is made: record (dp, h, s) of
// direction-and-pass dp = dir*passes + p goes to records_addr + dp*group_stride +
// 32*(h*seg_len + s) (group_stride = 32*H*seg_len gives discretise_zoh's vector layout).
// The block must have passed check_s4d_param_block. The same reasons as discretise_zoh.
bool discretise_zoh_block(Hal& hal, uint64_t params_addr, uint32_t H, uint32_t M, uint32_t directions,
                          uint32_t passes, uint32_t seg_len, bool real_only, uint64_t records_addr,
                          uint64_t group_stride, char* why, size_t why_len);
#if __STDC_HOSTED__
bool discretise_zoh(const S4dParams& params, uint32_t passes, uint32_t seg_len,
                    bool real_only, std::vector<cmd::CoeffRecord>* records, char* why,
                    size_t why_len);
#endif

// Number formats (docs/precisions.md): the stored value of b, c and d in the accelerator's
// format. bf16/fp16 round each value; int16/int8 quantise with one symmetric per-tensor
// scale per coefficient kind over the whole layer (b; c re and im of every direction;
// d) and store the dequantised value. The decay a stays float32: slow modes have |a|
// within 1e-3 of 1, and an 8- or 11-bit significand either rounds it to 1 (the state
// stops decaying) or past it (|a| > 1, the state grows without bound).
struct S4dCoeffScales {
  float b = 1.0f, c = 1.0f, d = 1.0f;  // the integer formats' scales; 1 for float formats
};
// number_format is a regs::NumberFormat value (AccelInfo::number_format). fp32 leaves the
// records untouched. False with a reason for an unknown format or a value the format
// cannot hold (fp16 overflow), naming the record.
// The core both builds share: the format of a regs::NumberFormat value (false: unknown),
// the integer scales from the largest finite magnitudes, and one record in the format.
bool coeff_format_of(uint8_t number_format, numfmt::Format* format, char* why, size_t why_len);
struct CoeffMaxAbs {
  float b = 0.0f, c = 0.0f, d = 0.0f;  // over the finite values of each kind
  void add(const cmd::CoeffRecord& r);
};
S4dCoeffScales coeff_scales(numfmt::Format format, const CoeffMaxAbs& max_abs);
// `index` only names the record in the reason.
bool format_coeff_record(numfmt::Format format, const S4dCoeffScales& scales, uint64_t index,
                         cmd::CoeffRecord* record, char* why, size_t why_len);
#if __STDC_HOSTED__
bool apply_coeff_format(uint8_t number_format, std::vector<cmd::CoeffRecord>* records,
                        S4dCoeffScales* scales, char* why, size_t why_len);
#endif

// Where the stream starts: right after the coefficient records.
uint64_t s4d_stream_addr(const S4dLayerJob& job, const S4dPlan& plan);
// The command stream for a plan (coefficient records at job.workspace_addr, laid out
// [dir][pass][item][PE], i.e. channel h's records repeated for every batch element).
// Backward (dir 1) runs add y_t += 2 Re(C1' z_t), z_t = Abar z_{t+1} + u_{t+1}: each runs
// FLAG_REVERSE | FLAG_ACCUMULATE over a window of `len` steps ending at backward step
// j0 + len - 1, reading u_{a+1} .. u_{a+len} and adding to y_a .. y_{a+len-1},
// a = L - 1 - j0 - len (so u_{t+1} lands on y_t); the chunks go from the end of the
// sequence backwards so the states carry across chunks. No backward runs when L = 1.
// The runs and their order are the same single- or double-buffered; only the buffers,
// the DMA placement and the barriers differ (docs/commands.md). A resident plan has the
// same runs in the same order (one chunk each), reading and writing the resident rows.
void emit_s4d_stream(const S4dPlan& plan, const S4dLayerJob& job, RecordSink& sink);
#if __STDC_HOSTED__
std::vector<cmd::Record> build_s4d_stream(const S4dPlan& plan, const S4dLayerJob& job);
#endif
// The number of records build_s4d_stream returns, without building the stream (the
// plan's `commands` before it is set: only its other fields are read).
uint64_t count_s4d_stream(const S4dPlan& plan, const S4dLayerJob& job);

struct S4dLayerResult {
  bool ok = false;
  char message[256] = {};  // empty on success
  JobResult job;
  S4dPlan plan;
  uint32_t commands = 0;   // records in the stream
  S4dCoeffScales scales;   // of the coefficient records (integer formats)
};

// Runs the layer: plans, reads and discretises the parameters, applies the accelerator's
// number format to the records, writes them and the stream to the workspace and runs it.
// The input and output tensors must not overlap each other or the workspace (resident:
// they are in the scratchpads, where the caller put the input; the output stays there).

bool s4d_layer_run(Hal& hal, Driver& driver, const AccelInfo& hw, const S4dLayerJob& job,
                   S4dLayerResult* result);

}  // namespace epochcore::fw
