#include "epochcore/firmware/kernels/s4d_layer.h"

#include "epochcore/firmware/kernels/kernel_util.h"
#include "epochcore/firmware/runtime/fw_math.h"
#include "epochcore/contract/number_format.h"

namespace epochcore::fw {

namespace {

// Little-endian byte (de)serialisation, independent of the host's byte order.
void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
#if __STDC_HOSTED__
void put_f64(uint8_t* p, double d) {
  const uint64_t v = fw_bits(d);
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
#endif
double get_f64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(p[i]) << (8 * i);
  return fw_double(v);
}
float f32_of(uint32_t v) {
  float f;
  __builtin_memcpy(&f, &v, 4);
  return f;
}
void put_coeff(uint8_t* p, const cmd::CoeffRecord& r) {
  const float f[8] = {r.a_re, r.a_im, r.b_re, r.b_im, r.c_re, r.c_im, r.d, r.reserved};
  for (int i = 0; i < 8; ++i) put_u32(p + 4 * i, fw_bits(f[i]));
}
cmd::CoeffRecord get_coeff(const uint8_t* p) {
  float f[8];
  for (int i = 0; i < 8; ++i) f[i] = f32_of(get_u32(p + 4 * i));
  return cmd::CoeffRecord{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]};
}

// The parameter block's tensors (s4d_layer.h): byte offset, values, values per channel.
struct BlockTensor {
  const char* name;
  uint64_t offset, count, per;
};
void block_tensors(uint32_t H, uint32_t M, uint32_t dirs, BlockTensor t[5]) {
  const uint64_t hm = uint64_t(H) * M;
  t[0] = {"log_dt", 0, H, 1};
  t[1] = {"log_A_real", 8ull * H, hm, M};
  t[2] = {"A_imag", 8ull * (H + hm), hm, M};
  t[3] = {"C", 8ull * (H + 2 * hm), 2ull * dirs * hm, 2ull * M};
  t[4] = {"D", 8ull * (H + 2 * hm + 2ull * dirs * hm), H, 1};
}

// The parameter block is read through the HAL in pieces of up to kChunk values (4 KiB:
// the host-driver model's largest burst), never copied whole: the RV32 build has no heap.
constexpr uint32_t kChunk = 512;

// Reads n <= kChunk float64 values at addr, converting in place (any host byte order).
bool read_f64s(Hal& hal, uint64_t addr, double* out, uint32_t n) {
  if (n > kChunk) return false;
  if (n == 0) return true;
  uint8_t* raw = reinterpret_cast<uint8_t*>(out);
  if (hal.mem_read(addr, raw, 8 * size_t(n)) != HalStatus::OK) return false;
  for (uint32_t i = 0; i < n; ++i) out[i] = get_f64(raw + 8 * i);  // 8 bytes in, 8 bytes out
  return true;
}

// One tensor of the block read through a window of kChunk values: value(i) refills the
// window from index i when i is outside it. The kernels walk each tensor forwards, so a
// tensor is read about once, in kChunk-value pieces.
class TensorWindow {
 public:
  TensorWindow(Hal& hal, uint64_t addr, uint64_t count) : hal_(hal), addr_(addr), count_(count) {}
  bool value(uint64_t i, double* v) {
    if (i < first_ || i >= first_ + n_) {
      if (i >= count_) return false;
      first_ = i;
      n_ = uint32_t(fw_min<uint64_t>(kChunk, count_ - i));
      if (!read_f64s(hal_, addr_ + 8 * i, buf_, n_)) {
        n_ = 0;
        return false;
      }
    }
    *v = buf_[i - first_];
    return true;
  }

 private:
  Hal& hal_;
  uint64_t addr_, count_;
  uint64_t first_ = 0;
  uint32_t n_ = 0;
  double buf_[kChunk];
};

// Bytes a fold of n segments occupies in a scratchpad for a chunk of c steps.
uint64_t fold_span(uint64_t n, uint32_t c, uint32_t banks) {
  return (n - 1) * 4 * uint64_t(conflict_free_stride_words(c, banks)) + 4 * uint64_t(c);
}

// Resident rows (job.resident): aligned, at least L words apart, inside their scratchpad.
bool resident_rows_fit(const AccelInfo& hw, const S4dLayerJob& job, uint64_t items, char* why, size_t why_len) {
  struct Rows { const char* name; cmd::SpadId spad; uint32_t addr, words; };
  const Rows rows[] = {{"input", cmd::SpadId::INPUT, job.input_spad, job.input_row_words},
                       {"output", cmd::SpadId::OUTPUT, job.output_spad, job.output_row_words}};
  for (const Rows& r : rows) {
    if (r.addr % 4)
      return fail(why, why_len, "resident %s rows: scratchpad offset %u is not a multiple of 4", r.name, r.addr);
    if (r.words < job.L)
      return fail(why, why_len, "resident %s rows: a row stride of %u words is shorter than L = %u", r.name,
                  r.words, job.L);
    if (4ull * r.words > 0xFFFFFFFFull)
      return fail(why, why_len, "resident %s rows: a row stride of %u words exceeds the 32-bit RUN_SSM stride",
                  r.name, r.words);
    const uint64_t end = r.addr + 4 * ((items - 1) * r.words + job.L);
    const uint32_t have = hw.spad_bytes[uint8_t(r.spad)];
    if (end > have)
      return fail(why, why_len,
                  "resident %s rows: %llu rows of %u words from offset %u need %llu bytes, the %s scratchpad "
                  "has %u",
                  r.name, (unsigned long long)items, r.words, r.addr, (unsigned long long)end, r.name, have);
  }
  return true;
}

}  // namespace

size_t s4d_param_block_bytes(uint32_t H, uint32_t M, uint32_t directions) {
  return 8 * (2 * size_t(H) + (2 + 2 * size_t(directions)) * size_t(H) * M);
}

bool check_s4d_param_block(Hal& hal, uint64_t addr, uint32_t H, uint32_t M, uint32_t directions,
                           bool real_only, char* why, size_t why_len) {
  if (directions != 1 && directions != 2)
    return fail(why, why_len, "parameter block: directions = %u (expected 1, or 2 for a bidirectional layer)",
                directions);
  if (8 * (2 * uint64_t(H) + 6 * uint64_t(H) * M) > SIZE_MAX / 2)
    return fail(why, why_len, "parameter block for H=%u M=%u is too large for this machine", H, M);
  const size_t bytes = s4d_param_block_bytes(H, M, directions);
  const uint64_t hm = uint64_t(H) * M;
  BlockTensor tensors[5];
  block_tensors(H, M, directions, tensors);
  double v[kChunk];
  for (const BlockTensor& t : tensors) {
    for (uint64_t i0 = 0; i0 < t.count; i0 += kChunk) {
      const uint32_t n = uint32_t(fw_min<uint64_t>(kChunk, t.count - i0));
      if (!read_f64s(hal, addr + t.offset + 8 * i0, v, n))
        return fail(why, why_len, "parameter block at 0x%llx (%zu bytes): system memory read failed",
                    (unsigned long long)addr, bytes);
      for (uint32_t k = 0; k < n; ++k) {
        const uint64_t i = i0 + k;
        if (!fw_isfinite(v[k]))
          return fail(why, why_len, "parameter block: %s[%zu] (%schannel %zu) is not finite", t.name, size_t(i),
                      directions == 2 && t.offset == tensors[3].offset ? (i < 2 * hm ? "forward, " : "backward, ")
                                                                       : "",
                      size_t((i / t.per) % H));
      }
    }
  }
  // With A real the state x stays real (b = 1, u real), so Im(C) cannot reach the output
  // 2 Re(C' x): only a complex A needs complex PEs (discretise_zoh zeroes c_im).
  if (real_only) {
    const BlockTensor& t = tensors[2];
    for (uint64_t i0 = 0; i0 < t.count; i0 += kChunk) {
      const uint32_t n = uint32_t(fw_min<uint64_t>(kChunk, t.count - i0));
      if (!read_f64s(hal, addr + t.offset + 8 * i0, v, n))
        return fail(why, why_len, "parameter block at 0x%llx (%zu bytes): system memory read failed",
                    (unsigned long long)addr, bytes);
      for (uint32_t k = 0; k < n; ++k)
        if (v[k] != 0.0)
          return fail(why, why_len, "real-only accelerator: A_imag[%zu] (channel %zu) = %g is not zero",
                      size_t(i0 + k), size_t((i0 + k) / M), v[k]);
    }
  }
  return true;
}

#if __STDC_HOSTED__
std::vector<uint8_t> encode_s4d_param_block(const S4dParams& p) {
  const size_t hm = size_t(p.H) * p.M;
  std::vector<uint8_t> out(s4d_param_block_bytes(p.H, p.M, p.directions));
  uint8_t* o = out.data();
  auto put = [&](const std::vector<double>& v, size_t n) {
    for (size_t i = 0; i < n; ++i, o += 8) put_f64(o, i < v.size() ? v[i] : 0.0);
  };
  put(p.log_dt, p.H);
  put(p.log_A_real, hm);
  put(p.A_imag, hm);
  put(p.C, 2 * size_t(p.directions) * hm);
  put(p.D, p.H);
  return out;
}

bool read_s4d_param_block(Hal& hal, uint64_t addr, uint32_t H, uint32_t M, uint32_t directions,
                          S4dParams* out, char* why, size_t why_len) {
  if (directions != 1 && directions != 2)
    return fail(why, why_len, "parameter block: directions = %u (expected 1, or 2 for a bidirectional layer)",
                directions);
  if (8 * (2 * uint64_t(H) + 6 * uint64_t(H) * M) > SIZE_MAX / 2)
    return fail(why, why_len, "parameter block for H=%u M=%u is too large for this machine", H, M);
  const size_t bytes = s4d_param_block_bytes(H, M, directions);
  std::vector<uint8_t> raw(bytes);
  if (hal.mem_read(addr, raw.data(), bytes) != HalStatus::OK)
    return fail(why, why_len, "parameter block at 0x%llx (%zu bytes): system memory read failed",
                (unsigned long long)addr, bytes);
  const size_t hm = size_t(H) * M;
  const uint8_t* p = raw.data();
  struct Tensor { const char* name; std::vector<double>* v; size_t n; size_t per; };
  S4dParams r;
  r.H = H;
  r.M = M;
  r.directions = directions;
  // `per` is the number of values per channel, to name the channel of a bad value.
  const Tensor tensors[] = {{"log_dt", &r.log_dt, H, 1}, {"log_A_real", &r.log_A_real, hm, M},
                            {"A_imag", &r.A_imag, hm, M},
                            {"C", &r.C, 2 * directions * hm, 2 * size_t(M)}, {"D", &r.D, H, 1}};
  for (const Tensor& t : tensors) {
    t.v->resize(t.n);
    for (size_t i = 0; i < t.n; ++i, p += 8) {
      (*t.v)[i] = get_f64(p);
      if (!fw_isfinite((*t.v)[i]))
        return fail(why, why_len, "parameter block: %s[%zu] (%schannel %zu) is not finite", t.name, i,
                    directions == 2 && t.v == &r.C ? (i < 2 * hm ? "forward, " : "backward, ") : "",
                    (i / t.per) % H);
    }
  }
  *out = r;
  return true;
}

#endif  // __STDC_HOSTED__

uint32_t conflict_free_stride_words(uint32_t words, uint32_t banks) {
  if (banks <= 1) return words;
  return words + (banks + 1 - words % banks) % banks;
}

bool plan_s4d_layer(const AccelInfo& hw, const S4dLayerJob& job, S4dPlan* plan, char* why,
                    size_t why_len) {
  if (!job.H || !job.M || !job.L || !job.B)
    return fail(why, why_len, "S4D layer job: H, M, L and B must be >= 1 (got H=%u M=%u L=%u B=%u)",
                job.H, job.M, job.L, job.B);
  if (job.directions != 1 && job.directions != 2)
    return fail(why, why_len, "S4D layer job: directions = %u (expected 1, or 2 for a bidirectional layer)",
                job.directions);
  if (!hw.rows || !hw.cols) return fail(why, why_len, "accelerator info: rows and cols must be >= 1");
  if (uint64_t(job.L) * 4 > 0xFFFFFFFFull)
    return fail(why, why_len, "S4D layer job: L=%u does not fit the 32-bit DMA stride", job.L);
  const uint64_t items = uint64_t(job.B) * job.H;
  if (items > 0xFFFFFFFFull) return fail(why, why_len, "S4D layer job: B*H exceeds 2^32");
  const uint32_t in_all = hw.spad_bytes[uint8_t(cmd::SpadId::INPUT)];
  const uint32_t par_b = hw.spad_bytes[uint8_t(cmd::SpadId::PARAM)];
  const uint32_t out_all = hw.spad_bytes[uint8_t(cmd::SpadId::OUTPUT)];
  // Streaming buffers from the bases on (partial residency keeps rows below them).
  const uint32_t in_base = job.resident ? 0 : job.input_base, out_base = job.resident ? 0 : job.output_base;
  if (in_base % 4 || out_base % 4 || in_base > in_all || out_base > out_all)
    return fail(why, why_len, "S4D layer job: buffer bases %u (input) and %u (output) must be multiples of 4 "
                "inside the scratchpads (%u, %u bytes)", in_base, out_base, in_all, out_all);
  const uint32_t in_b = in_all - in_base, out_b = out_all - out_base;
  const uint32_t in_banks = hw.spad_banks[uint8_t(cmd::SpadId::INPUT)];
  const uint32_t out_banks = hw.spad_banks[uint8_t(cmd::SpadId::OUTPUT)];

  S4dPlan p;
  p.directions = job.directions;
  p.passes = uint32_t(ceil_div(job.M, hw.cols));
  p.seg_len = uint32_t(ceil_div(job.M, p.passes));
  p.spr = hw.segments ? hw.cols / p.seg_len : 1;
  p.items = uint32_t(items);
  // Per-segment direction (HW_FEATURES.SEGMENT_DIRECTION): a bidirectional layer runs
  // both halves in one pass over one chunk of L steps, so a fold holds half as many items
  // (each with a forward and a reversed segment). Used when that one chunk fits the
  // scratchpads (always for resident rows); otherwise the separate backward runs.
  p.mixed = hw.segment_direction && job.directions == 2 && job.L >= 2 && uint64_t(hw.rows) * p.spr >= 2;
  const uint32_t seg_per_item = p.mixed ? 2 : 1;
  uint64_t spf = fw_min<uint64_t>(uint64_t(hw.rows) * p.spr / seg_per_item, items);
  // Fewer segments per fold when the scratchpads cannot hold a whole array's worth.
  spf = fw_min<uint64_t>(spf, par_b / (uint64_t(seg_per_item) * p.seg_len * sizeof(cmd::CoeffRecord)));
  if (p.mixed && spf == 0) {  // one item's two segments do not fit the parameter scratchpad
    p.mixed = false;
    spf = fw_min<uint64_t>(fw_min<uint64_t>(uint64_t(hw.rows) * p.spr, items),
                           par_b / (uint64_t(p.seg_len) * sizeof(cmd::CoeffRecord)));
  }
  if (spf == 0)
    return fail(why, why_len, "parameter scratchpad (%u bytes) cannot hold one segment's %u coefficient records",
                par_b, p.seg_len);
  if (!job.resident) {
    spf = fw_min<uint64_t>(spf, fw_min(in_b, out_b) / 4);  // one time step per segment
    if (spf == 0)
      return fail(why, why_len, "input/output scratchpads (%u/%u bytes) cannot hold one time step", in_b, out_b);
  } else if (!resident_rows_fit(hw, job, items, why, why_len)) {
    return false;
  }
  // Streaming: the mixed plan needs the whole sequence in one chunk.
  const uint32_t in_banks0 = in_banks, out_banks0 = out_banks;
  if (p.mixed && !job.resident &&
      !(fold_span(spf, job.L, in_banks0) <= in_b && fold_span(spf, job.L, out_banks0) <= out_b)) {
    p.mixed = false;
    spf = fw_min<uint64_t>(fw_min<uint64_t>(uint64_t(hw.rows) * p.spr, items),
                           par_b / (uint64_t(p.seg_len) * sizeof(cmd::CoeffRecord)));
    spf = fw_min<uint64_t>(spf, fw_min(in_b, out_b) / 4);
  }
  p.segs_per_fold = uint32_t(spf);
  p.folds_per_pass = uint32_t(ceil_div(items, spf));

  p.reverse_len = job.directions == 2 ? job.L - 1 : 0;  // the backward sum is over s > t

  // Double buffering: two input buffers, two output buffers (three when runs accumulate:
  // the next run's partial sums arrive while this run writes and the last one drains)
  // and two parameter slots. Buffers start on a bank boundary so every run sees the same
  // bank pattern (and the same feed timing) as buffer 0.
  const uint32_t out_buffers = (job.directions == 2 && !p.mixed) || p.passes > 1 ? 3 : 2;
  const uint64_t fold_records = spf * seg_per_item * p.seg_len * sizeof(cmd::CoeffRecord);  // a multiple of 32
  auto buffer_offset = [](uint64_t span, uint32_t banks) { return ceil_div(span, 4ull * banks) * 4 * banks; };
  auto fits_single = [&](uint32_t c) {
    return fold_span(spf, c, in_banks) <= in_b && fold_span(spf, c, out_banks) <= out_b;
  };
  auto fits_double = [&](uint32_t c) {
    const uint64_t in_span = fold_span(spf, c, in_banks), out_span = fold_span(spf, c, out_banks);
    return buffer_offset(in_span, in_banks) + in_span <= in_b &&
           (out_buffers - 1) * buffer_offset(out_span, out_banks) + out_span <= out_b;
  };
  if (job.resident) {
    // The whole sequence in one chunk over the resident rows; only the records move.
    p.resident = true;
    p.chunk_len = job.L;
    p.in_stride = 4 * job.input_row_words;
    p.out_stride = 4 * job.output_row_words;
    p.double_buffered = !job.single_buffer && 2 * fold_records <= par_b;
    if (p.double_buffered) p.param_slot_offset = uint32_t(fold_records);
  } else if (p.mixed) {
    // One chunk of L steps (the backward half starts where the forward half ends).
    p.double_buffered = !job.single_buffer && 2 * fold_records <= par_b && fits_double(job.L);
    p.chunk_len = job.L;
    p.in_stride = 4 * conflict_free_stride_words(p.chunk_len, in_banks);
    p.out_stride = 4 * conflict_free_stride_words(p.chunk_len, out_banks);
  } else {
    p.double_buffered = !job.single_buffer && 2 * fold_records <= par_b && fits_double(1);
    // Longest chunk that fits (fits_single(1) holds by the cap above).
    uint32_t lo = 1, hi = job.L;
    while (lo < hi) {
      const uint32_t mid = lo + (hi - lo + 1) / 2;
      if (p.double_buffered ? fits_double(mid) : fits_single(mid)) lo = mid; else hi = mid - 1;
    }
    p.chunk_len = lo;
    if (p.double_buffered) {
      const uint64_t groups = uint64_t(job.directions) * p.passes * p.folds_per_pass;  // runs per chunk
      const uint64_t min_chunks = ceil_div(kMinDoubleBufferedRuns, groups);
      p.chunk_len = uint32_t(fw_min<uint64_t>(p.chunk_len, ceil_div(job.L, min_chunks)));
      if (p.chunk_len > kChunkAlignSteps) p.chunk_len -= p.chunk_len % kChunkAlignSteps;
    }
    p.in_stride = 4 * conflict_free_stride_words(p.chunk_len, in_banks);
    p.out_stride = 4 * conflict_free_stride_words(p.chunk_len, out_banks);
  }
  p.chunks = uint32_t(ceil_div(job.L, p.chunk_len));
  p.reverse_chunks = p.mixed ? 0 : uint32_t(ceil_div(p.reverse_len, p.chunk_len));
  if (p.double_buffered && !p.resident) {
    p.in_buf_offset = uint32_t(buffer_offset(fold_span(spf, p.chunk_len, in_banks), in_banks));
    p.out_buf_offset = uint32_t(buffer_offset(fold_span(spf, p.chunk_len, out_banks), out_banks));
    p.out_buffers = out_buffers;
    p.param_slot_offset = uint32_t(fold_records);
  }

  p.coeff_bytes = uint64_t(job.directions) * p.passes * items * p.seg_len * sizeof(cmd::CoeffRecord);
  // Every run takes at least 3 records (RUN_SSM, DMA_IN, BARRIER): refuse before counting
  // (in double: the product may exceed 64 bits for absurd sizes).
  const double runs = double(p.folds_per_pass) * p.passes * (double(p.chunks) + p.reverse_chunks);
  if (runs > double(0xFFFFFFFFull / cmd::kRecordBytes / 3))
    return fail(why, why_len, "S4D layer job: %.0f RUN_SSM commands make a stream beyond the 32-bit CMD_LEN",
                runs);
  p.runs = uint64_t(runs);
  p.commands = count_s4d_stream(p, job);
  p.stream_bytes = p.commands * cmd::kRecordBytes;
  if (p.stream_bytes > 0xFFFFFFFFull)
    return fail(why, why_len, "command stream of %llu bytes exceeds the 32-bit CMD_LEN",
                (unsigned long long)p.stream_bytes);
  if (job.workspace_addr % 8)
    return fail(why, why_len, "workspace address 0x%llx is not 8-byte aligned",
                (unsigned long long)job.workspace_addr);
  if (p.coeff_bytes + p.stream_bytes > job.workspace_bytes)
    return fail(why, why_len, "workspace of %llu bytes too small: needs %llu (coefficients %llu + stream %llu)",
                (unsigned long long)job.workspace_bytes,
                (unsigned long long)(p.coeff_bytes + p.stream_bytes),
                (unsigned long long)p.coeff_bytes, (unsigned long long)p.stream_bytes);
  *plan = p;
  return true;
}


namespace {

// Complex arithmetic in plain doubles (no <complex>): the same operations in both builds.
struct Cplx {
  double re, im;
};
Cplx cmul(Cplx a, Cplx b) { return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }
// a / b by Smith's method (no overflow of |b|^2 for large b).
Cplx cdiv(Cplx a, Cplx b) {
  if (fw_fabs(b.re) >= fw_fabs(b.im)) {
    const double r = b.im / b.re, den = b.re + b.im * r;
    return {(a.re + a.im * r) / den, (a.im - a.re * r) / den};
  }
  const double r = b.re / b.im, den = b.re * r + b.im;
  return {(a.re * r + a.im) / den, (a.im * r - a.re) / den};
}

bool record_finite(const cmd::CoeffRecord& r) {
  return fw_isfinite(r.a_re) && fw_isfinite(r.a_im) && fw_isfinite(r.c_re) && fw_isfinite(r.c_im) &&
         fw_isfinite(r.d);
}

}  // namespace

bool zoh_mode_record(double dt, double log_A_real, double A_imag, double C_re, double C_im, bool real_only,
                     cmd::CoeffRecord* out) {
  const Cplx A{-fw_exp(log_A_real), A_imag};
  const Cplx C{C_re, C_im};
  const Cplx dtA{dt * A.re, dt * A.im};
  // Abar = exp(dt*A) = exp(Re) (cos Im + i sin Im)
  const double mag = fw_exp(dtA.re);
  const Cplx Abar{mag * fw_cos(dtA.im), mag * fw_sin(dtA.im)};
  // (exp(dt*A) - 1)/A tends to dt as A -> 0 (only reachable when exp underflows).
  const Cplx Cp = A.re == 0.0 && A.im == 0.0 ? Cplx{C.re * dt, C.im * dt}
                                             : cdiv(cmul(C, Cplx{Abar.re - 1.0, Abar.im}), A);
  cmd::CoeffRecord& r = *out;
  r = cmd::CoeffRecord{0, 0, 0, 0, 0, 0, 0, 0};
  r.a_re = float(Abar.re);
  r.a_im = float(Abar.im);
  r.b_re = 1.0f;
  r.c_re = float(2.0 * Cp.re);  // conjugate-pair factor 2 folded into c
  r.c_im = real_only ? 0.0f : float(2.0 * Cp.im);
  return record_finite(r);
}

bool discretise_zoh_block(Hal& hal, uint64_t params_addr, uint32_t H, uint32_t M, uint32_t dirs,
                          uint32_t passes, uint32_t seg_len, bool real_only, uint64_t records_addr,
                          uint64_t group_stride, char* why, size_t why_len) {
  if (dirs != 1 && dirs != 2)
    return fail(why, why_len, "S4D parameters: directions = %u (expected 1 or 2)", dirs);
  if (uint64_t(passes) * seg_len < M)
    return fail(why, why_len, "discretise: passes*seg_len = %u*%u < M = %u", passes, seg_len, M);
  BlockTensor t[5];
  block_tensors(H, M, dirs, t);
  const uint64_t hm = uint64_t(H) * M;
  TensorWindow log_dt(hal, params_addr + t[0].offset, t[0].count), log_a(hal, params_addr + t[1].offset, t[1].count),
      a_im(hal, params_addr + t[2].offset, t[2].count), c(hal, params_addr + t[3].offset, t[3].count),
      d(hal, params_addr + t[4].offset, t[4].count);
  auto read_failed = [&]() {
    return fail(why, why_len, "parameter block at 0x%llx: system memory read failed",
                (unsigned long long)params_addr);
  };
  // Each (direction, pass) group of records, channel-major, in pieces of kOut records.
  constexpr uint32_t kOut = 128;  // 4 KiB
  uint8_t out[kOut * sizeof(cmd::CoeffRecord)];
  const uint64_t group_records = uint64_t(H) * seg_len;
  for (uint32_t dir = 0; dir < dirs; ++dir) {
    for (uint32_t p = 0; p < passes; ++p) {
      const uint64_t group_addr = records_addr + (uint64_t(dir) * passes + p) * group_stride;
      uint32_t h_cached = 0xFFFFFFFFu;
      double dt = 0.0, D = 0.0;
      for (uint64_t j0 = 0; j0 < group_records; j0 += kOut) {
        const uint32_t k = uint32_t(fw_min<uint64_t>(kOut, group_records - j0));
        for (uint32_t j = 0; j < k; ++j) {
          const uint32_t h = uint32_t((j0 + j) / seg_len), s = uint32_t((j0 + j) % seg_len);
          const uint32_t n = p * seg_len + s;
          cmd::CoeffRecord r{0, 0, 0, 0, 0, 0, 0, 0};  // padding modes (n >= M) are all zero
          if (n < M) {
            if (h != h_cached) {
              double ldt = 0.0;
              if (!log_dt.value(h, &ldt) || !d.value(h, &D)) return read_failed();
              dt = fw_exp(ldt);
              h_cached = h;
            }
            const uint64_t i = uint64_t(h) * M + n, ci = dir * hm + i;
            double la = 0.0, ai = 0.0, cre = 0.0, cim = 0.0;
            if (!log_a.value(i, &la) || !a_im.value(i, &ai) || !c.value(2 * ci, &cre) || !c.value(2 * ci + 1, &cim))
              return read_failed();
            bool ok = zoh_mode_record(dt, la, ai, cre, cim, real_only, &r);
            r.d = dir == 0 && n == 0 ? float(D) : 0.0f;  // D u_t is added once, forward
            ok = ok && fw_isfinite(r.d);
            if (!ok)
              return fail(why, why_len,
                          "discretise: %schannel %u mode %u gives a coefficient that is not finite in float32",
                          dir ? "backward " : "", h, n);
          }
          put_coeff(out + j * sizeof(cmd::CoeffRecord), r);
        }
        const uint64_t addr = group_addr + j0 * sizeof(cmd::CoeffRecord);
        if (hal.mem_write(addr, out, k * sizeof(cmd::CoeffRecord)) != HalStatus::OK)
          return fail(why, why_len, "workspace write of coefficient records at 0x%llx failed",
                      (unsigned long long)addr);
      }
    }
  }
  return true;
}

bool coeff_format_of(uint8_t number_format, numfmt::Format* format, char* why, size_t why_len) {
  using numfmt::Format;
  switch (regs::NumberFormat(number_format)) {
    case regs::NumberFormat::FP32: *format = Format::FP32; return true;
    case regs::NumberFormat::BF16: *format = Format::BF16; return true;
    case regs::NumberFormat::FP16: *format = Format::FP16; return true;
    case regs::NumberFormat::INT16: *format = Format::INT16; return true;
    case regs::NumberFormat::INT8: *format = Format::INT8; return true;
  }
  return fail(why, why_len, "accelerator number format %u is unknown (expected 0..4: fp32, bf16, fp16, int16, int8)",
              unsigned(number_format));
}

void CoeffMaxAbs::add(const cmd::CoeffRecord& r) {
  auto upd = [](float& m, float x) {
    const float a = x < 0.0f ? -x : x;
    if (fw_isfinite(x) && a > m) m = a;
  };
  upd(b, r.b_re);
  upd(b, r.b_im);
  upd(c, r.c_re);
  upd(c, r.c_im);
  upd(d, r.d);
}

S4dCoeffScales coeff_scales(numfmt::Format f, const CoeffMaxAbs& m) {
  // symmetric_scale over the largest finite magnitude alone gives the scale of the whole
  // tensor (it depends on that maximum only).
  S4dCoeffScales sc;
  if (!numfmt::is_integer(f)) return sc;
  sc.b = numfmt::symmetric_scale(f, &m.b, 1);
  sc.c = numfmt::symmetric_scale(f, &m.c, 1);
  sc.d = numfmt::symmetric_scale(f, &m.d, 1);
  return sc;
}

bool format_coeff_record(numfmt::Format f, const S4dCoeffScales& sc, uint64_t index, cmd::CoeffRecord* rec,
                         char* why, size_t why_len) {
  using numfmt::Format;
  if (f == Format::FP32) return true;
  cmd::CoeffRecord& r = *rec;
  struct Value { const char* name; float* v; float scale; };
  const Value values[] = {{"b_re", &r.b_re, sc.b}, {"b_im", &r.b_im, sc.b}, {"c_re", &r.c_re, sc.c},
                          {"c_im", &r.c_im, sc.c}, {"d", &r.d, sc.d}};
  for (const Value& v : values) {
    const float x = *v.v;
    switch (f) {
      case Format::BF16: *v.v = numfmt::round_to_bf16(x); break;
      case Format::FP16: *v.v = numfmt::round_to_fp16(x); break;
      default: *v.v = float(numfmt::quantise_to_int(x, v.scale, f)) * v.scale; break;
    }
    if (!fw_isfinite(*v.v))
      return fail(why, why_len, "coefficient record %zu: %s = %g does not fit %s", size_t(index), v.name, double(x),
                  numfmt::format_name(f));
  }
  return true;
}

#if __STDC_HOSTED__
bool discretise_zoh(const S4dParams& prm, uint32_t passes, uint32_t seg_len, bool real_only,
                    std::vector<cmd::CoeffRecord>* records, char* why, size_t why_len) {
  const uint32_t H = prm.H, M = prm.M, dirs = prm.directions;
  const size_t hm = size_t(H) * M;
  if (dirs != 1 && dirs != 2)
    return fail(why, why_len, "S4D parameters: directions = %u (expected 1 or 2)", dirs);
  if (prm.log_dt.size() != H || prm.log_A_real.size() != hm || prm.A_imag.size() != hm ||
      prm.C.size() != 2 * dirs * hm || prm.D.size() != H)
    return fail(why, why_len, "S4D parameters: tensor sizes do not match H=%u M=%u directions=%u", H, M,
                dirs);
  if (uint64_t(passes) * seg_len < M)
    return fail(why, why_len, "discretise: passes*seg_len = %u*%u < M = %u", passes, seg_len, M);
  if (real_only) {
    for (size_t i = 0; i < hm; ++i) {
      if (prm.A_imag[i] != 0.0)
        return fail(why, why_len, "real-only accelerator: A_imag[%zu] (channel %zu) = %g is not zero",
                    i, i / M, prm.A_imag[i]);
    }
  }
  records->assign(size_t(dirs) * passes * H * seg_len, cmd::CoeffRecord{0, 0, 0, 0, 0, 0, 0, 0});
  for (uint32_t dir = 0; dir < dirs; ++dir) {
    for (uint32_t h = 0; h < H; ++h) {
      const double dt = fw_exp(prm.log_dt[h]);
      for (uint32_t n = 0; n < M; ++n) {
        const size_t i = size_t(h) * M + n, ci = dir * hm + i;
        const uint32_t p = n / seg_len, s = n % seg_len;
        cmd::CoeffRecord& r = (*records)[((size_t(dir) * passes + p) * H + h) * seg_len + s];
        bool ok = zoh_mode_record(dt, prm.log_A_real[i], prm.A_imag[i], prm.C[2 * ci], prm.C[2 * ci + 1],
                                  real_only, &r);
        r.d = dir == 0 && n == 0 ? float(prm.D[h]) : 0.0f;  // D u_t is added once, forward
        if (!ok || !fw_isfinite(r.d))
          return fail(why, why_len,
                      "discretise: %schannel %u mode %u gives a coefficient that is not finite in float32",
                      dir ? "backward " : "", h, n);
      }
    }
  }
  return true;
}

bool apply_coeff_format(uint8_t number_format, std::vector<cmd::CoeffRecord>* records,
                        S4dCoeffScales* scales, char* why, size_t why_len) {
  numfmt::Format f = numfmt::Format::FP32;
  if (!coeff_format_of(number_format, &f, why, why_len)) return false;
  *scales = S4dCoeffScales{};
  if (f == numfmt::Format::FP32) return true;
  // One scale per coefficient kind over the whole layer (both directions, all passes).
  CoeffMaxAbs m;
  for (const cmd::CoeffRecord& r : *records) m.add(r);
  const S4dCoeffScales sc = coeff_scales(f, m);
  for (size_t i = 0; i < records->size(); ++i)
    if (!format_coeff_record(f, sc, i, &(*records)[i], why, why_len)) return false;
  *scales = sc;
  return true;
}
#endif  // __STDC_HOSTED__

bool s4d_layer_run(Hal& hal, Driver& driver, const AccelInfo& hw, const S4dLayerJob& job,
                   S4dLayerResult* result) {
  S4dLayerResult& r = *result;
  r = S4dLayerResult{};
  char* msg = r.message;
  const size_t msg_len = sizeof r.message;
  if (!plan_s4d_layer(hw, job, &r.plan, msg, msg_len)) return false;
  const S4dPlan& plan = r.plan;
  // The stream reads the input while it writes the output (and, double-buffered, ahead of
  // it), and the records and stream live in the workspace: the three must be disjoint.
  // Resident tensors are in the scratchpads: only the workspace is in memory.
  const uint64_t tensor_bytes = job.resident ? 0 : 4ull * job.B * job.H * job.L;
  struct Range { const char* name; uint64_t lo, hi; };
  const Range ranges[] = {{"input", job.input_addr, job.input_addr + tensor_bytes},
                          {"output", job.output_addr, job.output_addr + tensor_bytes},
                          {"workspace", job.workspace_addr, job.workspace_addr + plan.coeff_bytes + plan.stream_bytes}};
  for (int i = 0; i < 3; ++i)
    for (int j = i + 1; j < 3; ++j)
      if (ranges[i].lo < ranges[i].hi && ranges[j].lo < ranges[j].hi && ranges[i].lo < ranges[j].hi &&
          ranges[j].lo < ranges[i].hi)
        return fail(msg, msg_len, "S4D layer job: %s [0x%llx, 0x%llx) overlaps %s [0x%llx, 0x%llx)",
                    ranges[i].name, (unsigned long long)ranges[i].lo, (unsigned long long)ranges[i].hi,
                    ranges[j].name, (unsigned long long)ranges[j].lo, (unsigned long long)ranges[j].hi);

  // The parameters are read from memory tensor by tensor (no copy of the block) and each
  // record is written to the workspace as it is made: records [dir][pass][item][PE],
  // channel h's records of a direction and pass repeated for every batch element (dp =
  // dir*P + p indexes both). Batch element 0's copy is made first; the integer formats'
  // scales come from a pass over it, then the format is applied and the copies written.
  if (!check_s4d_param_block(hal, job.params_addr, job.H, job.M, job.directions, hw.real_only, msg, msg_len))
    return false;
  numfmt::Format format = numfmt::Format::FP32;
  if (!coeff_format_of(hw.number_format, &format, msg, msg_len)) return false;
  const uint64_t pass_bytes = uint64_t(job.H) * plan.seg_len * sizeof(cmd::CoeffRecord);
  const uint64_t group_stride = pass_bytes * job.B;
  if (!discretise_zoh_block(hal, job.params_addr, job.H, job.M, job.directions, plan.passes, plan.seg_len,
                            hw.real_only, job.workspace_addr, group_stride, msg, msg_len))
    return false;
  const uint32_t groups = job.directions * plan.passes;
  const uint64_t group_records = uint64_t(job.H) * plan.seg_len;
  constexpr uint32_t kBuf = 128;  // 4 KiB
  uint8_t buf[kBuf * sizeof(cmd::CoeffRecord)];
  if (numfmt::is_integer(format)) {
    CoeffMaxAbs m;
    for (uint32_t dp = 0; dp < groups; ++dp)
      for (uint64_t i0 = 0; i0 < group_records; i0 += kBuf) {
        const uint32_t n = uint32_t(fw_min<uint64_t>(kBuf, group_records - i0));
        const uint64_t addr = job.workspace_addr + dp * group_stride + i0 * sizeof(cmd::CoeffRecord);
        if (hal.mem_read(addr, buf, n * sizeof(cmd::CoeffRecord)) != HalStatus::OK)
          return fail(msg, msg_len, "workspace read of coefficient records at 0x%llx failed",
                      (unsigned long long)addr);
        for (uint32_t k = 0; k < n; ++k) m.add(get_coeff(buf + k * sizeof(cmd::CoeffRecord)));
      }
    r.scales = coeff_scales(format, m);
  }
  if (format != numfmt::Format::FP32 || job.B > 1) {
    for (uint32_t dp = 0; dp < groups; ++dp)
      for (uint64_t i0 = 0; i0 < group_records; i0 += kBuf) {
        const uint32_t n = uint32_t(fw_min<uint64_t>(kBuf, group_records - i0));
        const uint64_t src = job.workspace_addr + dp * group_stride + i0 * sizeof(cmd::CoeffRecord);
        if (hal.mem_read(src, buf, n * sizeof(cmd::CoeffRecord)) != HalStatus::OK)
          return fail(msg, msg_len, "workspace read of coefficient records at 0x%llx failed",
                      (unsigned long long)src);
        if (format != numfmt::Format::FP32) {
          for (uint32_t k = 0; k < n; ++k) {
            cmd::CoeffRecord rec = get_coeff(buf + k * sizeof(cmd::CoeffRecord));
            if (!format_coeff_record(format, r.scales, dp * group_records + i0 + k, &rec, msg, msg_len))
              return false;
            put_coeff(buf + k * sizeof(cmd::CoeffRecord), rec);
          }
        }
        for (uint32_t b = format != numfmt::Format::FP32 ? 0 : 1; b < job.B; ++b) {
          const uint64_t addr = src + b * pass_bytes;
          if (hal.mem_write(addr, buf, n * sizeof(cmd::CoeffRecord)) != HalStatus::OK)
            return fail(msg, msg_len, "workspace write of coefficient records at 0x%llx failed",
                        (unsigned long long)addr);
        }
      }
  }

  const uint64_t stream_addr = s4d_stream_addr(job, plan);
  MemorySink sink(hal, stream_addr);
  emit_s4d_stream(plan, job, sink);
  if (!sink.flush())
    return fail(msg, msg_len, "workspace write of the command stream at 0x%llx failed",
                (unsigned long long)sink.failed_addr());
  r.commands = uint32_t(sink.count());
  const uint64_t stream_bytes = sink.count() * cmd::kRecordBytes;

  const DriverStatus status = driver.run(stream_addr, uint32_t(stream_bytes), &r.job);
  if (status == DriverStatus::JOB_ERROR) {
    const char* op = "no command";
    uint8_t rec[cmd::kRecordBytes];
    if (r.job.cmd_index < sink.count() &&
        hal.mem_read(stream_addr + uint64_t(r.job.cmd_index) * cmd::kRecordBytes, rec, sizeof rec) ==
            HalStatus::OK)
      op = cmd::opcode_name(uint8_t(cmd::opcode_of(cmd::unpack(rec))));
    return fail(msg, msg_len, "accelerator error %s at command %u (%s)",
                regs::error_cause_name(r.job.cause), unsigned(r.job.cmd_index), op);
  }
  if (status != DriverStatus::OK)
    return fail(msg, msg_len, "driver error %s", driver_status_name(status));
  r.ok = true;
  return true;
}

}  // namespace epochcore::fw
