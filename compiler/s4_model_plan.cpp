// Model compiler, planning: checks a job, lays out system memory, sizes the scratchpad
// buffers of each stage's stream (choosing the widest time tile that fits) and turns the
// calibrated activation ranges into static output scales. docs/model-compiler.md.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "epochcore/compiler/s4_model.h"
#include "epochcore/contract/number_format.h"

namespace epochcore::fw {

namespace {

using cmd::SpadId;

const char* spad_name(SpadId s) {
  return s == SpadId::INPUT ? "input" : s == SpadId::PARAM ? "parameter" : "output";
}

std::string dims(std::initializer_list<uint64_t> d) {
  std::string s;
  for (uint64_t v : d) s += "[" + std::to_string(v) + "]";
  return s;
}

// Scratchpad buffers of one stream, 32-byte aligned, with names for the error message.
class SpadBudget {
 public:
  uint32_t take(SpadId s, const std::string& what, uint64_t bytes) {
    uint64_t& used = used_[uint8_t(s)];
    const uint64_t at = used;
    used += (bytes + 31) / 32 * 32;
    items_[uint8_t(s)] += (items_[uint8_t(s)].empty() ? "" : ", ") + what + " " + std::to_string(bytes);
    return at > 0xFFFFFFFFull ? 0 : uint32_t(at);  // fits() refuses the plan then
  }
  bool fits(const AccelInfo& hw, const std::string& stage, std::string* why) const {
    for (uint8_t s = 0; s < cmd::kNumSpads; ++s)
      if (used_[s] > hw.spad_bytes[s]) {
        *why = stage + ": " + spad_name(SpadId(s)) + " scratchpad needs " + std::to_string(used_[s]) +
               " bytes (" + items_[s] + "), have " + std::to_string(hw.spad_bytes[s]);
        return false;
      }
    return true;
  }

 private:
  uint64_t used_[cmd::kNumSpads] = {0, 0, 0};
  std::string items_[cmd::kNumSpads];
};

// The resident z rows, taken first in the input scratchpad (offset 0), and with
// `with_s` the resident s rows, first in the output scratchpad.
void take_rows(uint64_t rows, const S4ResidentSpad& r, bool with_s, SpadBudget& b) {
  b.take(SpadId::INPUT, "resident z " + dims({rows, r.z_row_words}), 4 * rows * r.z_row_words);
  if (with_s) b.take(SpadId::OUTPUT, "resident s " + dims({rows, r.s_row_words}), 4 * rows * r.s_row_words);
}
void take_resident(const S4ModelDesc& d, uint32_t S, const S4ResidentSpad& r, bool with_s, SpadBudget& b) {
  take_rows(uint64_t(S) * d.H, r, with_s, b);
}

// resident: z goes straight into the resident rows, so there are no z slots.
S4EncoderSpad encoder_spad(const S4ModelDesc& d, uint32_t T, uint32_t N, uint32_t norm_words, bool resident,
                           SpadBudget& b) {
  const uint64_t H = d.H, F = d.d_input, tile = 4 * H * T;
  S4EncoderSpad e;
  e.T = T;
  e.N = N;
  if (d.input == InputKind::Tokens) {
    e.table = b.take(SpadId::PARAM, "embedding " + dims({F, H}), 4 * F * H);
    for (int i = 0; i < 2; ++i) e.in_slot[i] = b.take(SpadId::INPUT, "token ids " + dims({T}), 4ull * T);
  } else {
    e.w_enc = b.take(SpadId::INPUT, "encoder.weight " + dims({H, F}), 4 * H * F);
    e.affine = b.take(SpadId::PARAM, "encoder.bias (1, b) " + dims({2 * H}), 8 * H);
    for (int i = 0; i < 2; ++i) e.in_slot[i] = b.take(SpadId::PARAM, "input tile " + dims({F, T}), 4 * F * T);
    e.u = b.take(SpadId::OUTPUT, "encoder GEMM tile " + dims({H, T}), tile);
  }
  if (d.prenorm && d.block != BlockKind::Mamba) e.norm = b.take(SpadId::PARAM, "layers.0.norm " + dims({norm_words}), 4ull * norm_words);
  for (int i = 0; i < 2; ++i) {
    e.xo[i] = b.take(SpadId::OUTPUT, "x tile " + dims({H, T}), tile);
    if (!resident) e.zo[i] = b.take(SpadId::OUTPUT, "z tile " + dims({H, T}), tile);
  }
  return e;
}

// resident: s is read from and z written to the resident rows: no s or z slots.
S4TailSpad tail_spad(const S4ModelDesc& d, uint32_t T, uint32_t N, uint32_t norm_words, bool resident,
                     SpadBudget& b) {
  const uint64_t H = d.H, tile = 4 * H * T;
  S4TailSpad p;
  p.T = T;
  p.N = N;
  p.w_out = b.take(SpadId::INPUT, "W_out " + dims({2 * H, H}), 8 * H * H);
  for (int i = 0; i < 2; ++i) {
    if (!resident) p.s_slot[i] = b.take(SpadId::INPUT, "s tile " + dims({H, T}), tile);
    p.x_slot[i] = b.take(SpadId::INPUT, "x tile " + dims({H, T}), tile);
  }
  p.g = b.take(SpadId::PARAM, "GELU tile " + dims({H, T}), tile);
  p.affine = b.take(SpadId::PARAM, "output_linear.bias (1, b) " + dims({4 * H}), 16 * H);
  if (!d.prenorm) p.norm_post = b.take(SpadId::PARAM, "norm " + dims({norm_words}), 4ull * norm_words);
  if (d.prenorm) p.norm_next = b.take(SpadId::PARAM, "next norm " + dims({norm_words}), 4ull * norm_words);
  for (int i = 0; i < 2; ++i) p.pool_scale[i] = b.take(SpadId::PARAM, "pool scale " + dims({2 * H}), 8 * H);
  p.u = b.take(SpadId::OUTPUT, "linear tile " + dims({2 * H, T}), 2 * tile);
  p.y = b.take(SpadId::OUTPUT, "GLU tile " + dims({H, T}), tile);
  p.r = b.take(SpadId::OUTPUT, "residual tile " + dims({H, T}), tile);
  p.f = b.take(SpadId::OUTPUT, "final-norm tile " + dims({H, T}), tile);
  for (int i = 0; i < 2; ++i) {
    p.xo[i] = b.take(SpadId::OUTPUT, "x' tile " + dims({H, T}), tile);
    if (!resident) p.zo[i] = b.take(SpadId::OUTPUT, "z tile " + dims({H, T}), tile);
    p.pool[i] = b.take(SpadId::OUTPUT, "pool " + dims({H}), 4 * H);
  }
  return p;
}

S4HeadSpad head_spad(const S4ModelDesc& d, const AccelInfo& hw, uint32_t B, uint32_t S, SpadBudget& b) {
  const uint64_t H = d.H, C = d.classes;
  S4HeadSpad h;
  if (!d.retrieval) {
    h.n_max = std::min(hw.cols, S);
    h.w = b.take(SpadId::INPUT, "decoder.weight " + dims({C, H}), 4 * C * H);
    h.affine = b.take(SpadId::PARAM, "decoder.bias (1, b) " + dims({2 * C}), 8 * C);
    h.tile = b.take(SpadId::PARAM, "features " + dims({H, S}), 4 * H * S);
    h.logits = b.take(SpadId::OUTPUT, "logits " + dims({C, S}), 4 * C * S);
  } else {
    h.n_max = std::min(hw.cols, B);
    h.w = b.take(SpadId::INPUT, "classifier.0.weight " + dims({H, 4 * H}), 16 * H * H);
    h.w2 = b.take(SpadId::INPUT, "classifier.2.weight " + dims({C, H}), 4 * C * H);
    h.affine = b.take(SpadId::PARAM, "classifier.0.bias (1, b) " + dims({2 * H}), 8 * H);
    h.affine2 = b.take(SpadId::PARAM, "classifier.2.bias (1, b) " + dims({2 * C}), 8 * C);
    h.tile = b.take(SpadId::PARAM, "head input tile " + dims({4 * H, h.n_max}), 16 * H * h.n_max);
    h.hg = b.take(SpadId::PARAM, "hidden GELU tile " + dims({H, h.n_max}), 4 * H * h.n_max);
    h.feat = b.take(SpadId::OUTPUT, "features " + dims({H, S}), 4 * H * S);
    h.hidden = b.take(SpadId::OUTPUT, "hidden " + dims({H, B}), 4 * H * B);
    h.logits = b.take(SpadId::OUTPUT, "logits " + dims({C, B}), 4 * C * B);
  }
  return h;
}

// Widest tile whose buffers fit, calling make(T, N, budget) for each candidate: first
// min(p * cols, L) steps for p = cap / cols .. 2 (whole n-blocks of cols steps, or the
// whole sequence), then min(cols, L, cap) .. min_T steps in one n-block. The message of
// T = min_T when nothing fits.
template <typename Make>
bool choose_tile(const AccelInfo& hw, uint32_t L, uint32_t cap, uint32_t min_T, const std::string& stage, Make make,
                 std::string* why) {
  const uint32_t cols = hw.cols;
  const uint32_t p_max = std::min(cap / cols, (L + cols - 1) / cols);
  for (uint32_t p = p_max; p >= 2; --p) {
    const uint32_t T = std::min(p * cols, L);
    SpadBudget b;
    make(T, cols, b);
    if (b.fits(hw, stage, why)) return true;
  }
  for (uint32_t T = std::min({cols, L, cap}); T >= std::max(min_T, 1u); --T) {
    SpadBudget b;
    make(T, T, b);
    if (b.fits(hw, stage, why)) return true;
  }
  return false;
}

bool check_inputs(const S4ModelDesc& d, const S4ModelJob& job, std::vector<uint32_t>* lengths,
                  std::string* why) {
  const uint32_t docs = documents_per_input(d), S = job.B * docs;
  const uint64_t L = d.L, F = d.d_input;
  auto sequence = [&](uint64_t q) {
    return "input " + std::to_string(q / docs) + (docs > 1 ? ", document " + std::to_string(q % docs) : "");
  };
  auto where = [&](uint64_t q, uint64_t t) { return sequence(q) + ", step " + std::to_string(t); };
  for (uint64_t q = 0; q < S; ++q)
    for (uint64_t t = 0; t < L; ++t) {
      if (d.input == InputKind::Tokens) {
        const double id = job.inputs[q * L + t];
        if (!(id >= 0.0 && id < double(F) && std::floor(id) == id)) {
          std::ostringstream m;
          m << "inputs[" << q * L + t << "] (" << where(q, t) << ") = " << id
            << ": expected a token id, an integer in [0, d_input = " << F << ")";
          *why = m.str();
          return false;
        }
      } else {
        for (uint64_t f = 0; f < F; ++f)
          if (!std::isfinite(job.inputs[(q * L + t) * F + f])) {
            *why = "inputs[" + std::to_string((q * L + t) * F + f) + "] (" + where(q, t) + ", feature " +
                   std::to_string(f) + ") is not a finite number";
            return false;
          }
      }
    }
  lengths->assign(S, d.L);
  for (uint32_t q = 0; job.lengths && q < S; ++q) {
    if (job.lengths[q] < 1 || job.lengths[q] > d.L) {
      *why = "lengths[" + std::to_string(q) + "] (" + sequence(q) + ") = " + std::to_string(job.lengths[q]) + ": expected a valid length in [1, L = " +
             std::to_string(d.L) + "]";
      return false;
    }
    (*lengths)[q] = job.lengths[q];
  }
  return true;
}

// Field widths of the commands: RUN_VEC channels and strides are 16 bits.
bool check_fields(const S4ModelDesc& d, uint64_t B, uint64_t S, std::string* why) {
  struct Limit { const char* what; uint64_t value, max; };
  const Limit limits[] = {
      {"2H (RUN_VEC channels of the linear tile)", 2ull * d.H, 0xFFFF},
      {"classes (RUN_VEC channels of the logits)", d.classes, 0xFFFF},
      {"sequences B*docs (RUN_VEC stride of the features)", S, 0xFFFF},
      {"inputs B (RUN_VEC stride of the logits)", B, 0xFFFF},
      {"vocabulary d_input (EMBED's 16-bit vocab field)", d.input == InputKind::Tokens ? d.d_input : 0, 0xFFFF},
  };
  for (const Limit& l : limits)
    if (l.value > l.max) {
      *why = std::string("model: ") + l.what + " = " + std::to_string(l.value) + " exceeds " +
             std::to_string(l.max) + ", the command field's limit";
      return false;
    }
  return true;
}

// Resident activations (S4ResidentSpad): fills p.res, p.enc and p.tail when z, s and
// every stage's buffers fit beside them, with tiles of at least min(cols, L, cap) steps
// (narrower tiles would cost the tails more than the SSM saves), and the S4D kernel
// accepts the resident rows. Else false with the reason. Needs p.mem's S and layers.
bool plan_resident(const AccelInfo& hw, const S4ModelDesc& d, uint32_t cap, S4ModelPlan& p, std::string* why) {
  S4ResidentSpad r;
  r.z_row_words = conflict_free_stride_words(d.L, hw.spad_banks[uint8_t(SpadId::INPUT)]);
  r.s_row_words = conflict_free_stride_words(d.L, hw.spad_banks[uint8_t(SpadId::OUTPUT)]);
  const uint32_t stride = std::max(r.z_row_words, r.s_row_words);
  if (stride > 0xFFFF) {
    *why = "resident: a row stride of " + std::to_string(stride) + " words (L = " + std::to_string(d.L) +
           ") exceeds the 16-bit RUN_VEC stride";
    return false;
  }
  const uint32_t S = p.mem.S, nw = p.mem.norm_words, min_T = std::min({hw.cols, d.L, cap});
  std::string msg;
  S4EncoderSpad enc;
  S4TailSpad tail;
  auto encoder = [&](uint32_t T, uint32_t N, SpadBudget& b) {
    take_resident(d, S, r, false, b);
    enc = encoder_spad(d, T, N, nw, true, b);
  };
  auto tails = [&](uint32_t T, uint32_t N, SpadBudget& b) {
    take_resident(d, S, r, true, b);
    tail = tail_spad(d, T, N, nw, true, b);
  };
  if (!choose_tile(hw, d.L, cap, min_T, "encoder", encoder, &msg) ||
      !choose_tile(hw, d.L, cap, min_T, "layers.0.tail", tails, &msg)) {
    *why = "resident: " + msg;
    return false;
  }
  p.res = r;
  p.resident = true;
  S4dPlan ssm;
  char reason[256] = {};
  if (!plan_s4d_layer(hw, s4_model_ssm_job(d, p, 0, ~0ull >> 1), &ssm, reason, sizeof reason)) {
    p.resident = false;
    p.res = S4ResidentSpad{};
    *why = std::string("resident: layers.0.ssm: ") + reason;
    return false;
  }
  p.enc = enc;
  p.tail = tail;
  p.rows = S * d.H;
  p.resident_rows = p.rows;
  p.resident_bytes = 4ull * p.rows * (uint64_t(r.z_row_words) + r.s_row_words);
  return true;
}

// Partial residency: where the streamed part's S4D buffers start, after `bytes` of
// resident rows, on a bank boundary (so its runs see the bank pattern of offset 0).
uint64_t after_rows(uint64_t bytes, uint32_t banks) {
  const uint64_t unit = 4ull * std::max(banks, 1u);
  return (bytes + unit - 1) / unit * unit;
}

// Scratchpad bytes the streamed part of the SSM stage needs from its base: the streaming
// plan's fold (segs_per_fold items) and buffering, with chunks of c steps.
uint64_t ssm_stream_need(const S4dPlan& full, uint32_t c, uint32_t banks, uint32_t buffers) {
  const uint64_t span = (uint64_t(full.segs_per_fold) - 1) * 4 * conflict_free_stride_words(c, banks) + 4ull * c;
  if (!full.double_buffered) return span;
  const uint64_t unit = 4ull * std::max(banks, 1u);
  return (buffers - 1) * ((span + unit - 1) / unit * unit) + span;
}

// Partial residency (job.partial_resident, after the streaming plan): the most rows R of
// the S*H items whose z and s rows fit (bisection; every constraint grows with R):
//  - beside the encoder's and the tails' streaming buffers, at the streaming plan's tiles
//    (narrower tiles would cost the tails more than the rows save);
//  - beside what the streamed rows' S4D plan needs: the streaming plan's fold and
//    buffering with chunks of min(its chunk, kChunkAlignSteps) steps (whole DMA bursts).
// Then both parts' S4D plans must succeed. Sets p.partial, p.resident_rows, p.res, p.enc,
// p.tail (their buffers after the rows) and p.residency_reason.
void plan_partial(const AccelInfo& hw, const S4ModelDesc& d, S4ModelPlan& p) {
  const uint32_t S = p.mem.S, nw = p.mem.norm_words, rows = S * d.H;
  p.rows = rows;
  S4ResidentSpad r;
  r.z_row_words = conflict_free_stride_words(d.L, hw.spad_banks[uint8_t(SpadId::INPUT)]);
  r.s_row_words = conflict_free_stride_words(d.L, hw.spad_banks[uint8_t(SpadId::OUTPUT)]);
  const uint32_t stride = std::max(r.z_row_words, r.s_row_words);
  if (stride > 0xFFFF) {
    p.residency_reason = "partial: none resident: a row stride of " + std::to_string(stride) + " words (L = " +
                         std::to_string(d.L) + ") exceeds the 16-bit RUN_VEC stride";
    return;
  }
  S4dPlan full;
  char reason[256] = {};
  if (!plan_s4d_layer(hw, s4_model_ssm_job(d, p, 0, ~0ull >> 1), &full, reason, sizeof reason)) {
    p.residency_reason = std::string("partial: none resident: layers.0.ssm: ") + reason;
    return;
  }
  const uint32_t c_min = std::min<uint32_t>(full.chunk_len, kChunkAlignSteps);
  const uint32_t in_banks = hw.spad_banks[uint8_t(SpadId::INPUT)], out_banks = hw.spad_banks[uint8_t(SpadId::OUTPUT)];
  const uint64_t in_need = ssm_stream_need(full, c_min, in_banks, 2);
  const uint64_t out_need = ssm_stream_need(full, c_min, out_banks, full.double_buffered ? full.out_buffers : 1);
  S4EncoderSpad enc;
  S4TailSpad tail;
  auto fits = [&](uint32_t R, std::string* why) {
    SpadBudget be, bt;
    take_rows(R, r, false, be);
    enc = encoder_spad(d, p.enc.T, p.enc.N, nw, false, be);
    if (!be.fits(hw, "encoder", why)) return false;
    take_rows(R, r, true, bt);
    tail = tail_spad(d, p.tail.T, p.tail.N, nw, false, bt);
    if (!bt.fits(hw, "layers.0.tail", why)) return false;
    if (R == rows) return true;  // nothing streams in the SSM stage
    const uint64_t in_at = after_rows(4ull * R * r.z_row_words, in_banks);
    const uint64_t out_at = after_rows(4ull * R * r.s_row_words, out_banks);
    const uint32_t in_b = hw.spad_bytes[uint8_t(SpadId::INPUT)], out_b = hw.spad_bytes[uint8_t(SpadId::OUTPUT)];
    if (in_at + in_need > in_b || out_at + out_need > out_b) {
      *why = "layers.0.ssm: the streamed rows' buffers (chunks of " + std::to_string(c_min) + " steps) need " +
             std::to_string(in_need) + " input and " + std::to_string(out_need) + " output bytes after the rows (" +
             std::to_string(in_at) + ", " + std::to_string(out_at) + "), have " + std::to_string(in_b) + ", " +
             std::to_string(out_b);
      return false;
    }
    return true;
  };
  std::string msg;
  if (!fits(1, &msg)) {
    p.residency_reason = "partial: none resident: one row does not fit: " + msg;
    return;
  }
  uint32_t lo = 1, hi = rows;  // fits(lo) holds
  std::string over;            // why lo + 1 does not fit
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo + 1) / 2;
    std::string m;
    if (fits(mid, &m)) {
      lo = mid;
    } else {
      hi = mid - 1;
      over = m;
    }
  }
  fits(lo, &msg);  // the spads of the chosen R
  S4ModelPlan q = p;
  q.partial = true;
  q.resident_rows = lo;
  q.res = r;
  for (const S4SsmPart& part : s4_model_ssm_parts(hw, d, q, 0)) {
    S4dPlan sp;
    if (!plan_s4d_layer(hw, part.job, &sp, reason, sizeof reason)) {
      p.residency_reason = std::string("partial: none resident: layers.0.ssm (") +
                           (part.job.resident ? "resident" : "streamed") + " rows): " + reason;
      return;
    }
  }
  p.partial = true;
  p.resident_rows = lo;
  p.res = r;
  p.enc = enc;
  p.tail = tail;
  p.resident_bytes = 4ull * lo * (uint64_t(r.z_row_words) + r.s_row_words);
  p.residency_reason = "partial: " + std::to_string(lo) + " of " + std::to_string(rows) +
                       " rows resident (z and s, " + std::to_string(p.resident_bytes) + " bytes)" +
                       (lo < rows ? "; " + std::to_string(lo + 1) + " rows do not fit: " + over : "");
}

// block mamba: the encoder's tile (x only: no z, no norm) and the layers.i.mamba stream's
// buffers (one sequence of L steps at a time, everything resident in the scratchpads).
bool plan_mamba(const AccelInfo& hw, const S4ModelDesc& d, uint32_t cap, S4ModelPlan& p, std::string* why) {
  if (!choose_tile(hw, d.L, cap, 1, "encoder",
                   [&](uint32_t T, uint32_t N, SpadBudget& b) { p.enc = encoder_spad(d, T, N, 0, true, b); }, why))
    return false;
  const uint64_t H = d.H, L = d.L, Din = mamba_inner_width(d), R = mamba_dt_rank(d), N = d.d_state,
                 K = d.d_conv;
  const uint32_t spr = cmd::segments_per_row(hw_limits(hw), d.d_state);
  if (spr == 0) {
    *why = "layers.0.mamba: d_state = " + std::to_string(d.d_state) + " exceeds the array's " +
           std::to_string(hw.cols) + " columns (one PE per state, RUN_SCAN seg_len <= cols)";
    return false;
  }
  S4MambaSpad& s = p.mamba;
  s.N = std::min<uint32_t>(hw.cols, d.L);
  s.su = conflict_free_stride_words(d.L, hw.spad_banks[uint8_t(SpadId::INPUT)]);
  s.sy = conflict_free_stride_words(d.L, hw.spad_banks[uint8_t(SpadId::OUTPUT)]);
  const uint32_t pb = std::max(hw.spad_banks[uint8_t(SpadId::PARAM)], 1u);
  s.coef_words = uint32_t((2 * N + pb - 1) / pb * pb);  // a multiple of the banks: conflict-free feed
  s.pass_channels = spr * hw.rows;
  struct Limit { const char* what; uint64_t value; };
  const Limit limits[] = {{"2*d_inner (RUN_VEC channels)", 2 * Din}, {"L (COPY channels of the coefficient blocks)", L},
                          {"u / Delta row stride (RUN_SCAN in_stride)", s.su},
                          {"scan output row stride (RUN_SCAN out_stride)", s.sy},
                          {"coefficient block stride (RUN_VEC d_stride)", s.coef_words}};
  for (const Limit& l : limits)
    if (l.value > 0xFFFF) {
      *why = std::string("layers.0.mamba: ") + l.what + " = " + std::to_string(l.value) +
             " exceeds 65535, the command field's limit";
      return false;
    }
  SpadBudget b;
  const std::string tile = dims({H, L}), inner = dims({Din, L});
  s.w_in = b.take(SpadId::INPUT, "in_proj.weight " + dims({2 * Din, H}), 8 * Din * H);
  s.w_x = b.take(SpadId::INPUT, "x_proj.weight " + dims({R + 2 * N, Din}), 4 * (R + 2 * N) * Din);
  s.w_dt = b.take(SpadId::INPUT, "dt_proj.weight " + dims({Din, R}), 4 * Din * R);
  s.w_out = b.take(SpadId::INPUT, "out_proj.weight " + dims({H, Din}), 4 * H * Din);
  s.x = b.take(SpadId::INPUT, "x " + tile, 4 * H * L);
  s.u = b.take(SpadId::INPUT, "u " + dims({Din, s.su}), 4 * Din * s.su);
  s.dl = b.take(SpadId::INPUT, "Delta " + dims({Din, s.su}), 4 * Din * s.su);
  s.norm = b.take(SpadId::PARAM, "norm " + dims({H + 1}), 4 * (H + 1));
  s.conv = b.take(SpadId::PARAM, "conv1d " + dims({Din, K + 1}), 4 * Din * (K + 1));
  s.dt_affine = b.take(SpadId::PARAM, "dt_proj.bias (1, b) " + dims({2 * Din}), 8 * Din);
  s.records = b.take(SpadId::PARAM, "A, D records " + dims({Din, N}), Din * N * sizeof(cmd::CoeffRecord));
  s.norm_f = b.take(SpadId::PARAM, "norm_f " + dims({H + 1}), 4 * (H + 1));
  s.pool_scale = b.take(SpadId::PARAM, "pool scale " + dims({2 * H}), 8 * H);
  s.coef = b.take(SpadId::PARAM, "coefficient blocks " + dims({L, s.coef_words}), 4 * L * s.coef_words);
  s.st_in = b.take(SpadId::PARAM, "normed x (stationary) " + tile, 4 * H * L);
  s.st_u = b.take(SpadId::PARAM, "u (stationary) " + inner, 4 * Din * L);
  s.st_dt = b.take(SpadId::PARAM, "dt input (stationary) " + dims({R, L}), 4 * R * L);
  s.st_y = b.take(SpadId::PARAM, "gated y (stationary) " + inner, 4 * Din * L);
  s.xz = b.take(SpadId::OUTPUT, "in_proj out " + dims({2 * Din, L}), 8 * Din * L);
  s.dbl = b.take(SpadId::OUTPUT, "x_proj out " + dims({R + 2 * N, L}), 4 * (R + 2 * N) * L);
  s.delta = b.take(SpadId::OUTPUT, "dt_proj out " + inner, 4 * Din * L);
  s.y = b.take(SpadId::OUTPUT, "scan out " + dims({Din, s.sy}), 4 * Din * s.sy);
  s.o = b.take(SpadId::OUTPUT, "out_proj out " + tile, 4 * H * L);
  s.xo = b.take(SpadId::OUTPUT, "x' " + tile, 4 * H * L);
  s.f = b.take(SpadId::OUTPUT, "final-norm " + tile, 4 * H * L);
  s.pool = b.take(SpadId::OUTPUT, "pool " + dims({H}), 4 * H);
  std::string msg;
  if (!b.fits(hw, "layers.0.mamba", &msg)) {
    *why = msg + " (block mamba keeps one whole sequence of L = " + std::to_string(L) +
           " steps resident; streaming time tiles are not implemented)";
    return false;
  }
  p.resident = true;  // every block's activations stay in the scratchpads (x between blocks: memory)
  return true;
}

}  // namespace

bool s4_model_scales(const S4ModelDesc& d, regs::NumberFormat format, const ActivationRanges* r,
                     S4ModelScales* out, std::string* why) {
  S4ModelScales s;
  s.layers.assign(d.n_layers, S4BlockScales{});
  const bool integer = format == regs::NumberFormat::INT16 || format == regs::NumberFormat::INT8;
  if (!integer) {
    *out = s;
    return true;
  }
  const char* name = format == regs::NumberFormat::INT16 ? "int16" : "int8";
  if (!r) {
    *why = std::string("precision: the ") + name +
           " format needs static activation scales: job.ranges is null (calibrate with "
           "s4_model_activation_ranges)";
    return false;
  }
  if (r->layers.size() != d.n_layers) {
    *why = "precision: job.ranges has " + std::to_string(r->layers.size()) + " layers, the model " +
           std::to_string(d.n_layers);
    return false;
  }
  const double qmax = format == regs::NumberFormat::INT16 ? 32767.0 : 127.0;
  auto scale = [&](double range) {
    const float sc = float(range / qmax);
    return std::isfinite(sc) && sc > 0.0f ? sc : 1.0f;
  };
  s.encoder_out = scale(r->encoder_out);
  for (uint32_t i = 0; i < d.n_layers; ++i) {
    const BlockRanges& b = r->layers[i];
    s.layers[i] = {scale(b.ssm_in), scale(b.gelu), scale(b.linear), scale(b.glu), scale(b.residual), scale(b.out)};
  }
  s.final_norm = scale(r->final_norm);
  s.pool_sum = scale(r->pool_sum);
  s.features = scale(r->features);
  s.head_in = scale(r->head_in);
  s.head_hidden = scale(r->head_hidden);
  s.head_gelu = scale(r->head_gelu);
  s.logits = scale(r->logits);
  *out = s;
  return true;
}

bool plan_s4_model(const AccelInfo& hw, const S4ModelJob& job, S4ModelPlan* plan, std::string* why) {
  S4ModelPlan p;
  if (!job.desc || !job.weights) {
    *why = "model job: desc and weights must be set";
    return false;
  }
  const S4ModelDesc& d = *job.desc;
  try {
    check_s4_model_weights(d, *job.weights);  // checks the description too
  } catch (const std::invalid_argument& e) {
    *why = std::string("model: ") + e.what();
    return false;
  }
  if (d.block == BlockKind::Mamba && !hw.selective) {
    *why = "model: block 'mamba' needs the selective scan (RUN_SCAN): this accelerator's HW_FEATURES lacks "
           "SELECTIVE (scenario key array.selective: true, docs/selective-scan.md)";
    return false;
  }
  if (d.block == BlockKind::Mamba && hw.number_format != uint8_t(regs::NumberFormat::FP32)) {
    *why = "model: block 'mamba' runs on the accelerator in fp32 only (precision.format: fp32); this "
           "accelerator's format is " +
           (hw.number_format < regs::kNumNumberFormats
                ? std::string(numfmt::format_name(numfmt::Format(hw.number_format)))
                : std::to_string(hw.number_format));
    return false;
  }
  if (job.B == 0 || !job.inputs) {
    *why = job.B == 0 ? "model job: B must be at least 1" : "model job: inputs is null";
    return false;
  }
  if (!hw.rows || !hw.cols || hw.rows > 0xFFFF || hw.cols > 0xFFFF) {
    *why = "accelerator: array of " + std::to_string(hw.rows) + "x" + std::to_string(hw.cols) +
           " PEs cannot run RUN_GEMM (1..65535 each)";
    return false;
  }
  if (hw.number_format >= regs::kNumNumberFormats) {
    *why = "accelerator: number format " + std::to_string(hw.number_format) + " is not defined";
    return false;
  }
  if (job.mem_base % 8) {
    *why = "model job: mem_base is not 8-byte aligned";
    return false;
  }
  p.format = regs::NumberFormat(hw.number_format);
  const uint32_t docs = documents_per_input(d);
  if (!check_fields(d, job.B, uint64_t(job.B) * docs, why)) return false;
  const uint32_t S = job.B * docs;
  if (!check_inputs(d, job, &p.lengths, why) ||
      !s4_model_scales(d, p.format, job.ranges, &p.scales, why))
    return false;

  // System memory, from mem_base.
  S4ModelLayout& m = p.mem;
  m.B = job.B;
  m.docs = docs;
  m.S = S;
  const uint64_t H = d.H, L = d.L, F = d.d_input, C = d.classes;
  m.norm_words = d.norm == NormKind::Batch ? 2 * d.H : 2 * d.H + 1;
  uint64_t at = (job.mem_base + 31) / 32 * 32;
  auto take = [&](uint64_t bytes) {
    const uint64_t a = at;
    at += (bytes + 31) / 32 * 32;
    return a;
  };
  if (d.input == InputKind::Tokens) {
    m.embedding = take(4 * F * H);
  } else {
    m.enc_weight = take(4 * H * F);
    m.enc_affine = take(8 * H);
  }
  const uint32_t dirs = d.bidirectional ? 2 : 1;
  const bool mamba = d.block == BlockKind::Mamba;
  if (mamba) {
    m.norm_words = d.H + 1;  // RMSNorm: weight[H], eps
    const uint64_t Din = mamba_inner_width(d), R = mamba_dt_rank(d), N = d.d_state, K = d.d_conv;
    m.mamba.resize(d.n_layers);
    for (S4ModelLayout::MambaBlock& b : m.mamba) {
      b.norm = take(4 * (H + 1));
      b.w_in = take(8 * Din * H);
      b.conv = take(4 * Din * (K + 1));
      b.w_x = take(4 * (R + 2 * N) * Din);
      b.w_dt = take(4 * Din * R);
      b.dt_affine = take(8 * Din);
      b.records = take(Din * N * sizeof(cmd::CoeffRecord));
      b.w_out = take(4 * H * Din);
    }
  }
  m.layers.resize(mamba ? 0 : d.n_layers);
  const bool liquid = d.block == BlockKind::LiquidS4;
  const bool liquid_kb = liquid && d.liquid_kernel == LiquidKernel::KB;
  const uint64_t liquid_tables = liquid_kb ? 2 : dirs;  // s4_liquid_tables
  for (S4ModelLayout::Block& b : m.layers) {
    b.w_out = take(8 * H * H);
    b.out_affine = take(16 * H);
    b.norm = take(4ull * m.norm_words);
    b.ssm_params = take(s4d_param_block_bytes(d.H, d.M, dirs));
    if (liquid) b.liquid = take(4 * liquid_tables * H * (d.liquid_degree - 1));
  }
  if (d.prenorm) m.final_norm = take(4ull * m.norm_words);
  if (!d.retrieval) {
    m.head_w = take(4 * C * H);
    m.head_affine = take(8 * C);
  } else {
    m.head_w = take(16 * H * H);
    m.head_affine = take(8 * H);
    m.head_w2 = take(4 * C * H);
    m.head_affine2 = take(8 * C);
  }
  m.pool_scale = take(8 * H * S);
  m.inputs = take(d.input == InputKind::Tokens ? 4 * S * L : 4 * S * F * L);

  // Scratchpads: resident activations when they fit, else streaming; the widest tile
  // that fits, per stage.
  const uint32_t nw = m.norm_words;
  const uint32_t cap = job.max_tile_steps ? job.max_tile_steps : kDefaultMaxTileSteps;
  if (mamba) {
    if (!plan_mamba(hw, d, cap, p, why)) return false;
    m.x = take(4 * S * H * L);
    m.features = take(4 * H * S);
    m.logits = take(4 * C * job.B);
    m.workspace = at;
    SpadBudget head;
    p.head = head_spad(d, hw, job.B, S, head);
    if (!head.fits(hw, "head", why)) return false;
    *plan = std::move(p);
    return true;
  }
  if (liquid_kb)  // the SSM reads u~, which has no resident place beside z and s
    p.streaming_reason = "Liquid-S4 kb: the SSM input u~ streams through system memory (docs/liquid-s4.md)";
  else if (job.allow_resident)
    plan_resident(hw, d, cap, p, &p.streaming_reason);
  else
    p.streaming_reason = "resident activations not allowed (job.allow_resident = false)";
  if (!p.resident) {
    if (!choose_tile(hw, d.L, cap, 1, "encoder",
                     [&](uint32_t T, uint32_t N, SpadBudget& b) { p.enc = encoder_spad(d, T, N, nw, false, b); },
                     why))
      return false;
    if (!choose_tile(hw, d.L, cap, 1, "layers.0.tail",
                     [&](uint32_t T, uint32_t N, SpadBudget& b) { p.tail = tail_spad(d, T, N, nw, false, b); },
                     why))
      return false;
  }

  m.x = take(4 * S * H * L);
  if (!p.resident) {  // resident z and s never leave the scratchpads
    m.z = take(4 * S * H * L);
    m.s = take(4 * S * H * L);
    if (job.partial_resident && job.allow_resident) plan_partial(hw, d, p);
  }
  if (liquid_kb) m.zt = take(4 * S * H * L);
  if (!plan_s4_liquid(hw, job, p, &p.liquid, why)) return false;
  m.features = take(4 * H * S);
  m.logits = take(4 * C * job.B);
  m.workspace = at;
  SpadBudget head;
  p.head = head_spad(d, hw, job.B, S, head);
  if (!head.fits(hw, "head", why)) return false;
  *plan = std::move(p);
  return true;
}

S4dLayerJob s4_model_ssm_job(const S4ModelDesc& d, const S4ModelPlan& plan, uint32_t layer,
                             uint64_t workspace_bytes) {
  S4dLayerJob j;
  j.H = d.H;
  j.M = d.M;
  j.L = d.L;
  j.B = plan.mem.S;
  j.directions = d.bidirectional ? 2 : 1;
  j.params_addr = plan.mem.layers[layer].ssm_params;
  j.input_addr = plan.liquid.kb ? plan.mem.zt : plan.mem.z;  // Liquid-S4 kb: u~
  j.output_addr = plan.mem.s;
  j.resident = plan.resident;
  if (plan.resident) {
    j.input_spad = plan.res.z;
    j.input_row_words = plan.res.z_row_words;
    j.output_spad = plan.res.s;
    j.output_row_words = plan.res.s_row_words;
  }
  j.workspace_addr = plan.mem.workspace;
  j.workspace_bytes = workspace_bytes;
  return j;
}

std::vector<S4SsmPart> s4_model_ssm_parts(const AccelInfo& hw, const S4ModelDesc& d, const S4ModelPlan& plan,
                                          uint32_t layer) {
  S4ModelPlan streaming = plan;
  streaming.resident = false;
  const S4dLayerJob whole = s4_model_ssm_job(d, streaming, layer, ~0ull >> 1);
  const uint32_t R = plan.resident_rows, rows = plan.mem.S * d.H;
  std::vector<S4SsmPart> parts;
  if (R > 0) {
    S4SsmPart a;
    a.job = whole;
    a.job.H = R;
    a.job.B = 1;
    a.job.resident = true;
    a.job.input_spad = plan.res.z;
    a.job.input_row_words = plan.res.z_row_words;
    a.job.output_spad = plan.res.s;
    a.job.output_row_words = plan.res.s_row_words;
    parts.push_back(a);
  }
  if (R < rows) {
    S4SsmPart b;
    b.job = whole;
    b.job.H = rows - R;
    b.job.B = 1;
    b.job.input_addr = plan.mem.z + 4ull * R * d.L;
    b.job.output_addr = plan.mem.s + 4ull * R * d.L;
    b.job.input_base = uint32_t(after_rows(4ull * R * plan.res.z_row_words, hw.spad_banks[uint8_t(SpadId::INPUT)]));
    b.job.output_base = uint32_t(after_rows(4ull * R * plan.res.s_row_words, hw.spad_banks[uint8_t(SpadId::OUTPUT)]));
    b.first_item = R;
    parts.push_back(b);
  }
  return parts;
}

}  // namespace epochcore::fw
