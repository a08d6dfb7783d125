#include "epochcore/maths/vector/vector_op_math.h"

#include "epochcore/contract/number_format.h"

namespace epochcore::vec {
namespace {

using Op = cmd::VecOp;   // the command's operation
using Kind = vec::VecOp;  // its cost kind
using regs::NumberFormat;

// Every value the unit writes goes through the datapath's number format.
struct OutputRounding {
  NumberFormat format = NumberFormat::FP32;
  float scale = 0.0f;  // integer formats: the command's out_scale

  float operator()(float x) const {
    switch (format) {
      case NumberFormat::FP32: return x;
      case NumberFormat::BF16: return numfmt::round_to_bf16(x);
      case NumberFormat::FP16: return numfmt::round_to_fp16(x);
      case NumberFormat::INT16:
        return float(numfmt::quantise_to_int(x, scale, numfmt::Format::INT16)) * scale;
      case NumberFormat::INT8:
        return float(numfmt::quantise_to_int(x, scale, numfmt::Format::INT8)) * scale;
    }
    return x;
  }
  void row(float* y, size_t n) const {
    if (format == NumberFormat::FP32) return;
    for (size_t i = 0; i < n; ++i) y[i] = (*this)(y[i]);
  }
};

// The cost kind of each RUN_VEC operation and the (channels, steps) arguments vec_cost takes.
bool cost_kind(const cmd::RunVec& c, Kind* kind, uint64_t* channels) {
  *channels = c.channels;
  switch (c.op) {
    case Op::COPY: *kind = Kind::Copy; return true;
    case Op::ZERO: *kind = Kind::Zero; return true;
    case Op::GELU: *kind = Kind::Gelu; return true;
    case Op::GLU: *kind = Kind::Glu; *channels = 2ull * c.channels; return true;
    case Op::ADD: *kind = Kind::ResidualAdd; return true;
    case Op::SUB: *kind = Kind::Sub; return true;
    case Op::MUL: *kind = Kind::Mul; return true;
    case Op::AFFINE: *kind = Kind::BatchNorm; return true;
    case Op::LAYERNORM: *kind = Kind::LayerNorm; return true;
    case Op::POOL_SUM: *kind = Kind::PoolSum; return true;
    case Op::EMBED: *kind = Kind::Embedding; return true;
    case Op::RMSNORM: *kind = Kind::RmsNorm; return true;
    case Op::CONV1D: *kind = Kind::Conv1d; return true;
    case Op::SILU: *kind = Kind::Silu; return true;
    case Op::SOFTPLUS: *kind = Kind::Softplus; return true;
    case Op::GATE: *kind = Kind::Gate; return true;
    case Op::LIQUID: *kind = Kind::Liquid; return true;
  }
  return false;
}

}  // namespace

VecExecResult vec_command_cost(const cmd::RunVec& c, const VecCostParams& p) {
  VecExecResult r;
  Kind kind;
  uint64_t channels = 0;
  if (!cost_kind(c, &kind, &channels)) return r;  // not a valid command
  VecCost cost;
  const uint32_t taps = c.op == Op::CONV1D || c.op == Op::LIQUID ? c.b_stride : 0;  // K or Q
  if (!vec_cost(kind, channels, c.length, p, cost, taps).ok()) return r;  // bad params: check_cost_params
  r.cycles = cost.cycles;
  r.elements = cost.elements;
  r.ops = cost.ops;
  const cmd::VecShape s = cmd::vec_shape(c);
  const uint64_t C = c.channels, T = c.length;
  if (s.a_rows) r.read_words[uint8_t(c.a_spad)] += s.a_rows * (s.a_row_words + s.a_before);
  // EMBED reads one table row per token, not the whole table.
  if (s.b_rows) r.read_words[uint8_t(c.b_spad)] += c.op == Op::EMBED ? C * T : s.b_rows * s.b_row_words;
  r.write_words[uint8_t(c.d_spad)] += s.d_rows * s.d_row_words;
  if (c.op == Op::POOL_SUM && (c.flags & cmd::FLAG_ACCUMULATE)) {
    r.read_words[uint8_t(c.d_spad)] += C;  // the old D[c]
    r.ops.add += C;                        // D[c] + sum
  }
  if (c.op == Op::LIQUID && (c.flags & cmd::FLAG_ACCUMULATE))
    r.read_words[uint8_t(c.d_spad)] += C * T;  // the old D, the sum's start
  return r;
}

VecExecResult vec_execute(const cmd::RunVec& c, float* const spads[cmd::kNumSpads],
                          regs::NumberFormat format, const VecCostParams& p) {
  const cmd::VecShape s = cmd::vec_shape(c);
  const uint32_t C = c.channels;
  const uint32_t T = c.length;
  // Only the operands the operation uses have valid scratchpad ids.
  float* a = s.a_rows ? spads[uint8_t(c.a_spad)] + c.a_addr / 4 : nullptr;
  float* b = s.b_rows ? spads[uint8_t(c.b_spad)] + c.b_addr / 4 : nullptr;
  float* d = spads[uint8_t(c.d_spad)] + c.d_addr / 4;
  const size_t as = c.a_stride, bs = c.b_stride, ds = c.d_stride;

  if (c.op == Op::EMBED) {
    // All ids are checked before anything is written.
    const uint32_t bad = first_bad_token(a, T, c.b_stride);
    if (bad < T) {
      VecExecResult r;
      r.cause = regs::ErrorCause::BAD_TOKEN;
      r.bad_position = bad;
      r.cycles = (uint64_t(T) + p.lanes - 1) / (p.lanes ? p.lanes : 1);  // one pass over the ids
      r.read_words[uint8_t(c.a_spad)] = T;
      return r;
    }
  }

  const OutputRounding round{format, c.out_scale};
  switch (c.op) {
    case Op::COPY:
      for (uint32_t ch = 0; ch < C; ++ch)
        for (uint32_t t = 0; t < T; ++t) d[ch * ds + t] = round(a[ch * as + t]);
      break;
    case Op::ZERO:
      for (uint32_t ch = 0; ch < C; ++ch)
        for (uint32_t t = 0; t < T; ++t) d[ch * ds + t] = 0.0f;  // 0 in every format
      break;
    case Op::GELU:
      for (uint32_t ch = 0; ch < C; ++ch) {
        gelu_row(a + ch * as, d + ch * ds, T);
        round.row(d + ch * ds, T);
      }
      break;
    case Op::GLU:
      // In place, D row c is A row c: each element is read before it is written, and
      // rows C..2C-1 are never written.
      for (uint32_t ch = 0; ch < C; ++ch) {
        glu_row(a + ch * as, a + (size_t(C) + ch) * as, d + ch * ds, T);
        round.row(d + ch * ds, T);
      }
      break;
    case Op::ADD:
    case Op::SUB:
    case Op::MUL:
      for (uint32_t ch = 0; ch < C; ++ch) {
        const float* x = a + ch * as;
        const float* y = b + ch * bs;
        float* out = d + ch * ds;
        if (c.op == Op::ADD)
          add_row(x, y, out, T);
        else if (c.op == Op::SUB)
          sub_row(x, y, out, T);
        else
          mul_row(x, y, out, T);
        round.row(out, T);
      }
      break;
    case Op::AFFINE:
      for (uint32_t ch = 0; ch < C; ++ch) {
        affine_row(a + ch * as, d + ch * ds, T, b[ch], b[C + ch]);
        round.row(d + ch * ds, T);
      }
      break;
    case Op::LAYERNORM: {
      const float* gamma = b;
      const float* beta = b + C;
      const float eps = b[2 * size_t(C)];
      for (uint32_t t = 0; t < T; ++t) {
        // The step's statistics are complete before any of its outputs is written (in place).
        const LayerNormStats st = layernorm_stats(a + t, as, C, eps);
        for (uint32_t ch = 0; ch < C; ++ch)
          d[ch * ds + t] = round(layernorm_apply(a[ch * as + t], st, gamma[ch], beta[ch]));
      }
      break;
    }
    case Op::POOL_SUM: {
      const bool accumulate = (c.flags & cmd::FLAG_ACCUMULATE) != 0;
      for (uint32_t ch = 0; ch < C; ++ch) {
        const float sum = sum_row(a + ch * as, T);  // read the whole row first (in place)
        float& out = d[ch * ds];
        out = round(accumulate ? out + sum : sum);
      }
      break;
    }
    case Op::EMBED:
      for (uint32_t t = 0; t < T; ++t) {
        const float* row = b + size_t(token_id_of_word(a[t])) * C;  // ids checked above
        for (uint32_t ch = 0; ch < C; ++ch) d[ch * ds + t] = round(row[ch]);
      }
      break;
    case Op::RMSNORM: {
      const float* weight = b;
      const float eps = b[C];
      for (uint32_t t = 0; t < T; ++t) {
        // The step's statistic is complete before any of its outputs is written (in place).
        const float rstd = rmsnorm_rstd(a + t, as, C, eps);
        for (uint32_t ch = 0; ch < C; ++ch)
          d[ch * ds + t] = round(rmsnorm_apply(a[ch * as + t], rstd, weight[ch]));
      }
      break;
    }
    case Op::CONV1D: {
      // B: weights [C][K], then C biases. History: the K-1 words before each A row.
      const uint32_t K = c.b_stride;
      const bool history = (c.flags & cmd::FLAG_HISTORY) != 0;
      for (uint32_t ch = 0; ch < C; ++ch) {
        const float* x = a + ch * as;
        conv1d_row(x, history ? x - (K - 1) : nullptr, b + size_t(ch) * K, b[size_t(C) * K + ch], K,
                   d + ch * ds, T);
        round.row(d + ch * ds, T);
      }
      break;
    }
    case Op::SILU:
    case Op::SOFTPLUS:
      for (uint32_t ch = 0; ch < C; ++ch) {
        if (c.op == Op::SILU)
          silu_row(a + ch * as, d + ch * ds, T);
        else
          softplus_row(a + ch * as, d + ch * ds, T);
        round.row(d + ch * ds, T);
      }
      break;
    case Op::GATE:
      for (uint32_t ch = 0; ch < C; ++ch) {
        gate_row(a + ch * as, b + ch * bs, d + ch * ds, T);
        round.row(d + ch * ds, T);
      }
      break;
    case Op::LIQUID: {
      // B: coefficients [C][Q]. History: the Q words before each A row. D never overlaps A.
      const uint32_t Q = c.b_stride;
      const bool history = (c.flags & cmd::FLAG_HISTORY) != 0;
      const bool accumulate = (c.flags & cmd::FLAG_ACCUMULATE) != 0;
      const bool reverse = (c.flags & cmd::FLAG_REVERSE) != 0;
      for (uint32_t ch = 0; ch < C; ++ch) {
        const float* x = a + ch * as;
        float* out = d + ch * ds;
        liquid_row(x, history ? x - Q : nullptr, b + size_t(ch) * Q, Q, accumulate ? out : nullptr, out, T,
                   reverse);
        round.row(out, T);
      }
      break;
    }
  }
  return vec_command_cost(c, p);
}

}  // namespace epochcore::vec
