#include "epochcore/contract/footprint.h"

#include <algorithm>

namespace epochcore::cmd {

namespace {

void add(Footprint* f, const SpadRange& r) {
  if (r.hi > r.lo && f->n < kMaxFootprintRanges) f->r[f->n++] = r;
}

}  // namespace

SpadRange row_hull(SpadId spad, uint64_t base, uint64_t rows, uint64_t row_bytes, uint64_t stride,
                   uint64_t before, bool write) {
  SpadRange r;
  r.spad = spad;
  r.write = write;
  if (rows == 0 || row_bytes + before == 0) return r;
  r.lo = base >= before ? base - before : 0;
  r.hi = base + (rows - 1) * stride + row_bytes;
  return r;
}

Footprint footprint(const Record& rec, uint32_t loaded_segments, uint32_t loaded_reversed,
                    const uint32_t spad_bytes[kNumSpads]) {
  Footprint f;
  switch (opcode_of(rec)) {
    case Opcode::NOP:
    case Opcode::DMA_IN:
    case Opcode::DMA_OUT:
    case Opcode::BARRIER:
    case Opcode::END:
      return f;
    case Opcode::LOAD_COEFFS: {
      const LoadCoeffs c = decode_load_coeffs(rec);
      add(&f, row_hull(SpadId::PARAM, c.param_addr, 1, uint64_t(c.n_seg) * c.seg_len * sizeof(CoeffRecord), 0, 0,
                       false));
      return f;
    }
    case Opcode::RUN_SSM: {
      const RunSsm c = decode_run_ssm(rec);
      const uint64_t n_rev = std::min(loaded_reversed, loaded_segments);
      const uint64_t n_fwd = loaded_segments - n_rev;
      const uint64_t L = c.length, R = c.rev_length == 0 ? c.length : c.rev_length;
      // Forward segment i on row i: input in_addr + i*in_stride + [0, 4L); reversed
      // segment j on row j: in_addr + j*in_stride + rev_in_offset + [0, 4R). Outputs at
      // out_addr + row*out_stride + [0, 4L) and [0, 4R). One hull per scratchpad.
      SpadRange in = row_hull(SpadId::INPUT, c.in_addr, n_fwd, 4 * L, c.in_stride, 0, false);
      const SpadRange in_rev =
          row_hull(SpadId::INPUT, uint64_t(c.in_addr) + c.rev_in_offset, n_rev, 4 * R, c.in_stride, 0, false);
      if (in.hi == in.lo) {
        in = in_rev;
      } else if (in_rev.hi > in_rev.lo) {
        in.lo = std::min(in.lo, in_rev.lo);
        in.hi = std::max(in.hi, in_rev.hi);
      }
      add(&f, in);
      add(&f, row_hull(SpadId::OUTPUT, c.out_addr, std::max(n_fwd, n_rev), 4 * L, c.out_stride, 0, true));
      return f;
    }
    case Opcode::RUN_GEMM: {
      const RunGemm c = decode_run_gemm(rec);
      add(&f, row_hull(SpadId::PARAM, c.param_addr, 1, 4ull * c.k * c.n, 0, 0, false));
      add(&f, row_hull(SpadId::INPUT, c.in_addr, c.m, 4ull * c.k, c.in_stride, 0, false));
      add(&f, row_hull(SpadId::OUTPUT, c.out_addr, c.m, 4ull * c.n, c.out_stride, 0, true));
      return f;
    }
    case Opcode::RUN_VEC: {
      const RunVec c = decode_run_vec(rec);
      const VecShape s = vec_shape(c);
      add(&f, row_hull(c.a_spad, c.a_addr, s.a_rows, 4 * s.a_row_words, 4ull * s.a_step, 4ull * s.a_before, false));
      add(&f, row_hull(c.b_spad, c.b_addr, s.b_rows, 4 * s.b_row_words, 4ull * s.b_step, 0, false));
      add(&f, row_hull(c.d_spad, c.d_addr, s.d_rows, 4 * s.d_row_words, 4ull * s.d_step, 0, true));
      return f;
    }
  }
  for (uint8_t i = 0; i < kNumSpads; ++i) add(&f, SpadRange{SpadId(i), 0, spad_bytes[i], true});
  return f;
}

bool footprints_conflict(const Footprint& a, const Footprint& b) {
  for (uint32_t i = 0; i < a.n; ++i)
    for (uint32_t j = 0; j < b.n; ++j) {
      const SpadRange &x = a.r[i], &y = b.r[j];
      if (x.spad == y.spad && (x.write || y.write) && x.lo < y.hi && y.lo < x.hi) return true;
    }
  return false;
}

}  // namespace epochcore::cmd
