// Model compiler, the Liquid-S4 stages (docs/liquid-s4.md): the liquid terms run on the
// vector unit (RUN_VEC LIQUID), the SSM is the unchanged S4D stage.
//   polyb: after the SSM, stage layers.i.liquid: s += sum_p gamma_p ^c_p (direction 0,
//          time-reversed: FLAG_REVERSE over the mirrored window of z) [+ gamma'_p c_p
//          (direction 1, forward)].
//   kb:    before the SSM, stage layers.i.liquid_in: u~ = z + sum_p S^(p-1) c_p (the SSM
//          reads u~); after it, layers.i.liquid: s += sum_p (-D S^(p-1)) c_p, so that the
//          D term sees u, not u~ (y = K * u~ + D u).
// Resident activations: z and s are whole rows in the scratchpads, one LIQUID per sequence
// and direction. Streaming: time tiles of T steps, each window of z fetched with the Q
// steps before it (zeros before step 0), single-buffered, one BARRIER per phase.
#include <algorithm>
#include <cmath>

#include "epochcore/compiler/s4_model.h"

namespace epochcore::fw {

namespace {

using cmd::SpadId;
using cmd::VecOp;

uint32_t align32(uint64_t bytes) { return uint32_t((bytes + 31) / 32 * 32); }

struct LiquidStream {
  std::vector<cmd::Record> s;
  void dma(bool in, SpadId spad, uint32_t spad_addr, uint64_t sys, uint32_t row_bytes, uint32_t rows,
           uint32_t sys_stride, uint32_t spad_stride) {
    cmd::DmaDesc d;
    d.sys_addr = sys;
    d.spad = spad;
    d.spad_addr = spad_addr;
    d.row_bytes = row_bytes;
    d.rows = rows;
    d.sys_stride = sys_stride;
    d.spad_stride = spad_stride;
    s.push_back(cmd::encode_dma(in, d));
  }
  void vec(VecOp op, uint8_t flags, SpadId a_spad, uint32_t a, uint32_t a_stride, uint32_t b, uint32_t Q,
           SpadId d_spad, uint32_t dst, uint32_t d_stride, uint32_t channels, uint32_t length) {
    cmd::RunVec v;
    v.op = op;
    v.flags = flags;
    v.a_spad = a_spad;
    v.b_spad = SpadId::PARAM;
    v.d_spad = d_spad;
    v.a_addr = a;
    v.b_addr = b;
    v.d_addr = dst;
    v.channels = uint16_t(channels);
    v.b_stride = uint16_t(Q);
    v.length = length;
    v.a_stride = uint16_t(a_stride);
    v.d_stride = uint16_t(d_stride);
    v.out_scale = 0.0f;  // float formats only (plan_s4_liquid)
    s.push_back(cmd::encode_run_vec(v));
  }
  void barrier() { s.push_back(cmd::encode_barrier()); }
};

}  // namespace

bool s4_liquid_supported(const S4ModelDesc& d, regs::NumberFormat format, std::string* why) {
  if (d.block != BlockKind::LiquidS4) return true;
  const std::string key = "model: block liquid_s4: ";
  if (d.liquid_kernel == LiquidKernel::KBRepo) {
    *why = key + "liquid_kernel: kb_repo is not supported on the accelerator: the repository's kb multiplies "
                 "spectra on two different DFT grids (rfft over 2L, fft over L+1), which is no causal "
                 "convolution the array or the vector unit streams; use kb (the causal form) or the reference";
    return false;
  }
  if (d.allcombs) {
    *why = key + "allcombs: true is not supported on the accelerator: its products come from index sets over "
                 "the last n* steps (itertools.combinations), not from neighbouring steps; the vector unit's "
                 "LIQUID operation forms the neighbouring products (allcombs: false)";
    return false;
  }
  if (d.lcontract != LiquidContract::None) {
    *why = key + "lcontract: tanh and lecun are not supported on the accelerator (the LIQUID operation has no "
                 "squashing function); use lcontract: none";
    return false;
  }
  if (format != regs::NumberFormat::FP32 && format != regs::NumberFormat::BF16 &&
      format != regs::NumberFormat::FP16) {
    *why = key + "the integer number formats are not supported (the liquid terms have no calibrated scales); "
                 "use fp32, bf16 or fp16";
    return false;
  }
  return true;
}

bool plan_s4_liquid(const AccelInfo& hw, const S4ModelJob& job, const S4ModelPlan& plan, S4LiquidSpad* out,
                    std::string* why) {
  const S4ModelDesc& d = *job.desc;
  *out = S4LiquidSpad{};
  if (d.block != BlockKind::LiquidS4) return true;
  if (!s4_liquid_supported(d, plan.format, why)) return false;
  const std::string key = "model: block liquid_s4: ";
  S4LiquidSpad p;
  p.on = true;
  p.kb = d.liquid_kernel == LiquidKernel::KB;
  p.Q = d.liquid_degree - 1;
  const uint32_t dirs = d.bidirectional ? 2 : 1;
  p.dirs = p.kb ? 2 : dirs;  // kb: S^(p-1) and -D S^(p-1)
  if (p.kb && dirs == 2) {
    // One SSM input u~ feeds both directions: the directions' S must agree.
    for (uint32_t i = 0; i < d.n_layers; ++i) {
      const std::vector<double>& S = job.weights->layers[i].liquid.S;
      for (uint32_t h = 0; h < d.H; ++h)
        if (S[h] != S[d.H + h]) {
          *why = key + "tensor layers." + std::to_string(i) + ".layer.liquid.S: channel " + std::to_string(h) +
                 " has different S for the two directions (" + std::to_string(S[h]) + ", " +
                 std::to_string(S[d.H + h]) + "); the accelerator's kb feeds both directions one input u~";
          return false;
        }
    }
  }
  const uint64_t H = d.H, Q = p.Q;
  const uint64_t table_bytes = 4 * p.dirs * H * Q;
  if (table_bytes > hw.spad_bytes[uint8_t(SpadId::PARAM)]) {
    *why = "layers.0.liquid: the coefficient tables need " + std::to_string(table_bytes) +
           " bytes of the parameter scratchpad, have " + std::to_string(hw.spad_bytes[uint8_t(SpadId::PARAM)]);
    return false;
  }
  p.table = 0;
  if (plan.resident) {
    *out = p;
    return true;
  }
  // Streaming: the widest tile (halving from min(L, job.max_tile_steps or 4096)) whose
  // windows and tile fit.
  const uint32_t windows = p.kb ? 1 : dirs;
  const uint32_t cap = job.max_tile_steps ? job.max_tile_steps : 4096;
  for (uint32_t T = std::min<uint32_t>(d.L, cap);; T = (T + 1) / 2) {
    const uint64_t win_bytes = align32(4 * H * (T + Q));
    const uint64_t in_bytes = windows * win_bytes, out_bytes = 4 * H * T;
    if (in_bytes <= hw.spad_bytes[uint8_t(SpadId::INPUT)] && out_bytes <= hw.spad_bytes[uint8_t(SpadId::OUTPUT)]) {
      p.T = T;
      p.win[0] = 0;
      p.win[1] = uint32_t(win_bytes);
      p.out = 0;
      *out = p;
      return true;
    }
    if (T == 1) break;
  }
  *why = "layers.0.liquid: no time tile fits: one step of " + std::to_string(H) + " channels with " +
         std::to_string(Q) + " history words exceeds the input or output scratchpad";
  return false;
}

std::vector<float> s4_liquid_tables(const S4ModelDesc& d, const S4BlockWeights& b) {
  const size_t H = d.H, Q = d.liquid_degree - 1;
  std::vector<float> t;
  if (d.liquid_kernel == LiquidKernel::PolyB) {
    const size_t dirs = d.bidirectional ? 2 : 1;
    t.resize(dirs * H * Q);
    for (size_t dir = 0; dir < dirs; ++dir)
      for (size_t h = 0; h < H; ++h)
        for (size_t k = 0; k < Q; ++k) t[(dir * H + h) * Q + k] = float(b.liquid.gamma[(dir * Q + k) * H + h]);
    return t;
  }
  t.resize(2 * H * Q);
  for (size_t h = 0; h < H; ++h)
    for (size_t k = 0; k < Q; ++k) {
      const double f = std::pow(b.liquid.S[h], double(k + 1));  // S^(p-1), p = k+2
      t[h * Q + k] = float(f);
      t[(H + h) * Q + k] = float(-b.ssm.D[h] * f);
    }
  return t;
}

std::vector<cmd::Record> build_s4_liquid_stream(const AccelInfo& hw, const S4ModelDesc& d,
                                                const S4ModelPlan& plan, uint32_t layer, bool before) {
  (void)hw;  // the plan holds every size the stream needs
  const S4LiquidSpad& p = plan.liquid;
  const S4ModelLayout& m = plan.mem;
  const uint32_t H = d.H, L = d.L, Q = p.Q, S = m.S;
  LiquidStream st;
  // The stage's tables into PARAM: kb before the SSM uses table 0, after it table 1.
  const uint32_t table_words = H * Q;
  st.dma(true, SpadId::PARAM, p.table, m.layers[layer].liquid, 4 * table_words * p.dirs, 1, 0, 0);
  st.barrier();
  const uint8_t acc = cmd::FLAG_ACCUMULATE;
  // The passes of this stage: (table, reversed). kb: one forward pass; polyb: direction 0
  // reversed, direction 1 forward.
  struct Pass {
    uint32_t table;
    bool reverse;
  };
  std::vector<Pass> passes;
  if (p.kb)
    passes.push_back({before ? 0u : 1u, false});
  else
    for (uint32_t dir = 0; dir < p.dirs; ++dir) passes.push_back({dir, dir == 0});
  const uint8_t base_flags = before ? 0 : acc;  // kb before: u~ = z + ..., else s += ...

  if (plan.resident) {  // z (INPUT) and s (OUTPUT) rows in place; kb never runs resident
    const S4ResidentSpad& r = plan.res;
    for (uint32_t q = 0; q < S; ++q)
      for (const Pass& ps : passes)
        st.vec(VecOp::LIQUID, uint8_t(base_flags | (ps.reverse ? cmd::FLAG_REVERSE : 0)), SpadId::INPUT,
               r.z + 4 * q * H * r.z_row_words, r.z_row_words, p.table + 4 * ps.table * table_words, Q,
               SpadId::OUTPUT, r.s + 4 * q * H * r.s_row_words, r.s_row_words, H, L);
    st.barrier();
    st.s.push_back(cmd::encode_end());
    return st.s;
  }

  const uint64_t row = 4ull * L;  // system-memory row of one channel
  const uint64_t dst_base = before ? m.zt : m.s;
  for (uint32_t q = 0; q < S; ++q) {
    const uint64_t zq = m.z + uint64_t(q) * H * row, dq = dst_base + uint64_t(q) * H * row;
    for (uint32_t t0 = 0; t0 < L; t0 += p.T) {
      const uint32_t w = std::min(p.T, L - t0);
      // The s tile (accumulating passes).
      if (!before) st.dma(true, SpadId::OUTPUT, p.out, dq + 4ull * t0, 4 * w, H, uint32_t(row), 4 * w);
      // Each pass's window of z: [a - Q, a + w), zeros before step 0.
      for (size_t i = 0; i < passes.size(); ++i) {
        const uint32_t a = passes[i].reverse ? L - t0 - w : t0;
        const uint32_t real = std::min(a, Q), zeros = Q - real;
        const uint32_t win = p.win[i];
        if (zeros)
          st.vec(VecOp::ZERO, 0, SpadId::INPUT, 0, 0, 0, 0, SpadId::INPUT, win, w + Q, H, zeros);
        st.dma(true, SpadId::INPUT, win + 4 * zeros, zq + 4ull * (a - real), 4 * (w + real), H, uint32_t(row),
               4 * (w + Q));
      }
      st.barrier();
      for (size_t i = 0; i < passes.size(); ++i)
        st.vec(VecOp::LIQUID,
               uint8_t(base_flags | cmd::FLAG_HISTORY | (passes[i].reverse ? cmd::FLAG_REVERSE : 0)),
               SpadId::INPUT, p.win[i] + 4 * Q, w + Q, p.table + 4 * passes[i].table * table_words, Q,
               SpadId::OUTPUT, p.out, w, H, w);
      st.barrier();
      st.dma(false, SpadId::OUTPUT, p.out, dq + 4ull * t0, 4 * w, H, uint32_t(row), 4 * w);
      st.barrier();
    }
  }
  st.s.push_back(cmd::encode_end());
  return st.s;
}

}  // namespace epochcore::fw
