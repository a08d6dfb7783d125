// Model compiler, command streams of the encoder, the block tails and the head
// (docs/model-compiler.md). Time tiles are double-buffered: the DMA_IN of tile j+1 and
// the DMA_OUT of tile j-1 run while tile j computes, with one BARRIER per tile. A tile
// spans several n-blocks of <= cols steps; its GEMMs run per n-block.
#include <algorithm>

#include "epochcore/compiler/s4_model.h"

namespace epochcore::fw {

namespace {

using cmd::SpadId;
using cmd::VecOp;

// One RUN_VEC operand: scratchpad, byte offset, words between rows.
struct Opnd {
  SpadId spad = SpadId::INPUT;
  uint32_t addr = 0;
  uint32_t stride = 0;
};

class Stream {
 public:
  std::vector<cmd::Record> s;

  void dma(bool in, SpadId spad, uint32_t spad_addr, uint64_t sys, uint64_t row_bytes, uint32_t rows,
           uint64_t sys_stride, uint64_t spad_stride) {
    cmd::DmaDesc d;
    d.sys_addr = sys;
    d.spad = spad;
    d.spad_addr = spad_addr;
    d.row_bytes = uint32_t(row_bytes);
    d.rows = rows;
    d.sys_stride = uint32_t(sys_stride);
    d.spad_stride = uint32_t(spad_stride);
    s.push_back(cmd::encode_dma(in, d));
  }
  // A contiguous block of `bytes` as rows of `row_bytes`.
  void load(SpadId spad, uint32_t spad_addr, uint64_t sys, uint64_t row_bytes, uint32_t rows) {
    dma(true, spad, spad_addr, sys, row_bytes, rows, row_bytes, row_bytes);
  }
  void barrier() { s.push_back(cmd::encode_barrier()); }
  void end() {
    barrier();
    s.push_back(cmd::encode_end());
  }
  void gemm(uint32_t param, uint32_t in, uint32_t in_stride, uint32_t out, uint32_t out_stride, uint32_t k,
            uint32_t n, uint32_t m, bool accumulate) {
    cmd::RunGemm g;
    g.flags = accumulate ? uint8_t(cmd::FLAG_ACCUMULATE) : 0;
    g.param_addr = param;
    g.in_addr = in;
    g.in_stride = in_stride;
    g.out_addr = out;
    g.out_stride = out_stride;
    g.k = uint16_t(k);
    g.n = uint16_t(n);
    g.m = m;
    s.push_back(cmd::encode_run_gemm(g));
  }
  // GEMM with a stationary [K][n] tile (row-major at `param`), folded over K by `rows`:
  // out[i][j] (+)= sum_k in[i][k] * tile[k][j] for the m rows of `in`.
  void gemm_folds(uint32_t rows, uint32_t K, uint32_t param, uint32_t in, uint32_t in_stride, uint32_t out,
                  uint32_t out_stride, uint32_t n, uint32_t m) {
    for (uint32_t k0 = 0; k0 < K; k0 += rows)
      gemm(param + 4 * k0 * n, in + 4 * k0, in_stride, out, out_stride, std::min(rows, K - k0), n, m, k0 > 0);
  }
  void vec(VecOp op, Opnd a, Opnd b, Opnd d, uint32_t channels, uint32_t length, float scale,
           uint8_t flags = 0) {
    cmd::RunVec v;
    v.op = op;
    v.flags = flags;
    v.a_spad = a.spad;
    v.b_spad = b.spad;
    v.d_spad = d.spad;
    v.a_addr = a.addr;
    v.b_addr = b.addr;
    v.d_addr = d.addr;
    v.channels = uint16_t(channels);
    v.b_stride = uint16_t(b.stride);
    v.length = length;
    v.a_stride = uint16_t(a.stride);
    v.d_stride = uint16_t(d.stride);
    v.out_scale = scale;
    s.push_back(cmd::encode_run_vec(v));
  }
};

const Opnd kUnused{};
Opnd param(uint32_t addr, uint32_t stride = 0) { return {SpadId::PARAM, addr, stride}; }
Opnd input(uint32_t addr, uint32_t stride) { return {SpadId::INPUT, addr, stride}; }
Opnd output(uint32_t addr, uint32_t stride) { return {SpadId::OUTPUT, addr, stride}; }

// One time tile of one sequence: steps [t0, t0 + width), `valid` of them before the length.
struct Tile {
  uint32_t q = 0, t0 = 0, width = 0, valid = 0;
  bool first = false, last = false;  // first / last tile of its sequence in the list
};

uint32_t valid_steps(uint32_t t0, uint32_t width, uint32_t len) { return len > t0 ? std::min(width, len - t0) : 0; }

// Splits list[i] after `head` steps (a multiple of N) into two tiles.
void split_tile(std::vector<Tile>& list, size_t i, uint32_t head, uint32_t len) {
  Tile a = list[i], b = list[i];
  a.width = head;
  a.last = false;
  b.t0 += head;
  b.width -= head;
  b.first = false;
  a.valid = valid_steps(a.t0, a.width, len);
  b.valid = valid_steps(b.t0, b.width, len);
  list[i] = a;
  list.insert(list.begin() + i + 1, b);
}

// Every tile, or (skip_padding) only the n-blocks of N steps that hold valid steps. Tiles
// start at multiples of N, so n-block boundaries fall where they would with N-wide tiles.
// ramp: the stream's first and last tiles are one n-block each, because the first fetch
// and the last store overlap no compute (for compute-bound streams: the tails).
std::vector<Tile> tiles(const S4ModelPlan& plan, uint32_t L, uint32_t T, uint32_t N, bool skip_padding,
                        bool ramp) {
  std::vector<Tile> list;
  for (uint32_t q = 0; q < plan.mem.S; ++q) {
    const uint32_t len = plan.lengths[q];
    const uint32_t end = skip_padding ? len : L;
    for (uint32_t t0 = 0; t0 < end; t0 += T) {
      Tile t;
      t.q = q;
      t.t0 = t0;
      t.width = std::min(T, L - t0);
      if (skip_padding) t.width = std::min(t.width, (len - t0 + N - 1) / N * N);
      t.valid = valid_steps(t0, t.width, len);
      t.first = t0 == 0;
      t.last = t0 + T >= end;
      list.push_back(t);
    }
  }
  if (!ramp) return list;
  if (list.front().width > N) split_tile(list, 0, N, plan.lengths[list.front().q]);
  if (list.back().width > N)
    split_tile(list, list.size() - 1, (list.back().width - 1) / N * N, plan.lengths[list.back().q]);
  return list;
}

// BatchNorm (folded, AFFINE) or LayerNorm with the parameter block at `params`.
void norm(Stream& st, const S4ModelDesc& d, Opnd src, Opnd dst, uint32_t params, uint32_t width,
          float scale) {
  st.vec(d.norm == NormKind::Batch ? VecOp::AFFINE : VecOp::LAYERNORM, src, param(params), dst, d.H, width,
         scale);
}

// The next SSM's input z = prenorm ? norm(x) : x, zeroed from the valid length on.
// Returns the output-scratchpad offset z is stored from (x's own when nothing changes).
uint32_t ssm_input(Stream& st, const S4ModelDesc& d, const Tile& t, uint32_t xo, uint32_t zo,
                   uint32_t norm_params, float scale) {
  const uint32_t w = t.width;
  if (!d.prenorm && t.valid == w) return xo;
  if (d.prenorm)
    norm(st, d, output(xo, w), output(zo, w), norm_params, w, scale);
  else
    st.vec(VecOp::COPY, output(xo, w), kUnused, output(zo, w), d.H, w, scale);
  if (t.valid < w) st.vec(VecOp::ZERO, kUnused, kUnused, output(zo + 4 * t.valid, w), d.H, w - t.valid, scale);
  return zo;
}

// Resident: the z rows of tile t (steps t0.. of sequence q's H rows).
Opnd z_rows(const S4ModelPlan& plan, const S4ModelDesc& d, const Tile& t) {
  const uint64_t row = uint64_t(t.q) * d.H * plan.res.z_row_words;
  return input(uint32_t(plan.res.z + 4 * (row + t.t0)), plan.res.z_row_words);
}

// Resident: the next SSM's input z = prenorm ? norm(x) : x written into its rows, zeroed
// from the valid length on. Streaming does the same ops, but stores x itself when it is
// z unchanged; here that is a COPY at x's own scale, which leaves every value as it is.
void resident_ssm_input(Stream& st, const S4ModelDesc& d, const Tile& t, Opnd x, Opnd z, uint32_t norm_params,
                        float z_scale, float x_scale) {
  const uint32_t w = t.width;
  if (d.prenorm)
    norm(st, d, x, z, norm_params, w, z_scale);
  else
    st.vec(VecOp::COPY, x, kUnused, z, d.H, w, t.valid < w ? z_scale : x_scale);
  if (t.valid < w) {
    const Opnd pad{z.spad, z.addr + 4 * t.valid, z.stride};
    st.vec(VecOp::ZERO, kUnused, kUnused, pad, d.H, w - t.valid, z_scale);
  }
}

// DMA_OUT of an [H][width] tile to an [S][H][L] activation array.
void store_tile(Stream& st, const S4ModelDesc& d, const Tile& t, uint32_t spad_addr, uint64_t array) {
  const uint64_t L = d.L;
  st.dma(false, SpadId::OUTPUT, spad_addr, array + 4 * (uint64_t(t.q) * d.H * L + t.t0), 4ull * t.width, d.H,
         4 * L, 4ull * t.width);
}

// DMA_OUT of rows h0..H-1 of an [H][width] tile (partial residency: rows below h0 are
// resident); nothing when h0 = H.
void store_rows(Stream& st, const S4ModelDesc& d, const Tile& t, uint32_t spad_addr, uint64_t array, uint32_t h0) {
  if (h0 >= d.H) return;
  const uint64_t L = d.L;
  st.dma(false, SpadId::OUTPUT, spad_addr + 4 * h0 * t.width, array + 4 * ((uint64_t(t.q) * d.H + h0) * L + t.t0),
         4ull * t.width, d.H - h0, 4 * L, 4ull * t.width);
}

// Partial residency: the tile's first hr channels of z (at output offset z, as the
// streaming form computed it) copied into their resident rows, at the scale z was last
// rounded to (so no value changes).
void copy_resident_z(Stream& st, const S4ModelPlan& plan, const S4ModelDesc& d, const Tile& t, uint32_t z,
                     uint32_t hr, float scale) {
  if (hr) st.vec(VecOp::COPY, output(z, t.width), kUnused, z_rows(plan, d, t), hr, t.width, scale);
}

}  // namespace

std::vector<cmd::Record> build_s4_encoder_stream(const AccelInfo& hw, const S4ModelDesc& d,
                                                 const S4ModelPlan& plan) {
  const S4EncoderSpad& e = plan.enc;
  const S4ModelLayout& m = plan.mem;
  const uint64_t H = d.H, L = d.L, F = d.d_input;
  const bool tokens = d.input == InputKind::Tokens;
  const float x_scale = plan.scales.encoder_out, z_scale = plan.scales.layers[0].ssm_in;
  const bool mamba = d.block == BlockKind::Mamba;  // x only: the block stream norms it itself
  Stream st;
  if (tokens) {
    st.load(SpadId::PARAM, e.table, m.embedding, 4 * H, uint32_t(F));
  } else {
    st.load(SpadId::INPUT, e.w_enc, m.enc_weight, 4 * F, uint32_t(H));
    st.load(SpadId::PARAM, e.affine, m.enc_affine, 8 * H, 1);
  }
  if (d.prenorm && !mamba) st.load(SpadId::PARAM, e.norm, m.layers[0].norm, 4ull * m.norm_words, 1);
  // No ramp: the encoder is DMA-bound (its vector work is small), short tiles cost more.
  const std::vector<Tile> list = tiles(plan, d.L, e.T, e.N, false, false);
  auto fetch = [&](const Tile& t, int slot) {
    if (tokens)
      st.load(SpadId::INPUT, e.in_slot[slot], m.inputs + 4 * (t.q * L + t.t0), 4ull * t.width, 1);
    else  // the tile's stationary [F][n] blocks, contiguous in memory (s4_model_image.cpp)
      st.load(SpadId::PARAM, e.in_slot[slot], m.inputs + 4 * (t.q * F * L + F * t.t0), 4 * F * t.width, 1);
  };
  fetch(list[0], 0);
  st.barrier();
  for (size_t j = 0; j < list.size(); ++j) {
    const Tile& t = list[j];
    const int slot = int(j % 2);
    const uint32_t w = t.width;
    if (j + 1 < list.size()) fetch(list[j + 1], 1 - slot);
    if (tokens) {
      st.vec(VecOp::EMBED, input(e.in_slot[slot], 0), param(e.table, uint32_t(F)), output(e.xo[slot], w),
             d.H, w, x_scale);
    } else {
      // Per n-block, the [F][n] input block stationary and the encoder rows W[h][f0..]
      // streaming: u[h][t] = sum_f W[h][f] in[f][t], into columns j0.. of u [H][w].
      for (uint32_t j0 = 0; j0 < w; j0 += e.N) {
        const uint32_t n = std::min(e.N, w - j0);
        st.gemm_folds(hw.rows, uint32_t(F), e.in_slot[slot] + uint32_t(4 * F * j0), e.w_enc, uint32_t(4 * F),
                      e.u + 4 * j0, 4 * w, n, d.H);
      }
      st.vec(VecOp::AFFINE, output(e.u, w), param(e.affine), output(e.xo[slot], w), d.H, w, x_scale);
    }
    if (mamba) {
      st.barrier();
      store_tile(st, d, t, e.xo[slot], m.x);
      continue;
    }
    if (plan.resident) {
      resident_ssm_input(st, d, t, output(e.xo[slot], w), z_rows(plan, d, t), e.norm, z_scale, x_scale);
      st.barrier();
      store_tile(st, d, t, e.xo[slot], m.x);
      continue;
    }
    const uint32_t z = ssm_input(st, d, t, e.xo[slot], e.zo[slot], e.norm, z_scale);
    const uint32_t hr = resident_channels(plan, d.H, t.q);  // partial residency, else 0
    copy_resident_z(st, plan, d, t, z, hr, z == e.xo[slot] ? x_scale : z_scale);
    st.barrier();
    store_tile(st, d, t, e.xo[slot], m.x);
    store_rows(st, d, t, z, m.z, hr);
  }
  st.end();
  return st.s;
}

std::vector<cmd::Record> build_s4_tail_stream(const AccelInfo& hw, const S4ModelDesc& d,
                                              const S4ModelPlan& plan, uint32_t layer) {
  const S4TailSpad& p = plan.tail;
  const S4ModelLayout& m = plan.mem;
  const S4BlockScales& sc = plan.scales.layers[layer];
  const bool last_block = layer + 1 == d.n_layers;
  const uint64_t H = d.H, L = d.L;
  Stream st;
  st.load(SpadId::INPUT, p.w_out, m.layers[layer].w_out, 4 * H, uint32_t(2 * H));  // resident
  st.load(SpadId::PARAM, p.affine, m.layers[layer].out_affine, 16 * H, 1);
  const uint64_t norm_bytes = 4ull * m.norm_words;
  if (!d.prenorm) st.load(SpadId::PARAM, p.norm_post, m.layers[layer].norm, norm_bytes, 1);
  if (d.prenorm)  // the next block's prenorm, or the final norm after the last block
    st.load(SpadId::PARAM, p.norm_next, last_block ? m.final_norm : m.layers[layer + 1].norm, norm_bytes, 1);
  // The last block only pools the valid steps: its padded tiles are not needed.
  const std::vector<Tile> list = tiles(plan, d.L, p.T, p.N, last_block, true);
  auto fetch = [&](const Tile& t, int slot) {
    const uint64_t at = 4 * (uint64_t(t.q) * H * L + t.t0);
    // resident: s is already in the output scratchpad; partial: its first hr rows are.
    const uint32_t hr = plan.resident ? d.H : resident_channels(plan, d.H, t.q);
    if (hr < d.H)
      st.dma(true, SpadId::INPUT, p.s_slot[slot] + 4 * hr * t.width, m.s + at + 4 * hr * L, 4ull * t.width,
             d.H - hr, 4 * L, 4ull * t.width);
    st.dma(true, SpadId::INPUT, p.x_slot[slot], m.x + at, 4ull * t.width, d.H, 4 * L, 4ull * t.width);
    if (last_block && t.first) st.load(SpadId::PARAM, p.pool_scale[t.q % 2], m.pool_scale + 8 * H * t.q, 8 * H, 1);
  };
  fetch(list[0], 0);
  st.barrier();
  for (size_t j = 0; j < list.size(); ++j) {
    const Tile& t = list[j];
    const int slot = int(j % 2);
    const uint32_t w = t.width;
    if (j + 1 < list.size()) fetch(list[j + 1], 1 - slot);
    // Per n-block: g = GELU(s columns j0..j0+n-1), written as the stationary [H][n] block
    // of the W_out GEMM, whose 2H rows stream into columns j0.. of u [2H][w].
    const uint32_t s_words = plan.res.s_row_words;
    const Opnd s_tile = plan.resident
        ? output(uint32_t(plan.res.s + 4 * (uint64_t(t.q) * H * s_words + t.t0)), s_words)
        : input(p.s_slot[slot], w);
    // Partial residency: GELU of the first hr channels from their resident rows, of the
    // rest from the slot (elementwise: the same values as one GELU over all H).
    const uint32_t hr = plan.partial ? resident_channels(plan, d.H, t.q) : 0;
    const Opnd s_rows = output(uint32_t(plan.res.s + 4 * (uint64_t(t.q) * H * s_words + t.t0)), s_words);
    auto gelu = [&](uint32_t j0) {
      const uint32_t n = std::min(p.N, w - j0), g = p.g + uint32_t(4 * H * j0);
      const Opnd s_block{s_tile.spad, s_tile.addr + 4 * j0, s_tile.stride};
      if (plan.partial) {
        if (hr) st.vec(VecOp::GELU, {s_rows.spad, s_rows.addr + 4 * j0, s_rows.stride}, kUnused, param(g, n), hr, n,
                       sc.gelu);
        if (hr < d.H)
          st.vec(VecOp::GELU, {s_block.spad, s_block.addr + 4 * hr * w, s_block.stride}, kUnused,
                 param(g + 4 * hr * n, n), d.H - hr, n, sc.gelu);
      } else {
        st.vec(VecOp::GELU, s_block, kUnused, param(g, n), d.H, n, sc.gelu);
      }
    };
    auto gemm = [&](uint32_t j0) {
      const uint32_t n = std::min(p.N, w - j0), g = p.g + uint32_t(4 * H * j0);
      st.gemm_folds(hw.rows, d.H, g, p.w_out, uint32_t(4 * H), p.u + 4 * j0, 4 * w, n, uint32_t(2 * H));
    };
    if (!hw.compute_queues) {
      for (uint32_t j0 = 0; j0 < w; j0 += p.N) {
        gelu(j0);
        gemm(j0);
      }
    } else {
      // Two compute queues (HW_FEATURES.COMPUTE_QUEUES): the GELU of n-block b+1 is issued
      // before the GEMM folds of n-block b, so the vector unit computes it while the
      // array runs them (its own block of g: no hazard). Same commands, same results.
      gelu(0);
      for (uint32_t j0 = 0; j0 < w; j0 += p.N) {
        if (j0 + p.N < w) gelu(j0 + p.N);
        gemm(j0);
      }
    }
    st.vec(VecOp::AFFINE, output(p.u, w), param(p.affine), output(p.u, w), 2 * d.H, w, sc.linear);
    st.vec(VecOp::GLU, output(p.u, w), kUnused, output(p.y, w), d.H, w, sc.glu);
    const uint32_t xo = p.xo[slot];
    st.vec(VecOp::ADD, input(p.x_slot[slot], w), output(p.y, w), output(d.prenorm ? xo : p.r, w), d.H, w,
           sc.residual);
    // Resident post-norm tile without padding: z is x' itself, so the norm writes the z
    // rows and x' is stored from them (no COPY).
    if (plan.resident && !last_block && !d.prenorm && t.valid == w) {
      const Opnd z = z_rows(plan, d, t);
      norm(st, d, output(p.r, w), z, p.norm_post, w, sc.out);
      st.barrier();
      st.dma(false, SpadId::INPUT, z.addr, m.x + 4 * (uint64_t(t.q) * H * L + t.t0), 4ull * w, d.H, 4 * L,
             4ull * z.stride);
      continue;
    }
    if (!d.prenorm) norm(st, d, output(p.r, w), output(xo, w), p.norm_post, w, sc.out);
    if (!last_block && plan.resident) {
      resident_ssm_input(st, d, t, output(xo, w), z_rows(plan, d, t), p.norm_next,
                         plan.scales.layers[layer + 1].ssm_in, sc.out);
      st.barrier();
      store_tile(st, d, t, xo, m.x);
      continue;
    }
    if (!last_block) {
      const float z_scale = plan.scales.layers[layer + 1].ssm_in;
      const uint32_t z = ssm_input(st, d, t, xo, p.zo[slot], p.norm_next, z_scale);
      copy_resident_z(st, plan, d, t, z, hr, z == xo ? sc.out : z_scale);  // partial residency
      st.barrier();
      store_tile(st, d, t, xo, m.x);
      store_rows(st, d, t, z, m.z, hr);
      continue;
    }
    uint32_t pooled = xo;
    if (d.prenorm) {
      norm(st, d, output(xo, w), output(p.f, w), p.norm_next, w, plan.scales.final_norm);
      pooled = p.f;
    }
    const uint32_t pool = p.pool[t.q % 2];
    // One POOL_SUM per n-block, so the float sums do not depend on the tile width.
    for (uint32_t j0 = 0; j0 < t.valid; j0 += p.N)
      st.vec(VecOp::POOL_SUM, output(pooled + 4 * j0, w), kUnused, output(pool, 1), d.H,
             std::min(p.N, t.valid - j0), plan.scales.pool_sum,
             t.first && j0 == 0 ? 0 : uint8_t(cmd::FLAG_ACCUMULATE));
    if (t.last)  // mean = sum * (1/len)
      st.vec(VecOp::AFFINE, output(pool, 1), param(p.pool_scale[t.q % 2]), output(pool, 1), d.H, 1,
             plan.scales.features);
    st.barrier();
    if (t.last) {
      const uint64_t col = uint64_t(t.q % m.docs) * m.B + t.q / m.docs;
      st.dma(false, SpadId::OUTPUT, pool, m.features + 4 * col, 4, d.H, 4ull * m.S, 4);
    }
  }
  st.end();
  return st.s;
}

std::vector<cmd::Record> build_s4_head_stream(const AccelInfo& hw, const S4ModelDesc& d,
                                              const S4ModelPlan& plan) {
  const S4HeadSpad& h = plan.head;
  const S4ModelLayout& m = plan.mem;
  const S4ModelScales& sc = plan.scales;
  const uint64_t H = d.H, C = d.classes, S = m.S, B = m.B;
  Stream st;
  if (!d.retrieval) {
    // Features stationary ([H][n] per column block), decoder rows streaming.
    st.load(SpadId::INPUT, h.w, m.head_w, 4 * H, uint32_t(C));
    st.load(SpadId::PARAM, h.affine, m.head_affine, 8 * C, 1);
    for (uint32_t n0 = 0; n0 < S; n0 += h.n_max) {
      const uint32_t n = std::min<uint32_t>(h.n_max, uint32_t(S - n0));
      st.dma(true, SpadId::PARAM, h.tile + uint32_t(4 * H * n0), m.features + 4ull * n0, 4ull * n, d.H, 4 * S,
             4ull * n);
    }
    st.barrier();
    for (uint32_t n0 = 0; n0 < S; n0 += h.n_max) {
      const uint32_t n = std::min<uint32_t>(h.n_max, uint32_t(S - n0));
      st.gemm_folds(hw.rows, d.H, h.tile + uint32_t(4 * H * n0), h.w, uint32_t(4 * H), h.logits + 4 * n0,
                    uint32_t(4 * S), n, d.classes);
    }
    st.vec(VecOp::AFFINE, output(h.logits, uint32_t(S)), param(h.affine), output(h.logits, uint32_t(S)),
           d.classes, uint32_t(S), sc.logits);
  } else {
    st.load(SpadId::INPUT, h.w, m.head_w, 16 * H, d.H);
    st.load(SpadId::INPUT, h.w2, m.head_w2, 4 * H, uint32_t(C));
    st.load(SpadId::PARAM, h.affine, m.head_affine, 8 * H, 1);
    st.load(SpadId::PARAM, h.affine2, m.head_affine2, 8 * C, 1);
    st.load(SpadId::OUTPUT, h.feat, m.features, 4 * S, d.H);
    st.barrier();
    for (uint32_t n0 = 0; n0 < B; n0 += h.n_max) {
      const uint32_t n = std::min<uint32_t>(h.n_max, uint32_t(B - n0));
      // [f_a; f_b; f_a - f_b; f_a * f_b] as the stationary [4H][n] tile (columns n0.. of
      // the first documents at feature column n0, of the second at B + n0).
      const Opnd fa = output(h.feat + 4 * n0, uint32_t(S)), fb = output(h.feat + uint32_t(4 * (B + n0)), uint32_t(S));
      auto part = [&](uint32_t i) { return param(h.tile + uint32_t(4 * H * n * i), n); };
      st.vec(VecOp::COPY, fa, kUnused, part(0), d.H, n, sc.head_in);
      st.vec(VecOp::COPY, fb, kUnused, part(1), d.H, n, sc.head_in);
      st.vec(VecOp::SUB, fa, fb, part(2), d.H, n, sc.head_in);
      st.vec(VecOp::MUL, fa, fb, part(3), d.H, n, sc.head_in);
      const Opnd hid = output(h.hidden + 4 * n0, uint32_t(B));
      st.gemm_folds(hw.rows, 4 * d.H, h.tile, h.w, uint32_t(16 * H), hid.addr, uint32_t(4 * B), n, d.H);
      st.vec(VecOp::AFFINE, hid, param(h.affine), hid, d.H, n, sc.head_hidden);
      st.vec(VecOp::GELU, hid, kUnused, param(h.hg, n), d.H, n, sc.head_gelu);
      const Opnd lg = output(h.logits + 4 * n0, uint32_t(B));
      st.gemm_folds(hw.rows, d.H, h.hg, h.w2, uint32_t(4 * H), lg.addr, uint32_t(4 * B), n, d.classes);
      st.vec(VecOp::AFFINE, lg, param(h.affine2), lg, d.classes, n, sc.logits);
    }
  }
  const uint64_t cols = d.retrieval ? B : S;  // [C][B] either way (S = B without retrieval)
  st.barrier();
  st.dma(false, SpadId::OUTPUT, h.logits, m.logits, 4 * cols, d.classes, 4 * cols, 4 * cols);
  st.end();
  return st.s;
}

std::vector<cmd::Record> build_mamba_block_stream(const AccelInfo& hw, const S4ModelDesc& d,
                                                  const S4ModelPlan& plan, uint32_t layer) {
  const S4MambaSpad& p = plan.mamba;
  const S4ModelLayout& m = plan.mem;
  const S4ModelLayout::MambaBlock& mb = m.mamba[layer];
  const bool last_block = layer + 1 == d.n_layers;
  const uint32_t H = d.H, L = d.L, Din = mamba_inner_width(d), R = mamba_dt_rank(d), N = d.d_state,
                 K = d.d_conv, nb = p.N;
  Stream st;
  // Weights and parameters, resident for the whole stream.
  st.load(SpadId::INPUT, p.w_in, mb.w_in, 4ull * H, 2 * Din);
  st.load(SpadId::INPUT, p.w_x, mb.w_x, 4ull * Din, R + 2 * N);
  st.load(SpadId::INPUT, p.w_dt, mb.w_dt, 4ull * R, Din);
  st.load(SpadId::INPUT, p.w_out, mb.w_out, 4ull * Din, H);
  st.load(SpadId::PARAM, p.norm, mb.norm, 4ull * (H + 1), 1);
  st.load(SpadId::PARAM, p.conv, mb.conv, 4ull * Din * (K + 1), 1);
  st.load(SpadId::PARAM, p.dt_affine, mb.dt_affine, 8ull * Din, 1);
  st.load(SpadId::PARAM, p.records, mb.records, uint64_t(N) * sizeof(cmd::CoeffRecord), Din);
  if (last_block) st.load(SpadId::PARAM, p.norm_f, m.final_norm, 4ull * (H + 1), 1);
  for (uint32_t q = 0; q < m.S; ++q) {
    const uint64_t xq = m.x + 4ull * q * H * L;
    st.load(SpadId::INPUT, p.x, xq, 4ull * L, H);
    if (last_block) st.load(SpadId::PARAM, p.pool_scale, m.pool_scale + 8ull * H * q, 8ull * H, 1);
    st.barrier();
    // in_proj: per n-block, RMSNorm(x) as the stationary [H][n] block, W_in's 2Din rows
    // streaming into columns j0.. of xz [2Din][L].
    for (uint32_t j0 = 0; j0 < L; j0 += nb) {
      const uint32_t n = std::min(nb, L - j0), blk = p.st_in + 4 * H * j0;
      st.vec(VecOp::RMSNORM, input(p.x + 4 * j0, L), param(p.norm), param(blk, n), H, n, 0.0f);
      st.gemm_folds(hw.rows, H, blk, p.w_in, 4 * H, p.xz + 4 * j0, 4 * L, n, 2 * Din);
    }
    // u = SiLU(conv1d(x half)) into the scan's input rows (causal, zero history).
    st.vec(VecOp::CONV1D, output(p.xz, L), param(p.conv, K), input(p.u, p.su), Din, L, 0.0f);
    st.vec(VecOp::SILU, input(p.u, p.su), kUnused, input(p.u, p.su), Din, L, 0.0f);
    // x_proj: u stationary ([Din][n] blocks, COPY: exact in fp32) -> dbl [R+2N][L].
    for (uint32_t j0 = 0; j0 < L; j0 += nb) {
      const uint32_t n = std::min(nb, L - j0), blk = p.st_u + 4 * Din * j0;
      st.vec(VecOp::COPY, input(p.u + 4 * j0, p.su), kUnused, param(blk, n), Din, n, 0.0f);
      st.gemm_folds(hw.rows, Din, blk, p.w_x, 4 * Din, p.dbl + 4 * j0, 4 * L, n, R + 2 * N);
    }
    // dt_proj: dbl's first R rows stationary -> delta [Din][L]; Delta = softplus(delta +
    // dt_bias) into the scan's Delta rows.
    for (uint32_t j0 = 0; j0 < L; j0 += nb) {
      const uint32_t n = std::min(nb, L - j0), blk = p.st_dt + 4 * R * j0;
      st.vec(VecOp::COPY, output(p.dbl + 4 * j0, L), kUnused, param(blk, n), R, n, 0.0f);
      st.gemm_folds(hw.rows, R, blk, p.w_dt, 4 * R, p.delta + 4 * j0, 4 * L, n, Din);
    }
    st.vec(VecOp::AFFINE, output(p.delta, L), param(p.dt_affine), input(p.dl, p.su), Din, L, 0.0f);
    st.vec(VecOp::SOFTPLUS, input(p.dl, p.su), kUnused, input(p.dl, p.su), Din, L, 0.0f);
    // The coefficient blocks: row R + j of dbl (B_t[j] for j < N, then C_t[j - N]) is
    // word j of every step's block. A COPY of L rows of one word transposes it: source
    // row t = dbl[R + j][t] (a_stride 1), destination row t = block t (d_stride = block).
    for (uint32_t j = 0; j < 2 * N; ++j)
      st.vec(VecOp::COPY, output(p.dbl + 4 * (R + j) * L, 1), kUnused, param(p.coef + 4 * j, p.coef_words), L, 1,
             0.0f);
    // The scan: per fold of pass_channels channels, LOAD_COEFFS (A, D), RUN_SCAN over L.
    for (uint32_t c0 = 0; c0 < Din; c0 += p.pass_channels) {
      const uint32_t segs = std::min(p.pass_channels, Din - c0);
      cmd::LoadCoeffs lc;
      lc.param_addr = p.records + uint32_t(c0 * N * sizeof(cmd::CoeffRecord));
      lc.n_seg = segs;
      lc.seg_len = N;
      st.s.push_back(cmd::encode_load_coeffs(lc));
      cmd::RunScan r;
      r.flags = cmd::FLAG_RESET_STATE;
      r.coef_spad = SpadId::PARAM;
      r.u_addr = p.u + 4 * c0 * p.su;
      r.dt_addr = p.dl + 4 * c0 * p.su;
      r.in_stride = uint16_t(p.su);
      r.out_addr = p.y + 4 * c0 * p.sy;
      r.out_stride = uint16_t(p.sy);
      r.coef_addr = p.coef;
      r.coef_stride = 4 * p.coef_words;
      r.length = L;
      st.s.push_back(cmd::encode_run_scan(r));
    }
    // y * silu(z) as the stationary [Din][n] blocks of out_proj -> o [H][L]; x' = x + o.
    for (uint32_t j0 = 0; j0 < L; j0 += nb) {
      const uint32_t n = std::min(nb, L - j0), blk = p.st_y + 4 * Din * j0;
      st.vec(VecOp::GATE, output(p.y + 4 * j0, p.sy), output(p.xz + 4 * (Din * L + j0), L), param(blk, n), Din, n,
             0.0f);
      st.gemm_folds(hw.rows, Din, blk, p.w_out, 4 * Din, p.o + 4 * j0, 4 * L, n, H);
    }
    st.vec(VecOp::ADD, input(p.x, L), output(p.o, L), output(p.xo, L), H, L, 0.0f);
    if (!last_block) {
      st.barrier();
      st.dma(false, SpadId::OUTPUT, p.xo, xq, 4ull * L, H, 4ull * L, 4ull * L);
      continue;
    }
    // The final RMSNorm and the mean over the valid steps (one POOL_SUM per n-block, as
    // the S4 tails).
    st.vec(VecOp::RMSNORM, output(p.xo, L), param(p.norm_f), output(p.f, L), H, L, 0.0f);
    const uint32_t valid = plan.lengths[q];
    for (uint32_t j0 = 0; j0 < valid; j0 += nb)
      st.vec(VecOp::POOL_SUM, output(p.f + 4 * j0, L), kUnused, output(p.pool, 1), H, std::min(nb, valid - j0),
             plan.scales.pool_sum, j0 == 0 ? 0 : uint8_t(cmd::FLAG_ACCUMULATE));
    st.vec(VecOp::AFFINE, output(p.pool, 1), param(p.pool_scale), output(p.pool, 1), H, 1, plan.scales.features);
    st.barrier();
    const uint64_t col = uint64_t(q % m.docs) * m.B + q / m.docs;
    st.dma(false, SpadId::OUTPUT, p.pool, m.features + 4 * col, 4, H, 4ull * m.S, 4);
  }
  st.end();
  return st.s;
}

}  // namespace epochcore::fw
