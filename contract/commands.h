// C++ view of the ProDF command-stream format: fixed 32-byte records of eight
// little-endian 32-bit words in system memory. The definition is the C99 header
// contract/cmd.h (opcodes, flags, field words/shifts/widths, coefficient record); every
// value here is taken from it. docs/commands.md describes every field and error.
#pragma once
#include <stddef.h>
#include <stdint.h>
#if __STDC_HOSTED__
#include <string>
#endif

#include "epochcore/contract/cmd.h"
#include "epochcore/contract/registers.h"

namespace epochcore::cmd {

constexpr size_t kRecordBytes = EC_RECORD_BYTES;
constexpr size_t kRecordWords = EC_RECORD_WORDS;

// NOP, DMA_IN, ... = EC_OP_NOP, EC_OP_DMA_IN, ... (EC_OPCODE_LIST in cmd.h).
#define EC_CPP_OP_(name, code, unit, desc) name = EC_OP_##name,
enum class Opcode : uint8_t { EC_OPCODE_LIST(EC_CPP_OP_) };
#undef EC_CPP_OP_
constexpr uint8_t kNumOpcodes = EC_NUM_OPCODES;

enum class SpadId : uint8_t { INPUT = EC_SPAD_INPUT, PARAM = EC_SPAD_PARAM, OUTPUT = EC_SPAD_OUTPUT };
constexpr uint8_t kNumSpads = EC_NUM_SPADS;

// FLAG_ACCUMULATE, FLAG_RESET_STATE, FLAG_REVERSE, FLAG_HISTORY (EC_FLAG_LIST in cmd.h).
// RUN_GEMM takes FLAG_ACCUMULATE alone; RUN_VEC takes FLAG_ACCUMULATE (POOL_SUM only) and
// FLAG_HISTORY (CONV1D only).
#define EC_CPP_FLAG_(name, bit, desc) FLAG_##name = EC_FLAG_##name,
enum Flags : uint8_t { EC_FLAG_LIST(EC_CPP_FLAG_) };
#undef EC_CPP_FLAG_

// Word 0 of every record: opcode (7:0), flags (15:8), scratchpad id (23:16, DMA only;
// RUN_VEC: the vector operation), bits 31:24 reserved (must be zero; RUN_VEC: the
// operands' scratchpad ids).
struct Record {
  uint32_t w[kRecordWords] = {};
};
static_assert(sizeof(Record) == sizeof(ec_record), "Record and ec_record share a layout");
// The C form, for the inline encoders of cmd.h.
ec_record to_c(const Record& r);
Record from_c(const ec_record& r);

// One field of a record layout (EC_CMD_FIELD_LIST in cmd.h).
struct RecordFieldInfo {
  const char* group;  // W0, DMA, LC, SSM, GEMM, VEC
  const char* name;   // as docs/commands.md names it
  uint32_t word, shift, width;
};
extern const RecordFieldInfo kRecordFields[];
extern const size_t kNumRecordFields;

// Opcodes with their unit and description (EC_OPCODE_LIST), in code order.
struct OpcodeInfo {
  Opcode opcode;
  const char* name;
  const char* unit;
  const char* description;
};
extern const OpcodeInfo kOpcodes[];
#if __STDC_HOSTED__
// The opcode table in Markdown, as docs/commands.md holds it.
std::string opcodes_markdown_table();
#endif

struct DmaDesc {
  uint64_t sys_addr = 0;    // words 1 (low) and 2 (high)
  SpadId spad = SpadId::INPUT;
  uint32_t spad_addr = 0;   // word 3, byte offset in the scratchpad
  uint32_t row_bytes = 0;   // word 4, bytes per row (multiple of 4)
  uint32_t rows = 1;        // word 5, rows (1 for a 1-D transfer)
  uint32_t sys_stride = 0;  // word 6, bytes between row starts in system memory
  uint32_t spad_stride = 0; // word 7, bytes between row starts in the scratchpad
};

// LOAD_COEFFS: n_seg * seg_len CoeffRecords, segment-major, from the parameter
// scratchpad into the PEs; segment i occupies row i / segments_per_row, columns
// (i % segments_per_row) * seg_len ... + seg_len - 1. PEs outside the segments idle.
struct LoadCoeffs {
  uint32_t param_addr = 0;  // word 1, byte offset in the parameter scratchpad (32-aligned)
  uint32_t n_seg = 0;       // word 2, number of segments (channel slices) to load
  uint32_t seg_len = 0;     // word 3, PEs per segment (1..cols)
  // word 4, per-segment direction (HW_FEATURES.SEGMENT_DIRECTION, else must be 0): the
  // last rev_segs segments (n_seg - rev_segs .. n_seg - 1) are reversed. Reversed segment
  // n_seg - rev_segs + j works on row j of every RUN_SSM (the rows of the first segments).
  uint32_t rev_segs = 0;
};

// RUN_SSM: segment i reads u_k (float32) at in_addr + i*in_stride + 4e and writes (or
// adds) y_k at out_addr + i*out_stride + 4e, for k = 0..length-1, where e = k, or
// e = length-1-k with FLAG_REVERSE (the sequence runs backwards through the array).
// Reversed segments (LoadCoeffs::rev_segs; j-th reversed segment on row j) step the other
// way, k = 0..R-1 with R = rev_length (0: length), e = R-1-k (e = k with FLAG_REVERSE),
// reading at in_addr + j*in_stride + rev_in_offset + 4e and writing out_addr +
// j*out_stride + 4e. A word both a forward and a reversed segment reach in one pass is
// written by whichever reaches it first (the forward one on a tie) and added to by the
// other; with FLAG_ACCUMULATE both add. An add is a read-modify-write (two accesses).
struct RunSsm {
  uint8_t flags = 0;
  uint32_t in_addr = 0;     // word 1, byte offset in the input scratchpad
  uint32_t in_stride = 0;   // word 2, bytes between segments' sequences
  uint32_t out_addr = 0;    // word 3, byte offset in the output scratchpad
  uint32_t out_stride = 0;  // word 4
  uint32_t length = 0;      // word 5, time steps L (>= 1)
  uint32_t rev_length = 0;     // word 6, reversed segments' steps, 0..length (0: length)
  uint32_t rev_in_offset = 0;  // word 7, bytes (multiple of 4) added to reversed inputs
};

// RUN_GEMM: one weight-stationary fold in MAC mode. The k x n weight tile (float32,
// row-major, k*n words at param_addr in the parameter scratchpad) goes into the `w`
// registers of PEs (0..k-1, 0..n-1); m input rows of k words (row i at in_addr +
// i*in_stride, input scratchpad) stream through; output row i (n words at out_addr +
// i*out_stride, output scratchpad) gets y[j] = sum_{kk=0..k-1} in[kk]*w[kk][j], summed
// top row first from 0.0f (the partial sum flows south), and is written, or with
// FLAG_ACCUMULATE added to the old value (out = out + y).
struct RunGemm {
  uint8_t flags = 0;
  uint32_t param_addr = 0;  // word 1, byte offset of the weight tile (multiple of 4)
  uint32_t in_addr = 0;     // word 2, byte offset of input row 0
  uint32_t in_stride = 0;   // word 3, bytes between input rows (>= 4k when m > 1)
  uint32_t out_addr = 0;    // word 4, byte offset of output row 0
  uint32_t out_stride = 0;  // word 5, bytes between output rows (>= 4n when m > 1)
  uint16_t k = 0;           // word 6 bits 15:0, weight rows: 1..rows
  uint16_t n = 0;           // word 6 bits 31:16, weight columns: 1..cols
  uint32_t m = 0;           // word 7, streamed rows (>= 1)
};

// RUN_SCAN: one selective-scan (Mamba S6) pass on a SELECTIVE accelerator
// (docs/selective-scan.md). Segment i (one channel) reads u_k at u_addr + 4*(i*in_stride + k)
// and Delta_k (already softplus'ed) at dt_addr + 4*(i*in_stride + k) in the input
// scratchpad; step k's coefficient block, B_k[0..seg_len-1] then C_k[0..seg_len-1]
// (float32, shared by every segment), sits at coef_addr + k*coef_stride in scratchpad
// coef_spad (INPUT or PARAM). PE j of every segment holds A[j] (a_re) and its state x_j;
// the segment's first PE also holds D (d). y_k goes to out_addr + 4*(i*out_stride + k)
// (added with FLAG_ACCUMULATE): x_j = exp(Delta_k*A[j])*x_j + (Delta_k*B_k[j])*u_k,
// y_k = sum_j C_k[j]*x_j + D*u_k (LimaPeCore::scan fixes the order).
struct RunScan {
  uint8_t flags = 0;                // FLAG_ACCUMULATE, FLAG_RESET_STATE
  SpadId coef_spad = SpadId::PARAM; // word 0 bits 23:16
  uint32_t u_addr = 0;              // word 1, byte offset in the input scratchpad
  uint32_t dt_addr = 0;             // word 2, byte offset in the input scratchpad
  uint16_t in_stride = 0;           // word 3 bits 15:0, words between segments' u (and Delta) rows
  uint16_t out_stride = 0;          // word 3 bits 31:16, words between segments' output rows
  uint32_t out_addr = 0;            // word 4, byte offset in the output scratchpad
  uint32_t coef_addr = 0;           // word 5, byte offset of step 0's coefficient block
  uint32_t coef_stride = 0;         // word 6, bytes between steps' blocks (>= 8*seg_len)
  uint32_t length = 0;              // word 7, time steps L (>= 1)
};

// RUN_VEC: one vector-unit operation (docs/vector-unit.md) on tiles of `channels` rows
// of `length` float32 words. Operand A's row c starts at a_addr + 4*c*a_stride in
// scratchpad a_spad, B's at b_addr + 4*c*b_stride in b_spad, the destination D's at
// d_addr + 4*c*d_stride in d_spad (strides in words). Every value the unit writes is
// rounded to the accelerator's number format (HW_FORMAT); for the integer formats it is
// quantised with the symmetric per-tensor scale `out_scale` (which must be 0 for the
// float formats). D may be exactly A or B (in place) or disjoint from both.
// COPY: D = A (rounded to the format); ZERO: D = 0 (A and B unused); GELU: exact erf form;
// GLU: A has 2C rows, D[c] = A[c] * sigmoid(A[C + c]); ADD, SUB, MUL: D = A op B;
// AFFINE: D[c][t] = A[c][t] * B[c] + B[C + c] (B holds C scales, then C shifts);
// LAYERNORM: per step t over the C rows, B holds gamma[C], beta[C], then eps;
// POOL_SUM: D[c] (one word per row) = sum_{t<length} A[c][t] (+ D[c] with FLAG_ACCUMULATE);
// EMBED: A holds `length` int32 token ids, B the table [aux = vocab][C], D[c][t] = B[id_t][c].
// RMSNORM: per step t over the C rows, B holds weight[C], then eps;
// CONV1D: causal depthwise, K = b_stride taps (1..kMaxConvTaps), B holds the weights [C][K]
// (PyTorch conv1d.weight order, tap K-1 on the current step), then C biases; the K-1 steps
// before step 0 are zeros, or with FLAG_HISTORY the K-1 words before each A row;
// SILU: A * sigmoid(A); SOFTPLUS: torch's, A for A > 20; GATE: D = A * silu(B).
// LIQUID (Liquid-S4 liquid terms, docs/liquid-s4.md): Q = b_stride orders (1..kMaxLiquidOrders),
// B holds coefficients [C][Q]; c_1 = A, c_{p}[t] = c_{p-1}[t] c_{p-1}[t-1] (the Q steps before
// step 0 are zeros, or with FLAG_HISTORY the Q words before each A row);
// D[c][t] = base + sum_{p=2..Q+1} B[c][p-2] c_p[t'], base = A[c][t] (FLAG_ACCUMULATE: D[c][t]),
// t' = t (FLAG_REVERSE: length-1-t). D never overlaps A.
#define EC_CPP_VEC_(name, code) name = EC_VEC_##name,
enum class VecOp : uint8_t { EC_VEC_OP_LIST(EC_CPP_VEC_) };
#undef EC_CPP_VEC_
constexpr uint8_t kNumVecOps = EC_NUM_VEC_OPS;
const char* vec_op_name(uint8_t op);  // "UNKNOWN" for values outside VecOp
constexpr uint32_t kMaxConvTaps = EC_VEC_CONV1D_MAX_TAPS;  // CONV1D: K in 1..this
constexpr uint32_t kMaxLiquidOrders = EC_VEC_LIQUID_MAX_ORDERS;  // LIQUID: Q in 1..this

struct RunVec {
  VecOp op = VecOp::COPY;
  uint8_t flags = 0;
  SpadId a_spad = SpadId::INPUT, b_spad = SpadId::PARAM, d_spad = SpadId::OUTPUT;  // word 0 bits 25:24, 27:26, 29:28
  uint32_t a_addr = 0;      // word 1, byte offsets in the operands' scratchpads
  uint32_t b_addr = 0;      // word 2
  uint32_t d_addr = 0;      // word 3
  uint16_t channels = 0;    // word 4 bits 15:0, C >= 1 (GLU: output rows)
  uint16_t b_stride = 0;    // word 4 bits 31:16, words between B rows (EMBED: vocab; CONV1D: K; LIQUID: Q)
  uint32_t length = 0;      // word 5, T >= 1 words per row
  uint16_t a_stride = 0;    // word 6 bits 15:0, words between A rows
  uint16_t d_stride = 0;    // word 6 bits 31:16, words between D rows
  float out_scale = 0.0f;   // word 7 (float bits): int16/int8 output scale, else 0
};

// What one RUN_VEC touches, for validation and the units: rows x words per operand.
struct VecShape {
  uint32_t a_rows = 0, b_rows = 0, d_rows = 0;  // 0: operand unused
  uint64_t a_row_words = 0, b_row_words = 0, d_row_words = 0;
  uint32_t a_step = 0, b_step = 0, d_step = 0;  // words between rows
  uint32_t a_before = 0;  // words read before each A row (FLAG_HISTORY: CONV1D K-1, LIQUID Q)
};
VecShape vec_shape(const RunVec& c);

// One PE's coefficients as stored in the parameter scratchpad (32 bytes):
// x = a*x + b*u;  psum_out = psum_in + Re(c*x) + d*u.
using CoeffRecord = ec_coeff_record;
static_assert(sizeof(CoeffRecord) == EC_COEFF_RECORD_BYTES, "CoeffRecord must be 32 bytes");

Opcode opcode_of(const Record& r);
uint8_t flags_of(const Record& r);
const char* opcode_name(uint8_t opcode);  // "UNKNOWN" for values outside Opcode

Record encode_nop();
Record encode_barrier();
Record encode_end();
Record encode_dma(bool to_spad, const DmaDesc& d);  // DMA_IN if to_spad, else DMA_OUT
Record encode_load_coeffs(const LoadCoeffs& c);
Record encode_run_ssm(const RunSsm& c);
Record encode_run_gemm(const RunGemm& c);
Record encode_run_vec(const RunVec& c);
Record encode_run_scan(const RunScan& c);

DmaDesc decode_dma(const Record& r);
LoadCoeffs decode_load_coeffs(const Record& r);
RunSsm decode_run_ssm(const Record& r);
RunGemm decode_run_gemm(const Record& r);
RunVec decode_run_vec(const Record& r);
RunScan decode_run_scan(const Record& r);

// Byte (little-endian) form, as the records sit in memory.
void pack(const Record& r, uint8_t out[kRecordBytes]);
Record unpack(const uint8_t in[kRecordBytes]);

// What the command processor checks before executing a record (hardware limits as the
// HW_* registers report them). Returns NONE when the record is valid.
struct HwLimits {
  uint32_t rows = 0, cols = 0;
  bool segments = true;
  bool segment_direction = false;  // HW_FEATURES.SEGMENT_DIRECTION
  bool compute_queues = false;     // HW_FEATURES.COMPUTE_QUEUES: two compute queues, scoreboard
  uint32_t spad_bytes[kNumSpads] = {0, 0, 0};
  uint8_t number_format = 0;  // regs::NumberFormat: RUN_VEC's out_scale rule
  bool selective = false;     // HW_FEATURES.SELECTIVE: RUN_SCAN is available
};
uint32_t segments_per_row(const HwLimits& hw, uint32_t seg_len);
#if __STDC_HOSTED__  // (the firmware never validates: the command processor does)
regs::ErrorCause validate(const Record& r, const HwLimits& hw);
// Like validate, but for RUN_SSM also needs the loaded segment count; and a text
// saying which field is wrong (for traces and tests).
regs::ErrorCause validate(const Record& r, const HwLimits& hw, uint32_t loaded_segments,
                          std::string* why);
// ... and the loaded reversed segments (LOAD_COEFFS rev_segs) for RUN_SSM's ranges.
regs::ErrorCause validate(const Record& r, const HwLimits& hw, uint32_t loaded_segments,
                          uint32_t loaded_reversed, std::string* why);
// RUN_SCAN's coefficient blocks also need the loaded seg_len (the overloads above assume
// cols); the command processor calls this one.
regs::ErrorCause validate(const Record& r, const HwLimits& hw, uint32_t loaded_segments,
                          uint32_t loaded_reversed, uint32_t loaded_seg_len, std::string* why);
#endif

}  // namespace epochcore::cmd
